"""The AWS calls `pulumi preview` (with refresh) and `pulumi up` make for each resource of a stack, as the
provider makes them: pulumi-aws bridges hashicorp/terraform-provider-aws, whose resource files name each call
(read there, late v6 sources): create, read after create and on every refresh, update, delete, and the tag
interceptor (internal/provider/sdkv2/tags_interceptor.go) that lists tags after create, read and update.
Written down here from those sources, independently of components/documents/deployer.py, so a call that
the policy forgets fails the simulation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.documents.execution_roles import execution_roles
from components.documents.topic_key import created_key_policy
from components.model.arns import AwsEnv
from components.model.naming import job_names, shared_names
from components.model.stack import Stack

PROVIDER = "hashicorp/terraform-provider-aws internal/service"


@dataclass(frozen=True)
class Call:
    action: str
    resource: str
    source: str
    context: tuple[tuple[str, str], ...] = ()


def _calls(actions: str, resource: str, source: str, **context: str) -> list[Call]:
    return [Call(action, resource, source, tuple(context.items())) for action in actions.split()]


def stack_calls(stack: Stack, env: AwsEnv) -> list[Call]:
    """Every call the deploying identity makes for `stack`; `*` where the action takes no resource type."""
    prefix = stack.config.name_prefix
    names = shared_names(prefix)
    role = env.role_arn
    calls = [
        *_calls(
            "dynamodb:CreateTable dynamodb:DescribeTable dynamodb:UpdateTimeToLive dynamodb:DescribeTimeToLive "
            "dynamodb:DescribeContinuousBackups dynamodb:UpdateContinuousBackups dynamodb:ListTagsOfResource "
            "dynamodb:TagResource "
            "dynamodb:UntagResource dynamodb:UpdateTable dynamodb:DeleteTable",
            env.arn("dynamodb", f"table/{names.lock_table}"),
            f"{PROVIDER}/dynamodb/table.go",
        ),
        *_calls(
            "sns:CreateTopic sns:SetTopicAttributes sns:GetTopicAttributes sns:ListTagsForResource sns:TagResource "
            "sns:UntagResource sns:DeleteTopic sns:Subscribe",
            env.arn("sns", names.alarm_topic),
            f"{PROVIDER}/sns/topic.go, topic_subscription.go",
        ),
        *_calls(
            "sns:GetSubscriptionAttributes sns:SetSubscriptionAttributes sns:Unsubscribe",
            "*",
            f"{PROVIDER}/sns/topic_subscription.go",
        ),
        *_calls(
            "ecs:CreateCluster ecs:DescribeClusters ecs:UpdateCluster ecs:DeleteCluster "
            "ecs:PutClusterCapacityProviders ecs:UntagResource",
            env.arn("ecs", f"cluster/{names.cluster}"),
            f"{PROVIDER}/ecs/cluster.go, cluster_capacity_providers.go",
        ),
        *_calls(
            "ecs:TagResource",
            env.arn("ecs", f"cluster/{names.cluster}"),
            "ECS developer guide, tag on create",
            **{"ecs:CreateAction": "CreateCluster"},
        ),
        *_calls("ecs:DescribeTaskDefinition ecs:DeregisterTaskDefinition", "*", f"{PROVIDER}/ecs/task_definition.go"),
        *_calls("sts:GetCallerIdentity", "*", f"{PROVIDER}/sts/caller_identity_data_source.go"),
        *_calls("states:ValidateStateMachineDefinition", "*", f"{PROVIDER}/sfn/state_machine.go (CustomizeDiff)"),
        *(
            call
            for group in (names.schedule_group, names.slot_watch_schedule_group)
            for call in _calls(
                "scheduler:CreateScheduleGroup scheduler:GetScheduleGroup scheduler:ListTagsForResource "
                "scheduler:TagResource scheduler:UntagResource scheduler:DeleteScheduleGroup",
                env.arn("scheduler", f"schedule-group/{group}"),
                f"{PROVIDER}/scheduler/schedule_group.go",
            )
        ),
        *_calls(
            "sqs:CreateQueue sqs:TagQueue sqs:GetQueueAttributes sqs:ListQueueTags sqs:SetQueueAttributes "
            "sqs:UntagQueue sqs:DeleteQueue",
            env.arn("sqs", names.schedule_dead_letter_queue),
            f"{PROVIDER}/sqs/queue.go",
        ),
        *_calls(
            "cloudwatch:PutDashboard cloudwatch:GetDashboard cloudwatch:DeleteDashboards",
            f"arn:{env.partition}:cloudwatch::{env.account_id}:dashboard/{names.dashboard}",
            f"{PROVIDER}/cloudwatch/dashboard.go",
        ),
        *_calls(
            "logs:DescribeLogGroups logs:CreateLogDelivery logs:GetLogDelivery logs:UpdateLogDelivery "
            "logs:DeleteLogDelivery logs:ListLogDeliveries logs:PutResourcePolicy logs:DescribeResourcePolicies",
            "*",
            f"{PROVIDER}/logs/group.go; Step Functions dev guide, Logging using CloudWatch Logs",
        ),
    ]
    if stack.config.encrypt_alarm_topic:
        calls += _alarm_topic_key_calls(stack, env)
    log_groups = [names.state_machine_log_group, *(job.names.log_group for job in stack.jobs)]
    for group in log_groups:
        calls += _calls(
            "logs:CreateLogGroup logs:TagResource logs:PutRetentionPolicy logs:ListTagsForResource "
            "logs:UntagResource logs:DeleteRetentionPolicy logs:DeleteLogGroup",
            env.arn("logs", f"log-group:{group}"),
            f"{PROVIDER}/logs/group.go",
        )
    for alarm in (names.schedule_dead_letter_alarm, names.janitor_alarm, names.slot_watch_alarm):
        calls += _calls(
            "cloudwatch:PutMetricAlarm cloudwatch:TagResource cloudwatch:DescribeAlarms "
            "cloudwatch:ListTagsForResource cloudwatch:UntagResource cloudwatch:DeleteAlarms",
            env.arn("cloudwatch", f"alarm:{alarm}"),
            f"{PROVIDER}/cloudwatch/metric_alarm.go",
        )
    for rule in (names.janitor_rule,):
        calls += _calls(
            "events:PutRule events:DescribeRule events:ListTagsForResource events:TagResource events:UntagResource "
            "events:DeleteRule events:PutTargets events:ListTargetsByRule events:RemoveTargets",
            env.arn("events", f"rule/{rule}"),
            f"{PROVIDER}/events/rule.go, target.go",
        )
    roles = {
        **{role.name: "ecs-tasks.amazonaws.com" for role in execution_roles(stack, env)},
        names.scheduler_role: "scheduler.amazonaws.com",
        names.janitor_role: "states.amazonaws.com",
        names.janitor_events_role: "events.amazonaws.com",
        names.slot_watch_role: "states.amazonaws.com",
    }
    machines = [names.janitor_state_machine, names.slot_watch_state_machine]
    if stack.jobs:
        roles[names.job_state_machine_role] = "states.amazonaws.com"
    for job in stack.jobs:
        if job.spec.permissions:
            roles[job.names.task_role] = "ecs-tasks.amazonaws.com"
        machines.append(job.names.state_machine)
        definition = env.arn("ecs", f"task-definition/{job.names.task_family}:1")
        calls += _calls(
            "ecs:RegisterTaskDefinition ecs:UntagResource", definition, f"{PROVIDER}/ecs/task_definition.go"
        )
        calls += _calls(
            "ecs:TagResource",
            definition,
            "ECS developer guide, tag on create",
            **{"ecs:CreateAction": "RegisterTaskDefinition"},
        )
        if job.spec.schedule is not None:
            for group in (names.schedule_group, names.slot_watch_schedule_group):  # its schedule and its watch
                calls += _calls(
                    "scheduler:CreateSchedule scheduler:GetSchedule scheduler:UpdateSchedule scheduler:DeleteSchedule",
                    env.arn("scheduler", f"schedule/{group}/{job.names.schedule}"),
                    f"{PROVIDER}/scheduler/schedule.go",
                )
    for name, service in roles.items():
        calls += _calls(
            "iam:CreateRole iam:TagRole iam:PutRolePolicy iam:GetRole iam:ListRolePolicies iam:GetRolePolicy "
            "iam:ListAttachedRolePolicies iam:UpdateAssumeRolePolicy iam:UpdateRoleDescription iam:DeleteRolePolicy "
            "iam:UntagRole iam:ListInstanceProfilesForRole iam:DeleteRole",
            role(name),
            f"{PROVIDER}/iam/role.go",
        )
        calls += _calls(
            "iam:PassRole",
            role(name),
            "RegisterTaskDefinition, CreateStateMachine, CreateSchedule, PutTargets",
            **{"iam:PassedToService": service},
        )
    for machine in machines:
        calls += _calls(
            "states:CreateStateMachine states:DescribeStateMachine states:ListStateMachineVersions "
            "states:ListTagsForResource states:UpdateStateMachine states:TagResource states:UntagResource "
            "states:DeleteStateMachine",
            env.arn("states", f"stateMachine:{machine}"),
            f"{PROVIDER}/sfn/state_machine.go",
        )
    return calls


KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # the id KMS gives the stack's key: random, any will do


def resource_policy(call: Call, env: AwsEnv) -> dict[str, Any] | None:
    """The policy of the resource a call is on, where AWS evaluates one beside the caller's: a KMS key's, which
    must allow a use for IAM policies to count ("Key policies in AWS KMS"). The stack's key has the policy the
    program gives it (its account statement enables IAM policies); so, here, has any other key."""
    if call.action.startswith("kms:") and ":key/" in call.resource:
        return created_key_policy(env)
    return None


def _alarm_topic_key_calls(stack: Stack, env: AwsEnv) -> list[Call]:
    """The key of the stack's topic and its alias (kms/key.go, kms/alias.go): CreateKey with the stack's tags
    (KMS API reference, CreateKey: tags need kms:TagResource too), then the key's reads and updates, each on a
    key that carries the stack's tag; CreateAlias and DeleteAlias on the alias and the key."""
    key = env.arn("kms", f"key/{KEY_ID}")
    alias = env.arn("kms", shared_names(stack.config.name_prefix).alarm_topic_key_alias)
    tag = {"aws:RequestTag/scheduled-jobs:stack": stack.stack, "aws:TagKeys": "scheduled-jobs:stack"}
    tagged = {"aws:ResourceTag/scheduled-jobs:stack": stack.stack}
    source = f"{PROVIDER}/kms/key.go"
    return [
        Call("kms:CreateKey", "*", source, tuple(tag.items())),
        Call("kms:TagResource", "*", f"{source} (tags on create)", tuple(tag.items())),
        Call("kms:ListAliases", "*", f"{PROVIDER}/kms/alias.go"),
        *_calls(
            "kms:DescribeKey kms:GetKeyPolicy kms:GetKeyRotationStatus kms:ListResourceTags kms:PutKeyPolicy "
            "kms:EnableKeyRotation kms:UpdateKeyDescription kms:TagResource kms:UntagResource "
            "kms:ScheduleKeyDeletion kms:CreateAlias kms:DeleteAlias",
            key,
            source,
            **tagged,
        ),
        *_calls("kms:CreateAlias kms:DeleteAlias", alias, f"{PROVIDER}/kms/alias.go"),
    ]


