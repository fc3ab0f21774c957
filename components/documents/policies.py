"""IAM policy documents, least privilege, as plain dicts from plain strings (no Pulumi here)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from components.model.arns import AwsEnv
from components.model.permissions import fits_inline

Document = dict[str, Any]

ECR_IMAGE = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)")
SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def _document(*statements: Document) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _trust(service: str, env: AwsEnv, source_arns: list[str]) -> Document:
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": env.account_id},
                "ArnLike": {"aws:SourceArn": source_arns if len(source_arns) > 1 else source_arns[0]},
            },
        }
    )


def state_machine_trust(env: AwsEnv, state_machine_name: str) -> Document:
    """Only Step Functions, and only for this state machine (and its versions/aliases), may assume it."""
    machine = env.arn("states", f"stateMachine:{state_machine_name}")
    return _trust("states.amazonaws.com", env, [machine, f"{machine}:*"])


def ecs_task_trust(env: AwsEnv) -> Document:
    """For a task role: ECS tasks of this account and region. ECS sends the task's ARN as aws:SourceArn and
    does not support scoping it to one cluster (ECS developer guide, "Task IAM role")."""
    return _trust("ecs-tasks.amazonaws.com", env, [env.arn("ecs", "*")])


def ecs_task_execution_trust() -> Document:
    """For the task execution role, which the ECS agent assumes to pull images, write logs and read secrets.
    AWS documents no aws:SourceArn or aws:SourceAccount for it (ECS developer guide, "Amazon ECS task
    execution IAM role", whose trust policy has no condition), so a condition could refuse every start."""
    return _document(
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )


def scheduler_trust(env: AwsEnv, schedule_groups: list[str]) -> Document:
    """EventBridge Scheduler checks aws:SourceArn against the schedule *group* ARN ("Do not scope the
    aws:SourceArn statement to a specific schedule": Scheduler user guide, confused deputy prevention)."""
    return _trust(
        "scheduler.amazonaws.com", env, [env.arn("scheduler", f"schedule-group/{g}") for g in schedule_groups]
    )


def events_trust(env: AwsEnv, rule_name: str) -> Document:
    return _trust("events.amazonaws.com", env, [env.arn("events", f"rule/{rule_name}")])


def execution_role_policy(
    env: AwsEnv, *, log_group_prefix: str, images: Iterable[str], secret_refs: Iterable[str]
) -> Document:
    """The shared task execution role: pull the jobs' images, write the jobs' logs, and read only the
    secrets that some job references."""
    statements: list[Document] = [
        {
            "Sid": "WriteJobLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": env.arn("logs", f"log-group:{log_group_prefix}*:*"),
        }
    ]
    repositories = ecr_repositories(env, images)
    if repositories:
        statements += [
            {
                # GetAuthorizationToken has no resource-level permissions (ECR docs).
                "Sid": "LogInToEcr",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "PullJobImages",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": repositories,
            },
        ]
    parameters, secrets = secret_resources(env, secret_refs)
    if parameters:
        statements.append(
            {"Sid": "ReadJobParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameters}
        )
    if secrets:
        statements.append(
            {"Sid": "ReadJobSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secrets}
        )
    return _document(*statements)


def ecr_repositories(env: AwsEnv, images: Iterable[str]) -> list[str]:
    """The ECR repository ARNs of the images that are in ECR (others need no grant), sorted."""
    return sorted(
        {
            f"arn:{env.partition}:ecr:{m['region']}:{m['account']}:repository/{m['repo']}"
            for m in (ECR_IMAGE.match(image) for image in images)
            if m
        }
    )


def secret_resources(env: AwsEnv, refs: Iterable[str]) -> tuple[list[str], list[str]]:
    """The SSM parameter ARNs and Secrets Manager secret ARNs (as patterns) that ECS reads for `refs`."""
    parameters: set[str] = set()
    secrets: set[str] = set()
    for ref in refs:
        if ref.startswith("arn:") and ":secretsmanager:" in ref:
            arn = ":".join(ref.split(":")[:7])  # drop ":json-key:stage:version"
            # A partial ARN (no random 6-character suffix) matches the full one only with "-??????".
            secrets.add(arn if SECRET_SUFFIX.search(arn) else f"{arn}-??????")
        elif ref.startswith("arn:"):
            parameters.add(ref)
        else:
            parameters.add(env.arn("ssm", f"parameter/{ref.lstrip('/')}"))
    return sorted(parameters), sorted(secrets)


def scheduler_policy(
    env: AwsEnv, name_prefix: str, state_machine_names: Iterable[str], dead_letter_queue_arn: str | None = None
) -> Document:
    """The schedules' role may start exactly this stack's job state machines (past the inline policy
    size limit, those whose name starts with the stack prefix) and park undeliverable starts in the DLQ."""
    exact = _document(
        {
            "Sid": "StartJobExecutions",
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": sorted(env.arn("states", f"stateMachine:{name}") for name in state_machine_names),
        }
    )
    if dead_letter_queue_arn is not None:
        exact["Statement"].append(
            {
                "Sid": "ParkUndeliveredStarts",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": dead_letter_queue_arn,
            }
        )
    if not fits_inline(exact):
        exact["Statement"][0]["Resource"] = env.arn("states", f"stateMachine:{name_prefix}-*")
    return exact
