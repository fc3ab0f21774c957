"""The policy of the identity that runs `jobctl` for one stack (rendered as `build/<stack>/operator.policy.json`,
not deployed: attach it to your on-call role). Each statement is one group of the calls jobctl makes (docs/jobctl.md,
"AWS calls per command"), scoped to the stack's names; `tests/validators/test_operator_policy.py` records every
call jobctl makes on moto and simulates each against this policy, and what it must not do.

Resource types per action: Service Authorization Reference. `sts:GetCallerIdentity` needs no permission (STS API
reference). SQS's ChangeMessageVisibilityBatch and DeleteMessageBatch are authorized as sqs:ChangeMessageVisibility
and sqs:DeleteMessage (SQS developer guide, "Amazon SQS API permissions: Actions and resource reference").
The job machines are `<prefix>-<job>`, so `<prefix>-*` also matches the machines of a stack whose prefix starts
with `<prefix>-` (docs/security.md); the lock janitor, also `<prefix>-*`, is refused by name: started by hand
with made-up input it would release a live run's lock."""

from __future__ import annotations

from typing import Any

from components.model.arns import AwsEnv
from components.model.config import StackConfig
from components.model.naming import job_log_group_prefix, job_names, shared_names
from components.model.self_test import CANARY

Document = dict[str, Any]


def _allow(sid: str, actions: list[str], resources: list[str]) -> Document:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}


def alert_topic_arn(config: StackConfig, env: AwsEnv) -> str:
    """The topic the stack's alerts go to: `alarmTopicArn`, or the stack's own `<prefix>-job-alarms`."""
    return config.alarm_topic_arn or env.arn("sns", shared_names(config.name_prefix).alarm_topic)


def operator_policy(config: StackConfig, env: AwsEnv) -> Document:
    """What every jobctl command needs for this stack (with `selfTest: true`, also `jobctl selftest`), and nothing
    of a stack with another prefix. Fits a managed policy (6,144 characters, IAM quotas)."""
    prefix, names = config.name_prefix, shared_names(config.name_prefix)
    machines = env.arn("states", f"stateMachine:{prefix}-*")
    executions = env.arn("states", f"execution:{prefix}-*:*")
    topic = alert_topic_arn(config, env)
    statements = [
        # ListStateMachines has no resource type: it lists the region's machines (jobctl keeps the prefix's).
        _allow("ListStateMachines", ["states:ListStateMachines"], ["*"]),
        _allow(
            "JobStateMachines",
            ["states:DescribeStateMachine", "states:ListExecutions", "states:StartExecution"],
            [machines],
        ),
        _allow(
            "JobRuns",
            [
                "states:DescribeExecution",
                "states:DescribeStateMachineForExecution",
                "states:GetExecutionHistory",
                "states:StopExecution",
            ],
            [executions],
        ),
        _allow("Schedules", ["scheduler:GetSchedule"], [env.arn("scheduler", f"schedule/{names.schedule_group}/*")]),
        _allow(
            "LockTable",
            ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [env.arn("dynamodb", f"table/{names.lock_table}")],
        ),
        # `jobctl rename` (jobctl/state_rename.py): a job's claims are partition keys of their own, so finding the
        # old name's takes a Scan; each is copied with PutItem under the new name.
        _allow(
            "RenameJobState", ["dynamodb:Scan", "dynamodb:PutItem"], [env.arn("dynamodb", f"table/{names.lock_table}")]
        ),
        _allow(
            "JobLogs",
            ["logs:GetLogEvents"],
            [env.arn("logs", f"log-group:{job_log_group_prefix(prefix)}*:log-stream:*")],
        ),
        # `status` and `selftest` find the alert topic in the stack's alarms' actions, then read its subscriptions.
        _allow(
            "AlarmsTopic",
            ["cloudwatch:DescribeAlarms"],
            [
                env.arn("cloudwatch", f"alarm:{name}")
                for name in (names.janitor_alarm, names.slot_watch_alarm, names.schedule_dead_letter_alarm)
            ],
        ),
        # GetSubscriptionAttributes (and the self-test's Unsubscribe) name a subscription, `<topic ARN>:<id>`, and
        # are authorized on its topic (Service Authorization Reference: resource type `topic`).
        _allow(
            "AlertSubscriptions",
            ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes"],
            [topic],
        ),
    ]
    if config.schedule_dead_letter_queue:
        statements.append(
            _allow(
                "DeadLetterQueue",
                ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"],
                [env.arn("sqs", names.schedule_dead_letter_queue)],
            )
        )
    if config.self_test:
        statements += _self_test(config, env, topic)
    statements.append(
        {
            "Sid": "NotTheLockJanitor",
            "Effect": "Deny",
            "Action": ["states:StartExecution"],
            "Resource": [env.arn("states", f"stateMachine:{names.janitor_state_machine}")],
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


def _self_test(config: StackConfig, env: AwsEnv, topic: str) -> list[Document]:
    """`jobctl selftest` (jobctl/selftest.py): a temporary queue subscribed to the topic, the canaries' tasks."""
    prefix = config.name_prefix
    cluster = config.cluster_name or shared_names(prefix).cluster
    return [
        _allow(
            "SelfTestQueue",
            [
                "sqs:CreateQueue",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:ReceiveMessage",
                "sqs:DeleteQueue",
            ],
            [env.arn("sqs", f"{prefix}-selftest-*")],
        ),
        _allow("SelfTestSubscription", ["sns:Subscribe", "sns:Unsubscribe"], [topic]),
        _allow("SelfTestTasks", ["ecs:DescribeTasks"], [env.arn("ecs", f"task/{cluster}/*")]),
        # The redrive scenario presses the console's Redrive on a stopped canary run; no job's execution: `jobctl
        # redrive` starts a new run instead (docs/jobctl.md). RedriveExecution's resource type is `execution`
        # (Service Authorization Reference, AWS Step Functions).
        _allow(
            "SelfTestRedrive",
            ["states:RedriveExecution"],
            [env.arn("states", f"execution:{job_names(prefix, CANARY).state_machine}:*")],
        ),
    ]
