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


def _read_statements(config: StackConfig, env: AwsEnv) -> list[Document]:
    """What `jobctl ls`, `status`, `history` and `logs` read for this stack: no start, stop or write."""
    prefix, names = config.name_prefix, shared_names(config.name_prefix)
    table = env.arn("dynamodb", f"table/{names.lock_table}")
    return [
        # ListStateMachines has no resource type: it lists the region's machines (jobctl keeps the prefix's).
        _allow("ListStateMachines", ["states:ListStateMachines"], ["*"]),
        _allow(
            "ReadJobStateMachines",
            ["states:DescribeStateMachine", "states:ListExecutions"],
            [env.arn("states", f"stateMachine:{prefix}-*")],
        ),
        _allow(
            "ReadJobRuns",
            ["states:DescribeExecution", "states:DescribeStateMachineForExecution", "states:GetExecutionHistory"],
            [env.arn("states", f"execution:{prefix}-*:*")],
        ),
        _allow("Schedules", ["scheduler:GetSchedule"], [env.arn("scheduler", f"schedule/{names.schedule_group}/*")]),
        _allow("ReadLockTable", ["dynamodb:BatchGetItem", "dynamodb:GetItem"], [table]),
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
            [alert_topic_arn(config, env)],
        ),
    ]


def reader_policy(config: StackConfig, env: AwsEnv) -> Document:
    """What `jobctl ls`, `status`, `history` and `logs` need for this stack (rendered as
    `build/<stack>/reader.policy.json`): reads only, so a dashboard or a team that watches its jobs can start,
    stop, pause or unlock nothing. A subset of `operator_policy`."""
    return {"Version": "2012-10-17", "Statement": _read_statements(config, env)}


def operator_policy(config: StackConfig, env: AwsEnv) -> Document:
    """What every jobctl command needs for this stack (with `selfTest: true`, also `jobctl selftest`), and nothing
    of a stack with another prefix: the reader's statements and the writes. Fits a managed policy (6,144
    characters, IAM quotas)."""
    prefix, names = config.name_prefix, shared_names(config.name_prefix)
    table = env.arn("dynamodb", f"table/{names.lock_table}")
    topic = alert_topic_arn(config, env)
    statements = [
        *_read_statements(config, env),
        _allow("StartJobs", ["states:StartExecution"], [env.arn("states", f"stateMachine:{prefix}-*")]),
        _allow("StopJobRuns", ["states:StopExecution"], [env.arn("states", f"execution:{prefix}-*:*")]),
        # pause, resume, unlock; `jobctl rename` (jobctl/state_rename.py): a job's claims are partition keys of
        # their own, so finding the old name's takes a Scan; each is copied with PutItem under the new name.
        _allow(
            "WriteLockTable",
            ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:PutItem"],
            [table],
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
