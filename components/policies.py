"""IAM policy documents, least privilege, as plain dicts from plain strings (no Pulumi here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Document = dict[str, Any]

ECR_IMAGE = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)")
SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
# ecs:runTask.sync watches the task through this EventBridge rule, which Step Functions manages.
# IAM allows 10,240 characters of inline policy per role (IAM quotas); keep headroom for the trust policy.
INLINE_POLICY_BUDGET = 8000
ECS_SYNC_RULE = "StepFunctionsGetEventsForECSTaskRule"
# Step Functions' CloudWatch Logs delivery APIs do not support resource-level permissions
# (Step Functions docs, "Logging using CloudWatch Logs"): these must be Resource "*".
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
]


@dataclass(frozen=True)
class AwsEnv:
    """Partition, region and account that ARNs are built from."""

    partition: str
    region: str
    account_id: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"


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
    """For task and execution roles: ECS tasks of this account and region (ECS task IAM role docs)."""
    return _trust("ecs-tasks.amazonaws.com", env, [env.arn("ecs", "*")])


def scheduler_trust(env: AwsEnv, schedule_group: str) -> Document:
    """EventBridge Scheduler checks aws:SourceArn against the schedule *group* ARN (Scheduler docs)."""
    return _trust("scheduler.amazonaws.com", env, [env.arn("scheduler", f"schedule-group/{schedule_group}")])


def events_trust(env: AwsEnv, rule_name: str) -> Document:
    return _trust("events.amazonaws.com", env, [env.arn("events", f"rule/{rule_name}")])


def cluster_arn(env: AwsEnv, cluster_name: str) -> str:
    return env.arn("ecs", f"cluster/{cluster_name}")


def job_state_machine_policy(
    env: AwsEnv,
    *,
    job_name: str,
    task_family: str,
    cluster_name: str,
    task_role_arn: str,
    execution_role_arn: str,
    lock_table_arn: str | None,
    state_machine_name: str | None = None,
) -> Document:
    """What one job's state machine may do: run this job's task on this cluster, watch and stop tasks
    on this cluster, pass this job's two roles to ECS tasks, and take/release this job's lock only."""
    cluster = cluster_arn(env, cluster_name)
    statements: list[Document] = [
        {
            "Sid": "RunThisJobsTask",
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": env.arn("ecs", f"task-definition/{task_family}:*"),
            "Condition": {"ArnEquals": {"ecs:cluster": cluster}},
        },
        {
            "Sid": "WatchAndStopTasksOnThisCluster",
            "Effect": "Allow",
            "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
            "Resource": env.arn("ecs", f"task/{cluster_name}/*"),
            "Condition": {"ArnEquals": {"ecs:cluster": cluster}},
        },
        {
            "Sid": "PassThisJobsRolesToEcsTasks",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": sorted({task_role_arn, execution_role_arn}),
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        {
            "Sid": "ManageTheEcsSyncRule",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
            "Resource": env.arn("events", f"rule/{ECS_SYNC_RULE}"),
        },
    ]
    if state_machine_name is not None:
        # concurrency="replace": read who holds the lock and stop that run of this same job.
        statements.append(
            {
                "Sid": "StopThisJobsRunningExecution",
                "Effect": "Allow",
                "Action": "states:StopExecution",
                "Resource": env.arn("states", f"execution:{state_machine_name}:*"),
            }
        )
    if lock_table_arn is not None:
        lock_actions = ["dynamodb:DeleteItem", "dynamodb:PutItem"]
        if state_machine_name is not None:
            lock_actions.insert(0, "dynamodb:GetItem")
        statements.append(
            {
                "Sid": "TakeAndReleaseThisJobsLock",
                "Effect": "Allow",
                "Action": lock_actions,
                "Resource": lock_table_arn,
                "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [job_name]}},
            }
        )
    statements.append(_log_delivery())
    return _document(*statements)


def _log_delivery() -> Document:
    return {"Sid": "DeliverExecutionLogs", "Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"}


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
    repositories = sorted(
        {
            f"arn:{env.partition}:ecr:{m['region']}:{m['account']}:repository/{m['repo']}"
            for m in (ECR_IMAGE.match(image) for image in images)
            if m
        }
    )
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
    parameters, secrets = _secret_resources(env, secret_refs)
    if parameters:
        statements.append(
            {"Sid": "ReadJobParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameters}
        )
    if secrets:
        statements.append(
            {"Sid": "ReadJobSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secrets}
        )
    return _document(*statements)


def _secret_resources(env: AwsEnv, refs: Iterable[str]) -> tuple[list[str], list[str]]:
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


def fits_inline(document: Document) -> bool:
    """Whether a document fits in a role's inline policy budget (whitespace is not counted)."""
    return len(json.dumps(document, separators=(",", ":"))) <= INLINE_POLICY_BUDGET


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


def janitor_policy(env: AwsEnv, lock_table_arn: str, job_names: Iterable[str]) -> Document:
    """The lock janitor may delete the locks of this stack's jobs in this stack's table; past the
    inline policy size limit, any lock in that table (the table holds only this stack's locks)."""
    document = _document(
        {
            "Sid": "ReleaseAbandonedJobLocks",
            "Effect": "Allow",
            "Action": "dynamodb:DeleteItem",
            "Resource": lock_table_arn,
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": sorted(job_names)}},
        },
        _log_delivery(),
    )
    if not fits_inline(document):
        del document["Statement"][0]["Condition"]
    return document


def start_janitor_policy(env: AwsEnv, janitor_state_machine_name: str) -> Document:
    """EventBridge may start the janitor and nothing else."""
    return _document(
        {
            "Sid": "StartLockJanitor",
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": env.arn("states", f"stateMachine:{janitor_state_machine_name}"),
        }
    )
