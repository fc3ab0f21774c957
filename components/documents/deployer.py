"""The policy the identity that runs `pulumi preview` and `pulumi up` needs for one stack: create, read, update
and delete every resource the stack declares, scoped to the stack's names, and pass exactly its roles to the
services that assume them.

The calls come from what the provider (pulumi-aws bridges hashicorp/terraform-provider-aws) makes per resource:
its create, read (every refresh and preview), update and delete functions and its tag interceptor, which
lists tags after every create, read and update (internal/service/<service>/*.go,
internal/provider/sdkv2/tags_interceptor.go). Resource types and the actions that take only "*": Service
Authorization Reference. The provider validates a changed state machine definition on preview
(`states:ValidateStateMachineDefinition`, CustomizeDiff in internal/service/sfn/state_machine.go; terraform-
provider-aws#39472 shows the AccessDenied without it)."""

from __future__ import annotations

from typing import Any

from components.model.arns import AwsEnv
from components.model.aws_constants import DOCUMENT_LIMITS
from components.model.config import StackConfig
from components.model.naming import job_log_group_prefix, shared_names
from components.model.permissions import policy_length
from components.model.tags import STACK_TAG

Document = dict[str, Any]


def _statement(sid: str, actions: list[str], resources: list[str], condition: dict[str, Any] | None = None) -> Document:
    statement: Document = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _pass(sid: str, roles: list[str], service: str) -> Document:
    return _statement(sid, ["iam:PassRole"], roles, {"StringEquals": {"iam:PassedToService": service}})


def _alarm_topic_key(config: StackConfig, env: AwsEnv, stack: str) -> list[Document]:
    """The key the stack creates for its topic (encryptAlarmTopic), whose ARN carries a random id: CreateKey and
    ListAliases take no resource type (SAR, AWS KMS); the key's own calls are scoped to keys tagged with this
    stack's `scheduled-jobs:stack` (created with it: aws:RequestTag; KMS developer guide, "ABAC for AWS KMS"),
    CreateAlias and DeleteAlias also to the alias by name (they need the permission on both: "Controlling
    access to aliases")."""
    if not config.encrypt_alarm_topic:
        return []
    tagged = {"StringEquals": {f"aws:ResourceTag/{STACK_TAG}": stack}}
    return [
        _statement(
            "CreateAlarmTopicKey",
            ["kms:CreateKey", "kms:TagResource"],
            ["*"],
            {"StringEquals": {f"aws:RequestTag/{STACK_TAG}": stack}},
        ),
        _statement("FindAliases", ["kms:ListAliases"], ["*"]),
        _statement(
            "AlarmTopicKey",
            [
                "kms:" + a
                for a in (
                    "DescribeKey",
                    "GetKeyPolicy",
                    "GetKeyRotationStatus",
                    "ListResourceTags",
                    "PutKeyPolicy",
                    "EnableKeyRotation",
                    "UpdateKeyDescription",
                    "TagResource",
                    "UntagResource",
                    "ScheduleKeyDeletion",
                    "CreateAlias",
                    "DeleteAlias",
                )
            ],
            [env.arn("kms", "key/*")],
            tagged,
        ),
        _statement(
            "AlarmTopicKeyAlias",
            ["kms:CreateAlias", "kms:DeleteAlias"],
            [env.arn("kms", shared_names(config.name_prefix).alarm_topic_key_alias)],
        ),
    ]