def foreign_calls(stack: Stack, env: AwsEnv) -> list[Call]:
    """What the deploying identity of this stack must not be able to do to another stack (prefix `other`) or
    with another role."""
    other = shared_names("other")
    other_job = job_names("other", "report")
    job = stack.jobs[0].names
    return [
        Call("iam:CreateRole", env.role_arn(other_job.task_role), "another stack's role"),
        Call(
            "iam:PassRole",
            env.role_arn(other_job.task_role),
            "another stack's role",
            (("iam:PassedToService", "ecs-tasks.amazonaws.com"),),
        ),
        # A role of this stack passed to a service that has no business with it.
        Call(
            "iam:PassRole",
            env.role_arn(job.task_role),
            "a task role to Step Functions",
            (("iam:PassedToService", "states.amazonaws.com"),),
        ),
        Call(
            "iam:PassRole",
            env.role_arn("Admin"),
            "an unrelated role",
            (("iam:PassedToService", "ecs-tasks.amazonaws.com"),),
        ),
        Call(
            "states:DeleteStateMachine",
            env.arn("states", f"stateMachine:{other_job.state_machine}"),
            "another stack's machine",
        ),
        Call("dynamodb:DeleteTable", env.arn("dynamodb", f"table/{other.lock_table}"), "another stack's table"),
        Call("scheduler:DeleteSchedule", env.arn("scheduler", f"schedule/{other.schedule_group}/x"), "another group"),
        Call("ecs:DeleteCluster", env.arn("ecs", f"cluster/{other.cluster}"), "another cluster"),
        Call(
            "ecs:TagResource",
            env.arn("ecs", f"task/{shared_names(stack.config.name_prefix).cluster}/abc"),
            "tagging running tasks",
            (("ecs:CreateAction", "RunTask"),),
        ),
        Call("logs:DeleteLogGroup", env.arn("logs", "log-group:/aws/lambda/anything"), "someone else's logs"),
        # A key of another stack, or nobody's: deleting it, or rewriting its policy, would lock its data away.
        *(
            Call(action, env.arn("kms", "key/9999ffff-12ab-34cd-56ef-1234567890ab"), f"a key tagged {tags}", tags)
            for action in ("kms:ScheduleKeyDeletion", "kms:PutKeyPolicy")
            for tags in ((("aws:ResourceTag/scheduled-jobs:stack", "prod"),), ())
        ),
        Call("kms:CreateAlias", env.arn("kms", "alias/other-job-alarms"), "another stack's alias"),
        Call("kms:CreateKey", "*", "a key without the stack's tag"),
    ]