def deployer_statements(config: StackConfig, env: AwsEnv, stack: str) -> list[Document]:
    """What `pulumi preview` (with refresh) and `pulumi up` of this stack call, and nothing of another stack
    that uses another prefix: every statement, in order, before they are packed into managed policies."""
    prefix, names = config.name_prefix, shared_names(config.name_prefix)
    role = env.role_arn  # IAM: no region
    logs = [
        env.arn("logs", f"log-group:{job_log_group_prefix(prefix)}*"),
        env.arn("logs", f"log-group:{names.state_machine_log_group}"),
    ]
    statements = [
        _statement(
            "LockTable",
            [
                "dynamodb:" + a
                for a in (
                    "CreateTable",
                    "DescribeTable",
                    "UpdateTable",
                    "DeleteTable",
                    "UpdateTimeToLive",
                    "DescribeTimeToLive",
                    "DescribeContinuousBackups",
                    "UpdateContinuousBackups",  # point-in-time recovery
                    "ListTagsOfResource",
                    "TagResource",
                    "UntagResource",
                )
            ],
            [env.arn("dynamodb", f"table/{names.lock_table}")],
        ),
        _statement(
            "AlarmTopic",
            [
                "sns:" + a
                for a in (
                    "CreateTopic",
                    "GetTopicAttributes",
                    "SetTopicAttributes",
                    "DeleteTopic",
                    "ListTagsForResource",
                    "TagResource",
                    "UntagResource",
                    "Subscribe",
                )
            ],
            [env.arn("sns", names.alarm_topic), *([config.alarm_topic_arn] if config.alarm_topic_arn else [])],
        ),
        # Subscription ARNs carry a random id; these actions take no resource type (SAR, Amazon SNS).
        _statement(
            "AlarmSubscriptions",
            ["sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"],
            ["*"],
        ),
        _statement(
            "Cluster",
            [
                "ecs:" + a
                for a in (
                    "CreateCluster",
                    "DescribeClusters",
                    "UpdateCluster",
                    "DeleteCluster",
                    "PutClusterCapacityProviders",
                    "UntagResource",
                )
            ],
            [env.arn("ecs", f"cluster/{names.cluster}")],
        ),
        _statement(
            "TaskDefinitions",
            ["ecs:RegisterTaskDefinition", "ecs:UntagResource"],
            [env.arn("ecs", f"task-definition/{prefix}-*:*")],
        ),
        # Tags on create are authorized as ecs:TagResource (ECS developer guide, "Grant permission to tag
        # resources on creation").
        _statement(
            "TagClusterAndTaskDefinitionsOnCreate",
            ["ecs:TagResource"],
            [env.arn("ecs", f"cluster/{names.cluster}"), env.arn("ecs", f"task-definition/{prefix}-*:*")],
            {"StringEquals": {"ecs:CreateAction": ["CreateCluster", "RegisterTaskDefinition"]}},
        ),
        _statement(
            "ReadAndRetireTaskDefinitions", ["ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"], ["*"]
        ),
        _statement(
            "Roles",
            [
                "iam:" + a
                for a in (
                    "CreateRole",
                    "GetRole",
                    "UpdateRole",
                    "UpdateRoleDescription",
                    "DeleteRole",
                    "UpdateAssumeRolePolicy",
                    "PutRolePolicy",
                    "GetRolePolicy",
                    "DeleteRolePolicy",
                    "ListRolePolicies",
                    "ListAttachedRolePolicies",
                    "ListInstanceProfilesForRole",
                    "TagRole",
                    "UntagRole",
                )
            ],
            [role(f"{prefix}-*")],
        ),
        # The execution role is several past one role's policy size (execution_roles.py): all named `<name>*`.
        _pass(
            "PassRolesToEcsTasks",
            [role(f"{prefix}-*-task"), role(f"{names.execution_role}*")],
            "ecs-tasks.amazonaws.com",
        ),
        # Every state machine role ends in -sfn (the slot watch's too), but the janitor's.
        _pass("PassRolesToStepFunctions", [role(f"{prefix}-*-sfn"), role(names.janitor_role)], "states.amazonaws.com"),
        _pass("PassRoleToScheduler", [role(names.scheduler_role)], "scheduler.amazonaws.com"),
        _pass("PassRolesToEventBridge", [role(f"{prefix}-*-events")], "events.amazonaws.com"),
        _statement(
            "StateMachines",
            [
                "states:" + a
                for a in (
                    "CreateStateMachine",
                    "DescribeStateMachine",
                    "UpdateStateMachine",
                    "DeleteStateMachine",
                    "ListStateMachineVersions",
                    "ListTagsForResource",
                    "TagResource",
                    "UntagResource",
                )
            ],
            [env.arn("states", f"stateMachine:{prefix}-*")],
        ),
        _statement("ValidateDefinitionsOnPreview", ["states:ValidateStateMachineDefinition"], ["*"]),
        _statement(
            "Schedules",
            [
                "scheduler:CreateSchedule",
                "scheduler:GetSchedule",
                "scheduler:UpdateSchedule",
                "scheduler:DeleteSchedule",
            ],
            [
                env.arn("scheduler", f"schedule/{names.schedule_group}/*"),
                env.arn("scheduler", f"schedule/{names.slot_watch_schedule_group}/*"),
            ],
        ),
        _statement(
            "ScheduleGroup",
            [
                "scheduler:" + a
                for a in (
                    "CreateScheduleGroup",
                    "GetScheduleGroup",
                    "DeleteScheduleGroup",
                    "ListTagsForResource",
                    "TagResource",
                    "UntagResource",
                )
            ],
            [
                env.arn("scheduler", f"schedule-group/{names.schedule_group}"),
                env.arn("scheduler", f"schedule-group/{names.slot_watch_schedule_group}"),
            ],
        ),
        _statement(
            "DeadLetterQueue",
            [
                "sqs:" + a
                for a in (
                    "CreateQueue",
                    "GetQueueAttributes",
                    "SetQueueAttributes",
                    "DeleteQueue",
                    "ListQueueTags",
                    "TagQueue",
                    "UntagQueue",
                )
            ],
            [env.arn("sqs", names.schedule_dead_letter_queue)],
        ),
        _statement(
            "Alarms",
            [
                "cloudwatch:" + a
                for a in (
                    "PutMetricAlarm",
                    "DescribeAlarms",
                    "DeleteAlarms",
                    "ListTagsForResource",
                    "TagResource",
                    "UntagResource",
                )
            ],
            [env.arn("cloudwatch", f"alarm:{prefix}-*")],
        ),
        _statement(
            "Dashboards",
            ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
            [f"arn:{env.partition}:cloudwatch::{env.account_id}:dashboard/{names.dashboard}*"],  # no region
        ),
        _statement(
            "LogGroups",
            [
                "logs:" + a
                for a in (
                    "CreateLogGroup",
                    "DeleteLogGroup",
                    "PutRetentionPolicy",
                    "DeleteRetentionPolicy",
                    "ListTagsForResource",
                    "TagResource",
                    "UntagResource",
                )
            ],
            logs,
        ),
        # DescribeLogGroups and the log delivery calls made for a state machine's logging configuration take
        # no resource type (SAR, CloudWatch Logs; Step Functions dev guide, "Logging using CloudWatch Logs").
        _statement(
            "LogDeliveryAndLookups",
            [
                "logs:" + a
                for a in (
                    "DescribeLogGroups",
                    "CreateLogDelivery",
                    "GetLogDelivery",
                    "UpdateLogDelivery",
                    "DeleteLogDelivery",
                    "ListLogDeliveries",
                    "PutResourcePolicy",
                    "DescribeResourcePolicies",
                )
            ],
            ["*"],
        ),
        _statement(
            "Rules",
            [
                "events:" + a
                for a in (
                    "PutRule",
                    "DescribeRule",
                    "DeleteRule",
                    "PutTargets",
                    "RemoveTargets",
                    "ListTargetsByRule",
                    "ListTagsForResource",
                    "TagResource",
                    "UntagResource",
                )
            ],
            [env.arn("events", f"rule/{prefix}-*")],
        ),
    ]
    return [*statements, *_alarm_topic_key(config, env, stack)]


def deployer_policies(config: StackConfig, env: AwsEnv, stack: str) -> list[Document]:
    """The deploying identity's managed policies, `deployer.policy.json` first, then `deployer-2.policy.json` ...
    (deployer_policy_files): its statements in order, a new policy whenever the next statement would take the
    current one past IAM's 6,144 characters per managed policy, white space aside (IAM user guide, "IAM and AWS
    STS quotas"). A named topic, a key of the stack's own or a longer prefix thus moves a statement into another
    policy instead of failing `pulumi up`. Raises ValueError if one statement alone exceeds the limit."""
    limit = DOCUMENT_LIMITS["managed policy"].limit
    documents: list[Document] = []
    for statement in deployer_statements(config, env, stack):
        if policy_length({"Version": "2012-10-17", "Statement": [statement]}) > limit:
            raise ValueError(f"the deployer's statement {statement['Sid']} alone is past {limit:,} characters")
        if (
            documents
            and policy_length({**documents[-1], "Statement": [*documents[-1]["Statement"], statement]}) <= limit
        ):
            documents[-1]["Statement"].append(statement)
        else:
            documents.append({"Version": "2012-10-17", "Statement": [statement]})
    return documents


def deployer_policy_files(config: StackConfig, env: AwsEnv, stack: str) -> dict[str, Document]:
    """The deploying identity's managed policies by the file the plan writes each to (`deployer.policy.json`,
    `deployer-2.policy.json`, ...): every one is attached to the stack's deploy role (docs/ci.md)."""
    return {
        "deployer.policy.json" if index == 1 else f"deployer-{index}.policy.json": document
        for index, document in enumerate(deployer_policies(config, env, stack), start=1)
    }
