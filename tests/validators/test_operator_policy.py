"""jobctl's policy (components/documents/operator.py, `build/<stack>/operator.policy.json`), evaluated by the IAM
simulator: every call jobctl makes, recorded while its commands run against a stack in moto (botocore's
`before-parameter-build` event, so the request's own parameters name the resource), is allowed for that stack; the
self-test's calls are allowed when `selfTest` is on; another stack's resources, the lock janitor and writes jobctl
never makes are refused; and each statement is needed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from components.documents.operator import operator_policy, reader_policy
from components.model.arns import AwsEnv
from components.model.config import StackConfig
from components.model.naming import job_names, shared_names
from jobctl import session as session_module
from tests.support import jobctl_harness as harness
from tests.support.iam_simulator import Request, simulate
from tests.support.jobctl_harness import (
    ENDS_AS_ASKED,
    FAILS,
    HOLDER,
    KEEPS_RUNNING,
    PREFIX,
    REGION,
    SUCCEEDS,
    TIMES_OUT,
    Stack,
    jobctl,
)

stack = harness.stack
ACCOUNT = "123456789012"
ENV = AwsEnv("aws", REGION, ACCOUNT)
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/oncall"
NAMES = shared_names(PREFIX)
# Calls AWS authorizes as another action (SQS developer guide, "Amazon SQS API permissions"), and those that need
# no permission at all (STS API reference, GetCallerIdentity).
_AUTHORIZED_AS = {"sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility"}
_NO_PERMISSION = {"sts:GetCallerIdentity"}
# botocore's signing names that are not the IAM prefix.
_IAM_PREFIX = {"monitoring": "cloudwatch"}
KILLED: dict[str, Any] = {
    "StartAt": "FailRun",
    "States": {
        "FailRun": {
            "Type": "Fail",
            "Error": "Job.NonZeroExit",
            "Cause": "container job exited with code 137 (Essential container in task exited)",
        }
    },
}


def _config(**extra: Any) -> StackConfig:
    base = {"region": REGION, "namePrefix": PREFIX, "image": "app:1", "subnets": ["subnet-0123456789abcdef0"]}
    return StackConfig.model_validate({**base, "securityGroups": ["sg-0123456789abcdef0"], **extra})


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def _resources(action: str, params: dict[str, Any]) -> list[str]:
    """The resources a call is authorized on, from its parameters (Service Authorization Reference's types)."""
    service = action.split(":")[0]
    if "stateMachineArn" in params or "executionArn" in params:
        return [str(params.get("executionArn") or params["stateMachineArn"])]
    if action == "states:ListStateMachines":
        return ["*"]
    if service == "dynamodb":
        tables = [params["TableName"]] if "TableName" in params else list(params.get("RequestItems", {}))
        return [_arn("dynamodb", f"table/{t}") for t in tables]
    if service == "scheduler":
        return [_arn("scheduler", f"schedule/{params['GroupName']}/{params['Name']}")]
    if service == "logs":
        return [_arn("logs", f"log-group:{params['logGroupName']}:log-stream:{params['logStreamName']}")]
    if service == "sqs":
        return [_arn("sqs", params.get("QueueName") or str(params["QueueUrl"]).rsplit("/", 1)[-1])]
    if service == "sns":  # a subscription's calls are authorized on its topic (resource type `topic`)
        return [str(params.get("TopicArn") or str(params["SubscriptionArn"]).rsplit(":", 1)[0])]
    if service == "cloudwatch":
        return [_arn("cloudwatch", f"alarm:{name}") for name in params["AlarmNames"]]
    raise AssertionError(f"no resource rule for {action} {params}")


class Recorder:
    """Every call of every jobctl session, as (IAM action, resource)."""

    def __init__(self) -> None:
        self.calls: set[tuple[str, str]] = set()

    def open_session(self, original: Callable[..., boto3.Session]) -> Callable[..., boto3.Session]:
        def recording(profile: str | None, region: str | None) -> boto3.Session:
            session = original(profile, region)
            session.events.register("before-parameter-build", self._record)
            return session

        return recording

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        prefix = model.service_model.signing_name
        action = f"{_IAM_PREFIX.get(prefix, prefix)}:{model.name}"
        if action in _NO_PERMISSION:
            return
        action = _AUTHORIZED_AS.get(action, action)
        self.calls.update((action, resource) for resource in _resources(action, params))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    calls = Recorder()
    monkeypatch.setattr(session_module, "open_session", calls.open_session(session_module.open_session))
    yield calls


def _dead_letter(queue: str, job: str, slot: str, watch: bool) -> None:
    group = NAMES.slot_watch_schedule_group if watch else NAMES.schedule_group
    body = {"job": job, "slot": slot} if watch else {"scheduledTime": slot}
    attributes = {"SCHEDULE_ARN": _arn("scheduler", f"schedule/{group}/{PREFIX}-{job}"), "ERROR_CODE": "Throttling"}
    boto3.client("sqs").send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(body),
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )


def _tour(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    """Every jobctl command but `selftest` (which runs the canaries: its calls are listed below), each way it reads
    or writes: the plain-words reads of a timeout and of a killed container included."""
    stack.machine("report", ENDS_AS_ASKED)
    stack.machine("slow", KEEPS_RUNNING)
    stack.machine("late", TIMES_OUT)
    stack.machine("broken", FAILS)
    stack.machine("killed", KILLED)
    stack.machine("slot-watch", SUCCEEDS)
    stack.schedule_group()
    stack.schedule("report", "cron(0 6 * * ? *)", "Europe/Berlin")
    stack.write_log("report", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", ["hello"])
    stack.execute("report", "scheduled-1")
    stack.execute("late", "scheduled-1")
    stack.execute("broken", "scheduled-1")
    stack.execute("killed", "scheduled-1")
    queue = boto3.client("sqs").create_queue(QueueName=NAMES.schedule_dead_letter_queue)["QueueUrl"]
    _dead_letter(queue, "report", "2026-11-29T06:00:00Z", watch=False)
    _dead_letter(queue, "report", "2026-11-29T07:00:00Z", watch=True)
    commands = [
        ["ls"],
        ["status"],
        ["status", "report"],
        ["history", "report"],
        ["history", "late", "--execution", "scheduled-1"],
        ["history", "broken"],
        ["history", "killed"],  # exit 137: ECS's container reason from the history
        ["logs", "broken", "--execution", "scheduled-1"],
        ["run", "report", "--wait", "--scheduled-time", "2026-11-30T06:00:00Z"],
        ["logs", "report", "--execution", "scheduled-1"],
        ["pause", "report", "--note", "INC-1"],
        ["resume", "report"],
        ["backfill", "report", "--from", "2026-11-28T00:00:00Z", "--to", "2026-11-30T07:00:00Z"],
        ["dlq"],
        ["dlq", "replay"],
        ["dlq", "delete", "--all", "--yes"],
        ["redrive", "broken"],
        ["rename", "broken", "killed"],
    ]
    for command in commands:
        code, _, err = jobctl(capsys, *command)
        assert code in (0, 1, 3), f"jobctl {' '.join(command)}: {err}"
    running = stack.execute("slow", "scheduled-2", wait=False)
    assert jobctl(capsys, "stop", "slow", "--yes")[0] == 0
    assert stack.status_when_settled(running) == "ABORTED"
    stack.hold_lock("slow", HOLDER, timedelta(hours=1))
    assert jobctl(capsys, "unlock", "slow", "--yes")[0] in (0, 1)


def _outcomes(policy: dict[str, Any], requests: list[tuple[str, str]]) -> list[bool]:
    return _outcomes_each([(policy, requests)])[0]


def _outcomes_each(asked: list[tuple[dict[str, Any], list[tuple[str, str]]]]) -> list[list[bool]]:
    """Each policy's outcomes for its requests, in one run of the simulator (one Node process, not one per policy)."""
    cases = [(Request(OPERATOR, a, r, {}), [policy], None) for policy, requests in asked for a, r in requests]
    outcomes = simulate(cases)
    errors = [f"{c[0]}: {o.errors}" for c, o in zip(cases, outcomes, strict=True) if o.errors]
    assert not errors, "\n".join(errors)
    allowed, found = iter(o.allowed for o in outcomes), []
    for _, requests in asked:
        found.append([next(allowed) for _ in requests])
    return found


# The self-test's own calls (jobctl/selftest.py), beside those of `run`, `status` and `logs`.
def _self_test_calls() -> list[tuple[str, str]]:
    topic = _arn("sns", NAMES.alarm_topic)
    queue = _arn("sqs", f"{PREFIX}-selftest-1765000000")
    task = _arn("ecs", f"task/{NAMES.cluster}/0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    return [
        *((f"sqs:{a}", queue) for a in ("CreateQueue", "GetQueueAttributes", "SetQueueAttributes", "ReceiveMessage")),
        ("sqs:DeleteQueue", queue),
        ("sns:Subscribe", topic),
        ("sns:Unsubscribe", topic),  # authorized on the subscription's topic
        ("ecs:DescribeTasks", task),
        ("states:StartExecution", _arn("states", f"stateMachine:{job_names(PREFIX, 'selftest').state_machine}")),
        ("states:RedriveExecution", _arn("states", f"execution:{job_names(PREFIX, 'selftest').state_machine}:m-1")),
    ]


def _refused() -> list[tuple[str, str]]:
    other = shared_names("prod")
    return [
        ("states:StartExecution", _arn("states", "stateMachine:prod-report")),  # another stack
        ("states:StopExecution", _arn("states", "execution:prod-report:scheduled-1")),
        ("dynamodb:GetItem", _arn("dynamodb", f"table/{other.lock_table}")),
        ("sqs:ReceiveMessage", _arn("sqs", other.schedule_dead_letter_queue)),
        ("sns:ListSubscriptionsByTopic", _arn("sns", other.alarm_topic)),
        ("logs:GetLogEvents", _arn("logs", "log-group:/scheduled-jobs/prod/report:log-stream:job/job/1")),
        ("scheduler:GetSchedule", _arn("scheduler", f"schedule/{other.schedule_group}/prod-report")),
        ("states:StartExecution", _arn("states", f"stateMachine:{NAMES.janitor_state_machine}")),  # by name
        ("states:RedriveExecution", _arn("states", f"execution:{PREFIX}-report:scheduled-1")),  # only the canary
        # nor a nesting prefix's canary
        ("states:RedriveExecution", _arn("states", f"execution:{PREFIX}-eu-selftest:m-1")),
        ("dynamodb:DeleteTable", _arn("dynamodb", f"table/{NAMES.lock_table}")),  # writes jobctl never makes
        ("dynamodb:PutItem", _arn("dynamodb", f"table/{other.lock_table}")),  # rename's writes: this stack only
        ("dynamodb:Scan", _arn("dynamodb", f"table/{other.lock_table}")),
        ("dynamodb:Scan", _arn("dynamodb", f"table/{shared_names('prod-eu').lock_table}")),  # a nesting prefix
        ("sqs:SendMessage", _arn("sqs", NAMES.schedule_dead_letter_queue)),
        ("sns:Publish", _arn("sns", NAMES.alarm_topic)),
        ("states:DeleteStateMachine", _arn("states", f"stateMachine:{PREFIX}-report")),
        ("scheduler:UpdateSchedule", _arn("scheduler", f"schedule/{NAMES.schedule_group}/{PREFIX}-report")),
    ]


@pytest.fixture
def recorded(stack: Stack, recorder: Recorder, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    _tour(stack, capsys)
    return sorted(recorder.calls)


def test_every_call_jobctl_makes_is_allowed_and_what_it_must_not_do_is_refused(
    recorded: list[tuple[str, str]],
) -> None:
    actions = {action for action, _ in recorded}
    # The tour reaches every group of calls (a command that stops calling AWS would shrink this set).
    assert {
        "states:DescribeStateMachineForExecution",
        "states:GetExecutionHistory",
        "states:StopExecution",
        "sns:GetSubscriptionAttributes",
        "cloudwatch:DescribeAlarms",
        "sqs:DeleteMessage",
        "dynamodb:UpdateItem",
        "dynamodb:Scan",
        "logs:GetLogEvents",
        "scheduler:GetSchedule",
    } <= actions
    policy = operator_policy(_config(selfTest=True), ENV)
    allowed = recorded + _self_test_calls()
    refused = _refused()
    outcomes = _outcomes(policy, allowed + refused)
    wrong = [f"{r}: {'allowed' if ok else 'denied'}" for r, ok in zip(allowed, outcomes, strict=False) if not ok]
    wrong += [f"{r}: allowed" for r, ok in zip(refused, outcomes[len(allowed) :], strict=True) if ok]
    assert not wrong, "\n".join(wrong)

    without = operator_policy(_config(scheduleDeadLetterQueue=False), ENV)  # nor the self-test
    self_test_only = ("sns:Subscribe", "sns:Unsubscribe", "states:RedriveExecution")
    gone = [c for c in allowed if c[0].split(":")[0] in ("sqs", "ecs") or c[0] in self_test_only]
    assert not any(_outcomes(without, gone))


def test_deleting_any_statement_refuses_a_call_jobctl_makes(recorded: list[tuple[str, str]]) -> None:
    policy = operator_policy(_config(selfTest=True), ENV)
    needed = recorded + _self_test_calls()
    asked = []
    for index, statement in enumerate(policy["Statement"]):
        mutated = copy.deepcopy(policy)
        del mutated["Statement"][index]
        asked.append((mutated, needed if statement["Effect"] == "Allow" else _refused()))
    survived = [
        statement["Sid"]
        for statement, outcomes in zip(policy["Statement"], _outcomes_each(asked), strict=True)
        if (statement["Effect"] == "Allow" and all(outcomes)) or (statement["Effect"] == "Deny" and not any(outcomes))
    ]
    assert not survived, f"statements no call needs: {survived}"


def test_the_policy_fits_a_managed_policy() -> None:
    shared = "arn:aws:sns:eu-central-1:210987654321:shared-oncall"  # an alarmTopicArn of another account
    document = operator_policy(_config(selfTest=True, alarmTopicArn=shared), ENV)
    assert len(json.dumps(document, separators=(",", ":"))) <= 6144  # IAM quotas: managed policy size
    topics = {r for s in document["Statement"] if s["Sid"] == "AlertSubscriptions" for r in s["Resource"]}
    assert topics == {shared}


# What a reader runs (reader.policy.json): every way `ls`, `status`, `history` and `logs` read.
READER_COMMANDS = [
    ["ls"],
    ["status"],
    ["status", "report"],
    ["history", "report"],
    ["history", "late", "--execution", "scheduled-1"],
    ["history", "killed"],
    ["logs", "report", "--execution", "scheduled-1"],
    ["logs", "broken", "--execution", "scheduled-1"],
]


def _reader_tour(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    for name, definition in (("report", ENDS_AS_ASKED), ("late", TIMES_OUT), ("broken", FAILS), ("killed", KILLED)):
        stack.machine(name, definition)
        stack.execute(name, "scheduled-1")
    stack.schedule_group()
    stack.schedule("report", "cron(0 6 * * ? *)", "Europe/Berlin")
    stack.write_log("report", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", ["hello"])
    stack.hold_lock("late", HOLDER, timedelta(hours=1))
    for command in READER_COMMANDS:
        code, _, err = jobctl(capsys, *command)
        assert code in (0, 1, 3), f"jobctl {' '.join(command)}: {err}"


def test_the_reader_policy_allows_every_read_and_no_start_stop_or_write(
    stack: Stack, recorder: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    _reader_tour(stack, capsys)
    reads = sorted(recorder.calls)
    assert {"states:GetExecutionHistory", "logs:GetLogEvents", "dynamodb:BatchGetItem", "scheduler:GetSchedule"} <= {
        action for action, _ in reads
    }
    policy = reader_policy(_config(selfTest=True), ENV)
    denied = [r for r, ok in zip(reads, _outcomes(policy, reads), strict=True) if not ok]
    assert not denied, denied
    job_machine = _arn("states", f"stateMachine:{PREFIX}-report")
    table = _arn("dynamodb", f"table/{NAMES.lock_table}")
    writes = [
        ("states:StartExecution", job_machine),
        ("states:StopExecution", _arn("states", f"execution:{PREFIX}-report:scheduled-1")),
        ("states:RedriveExecution", _arn("states", f"execution:{PREFIX}-selftest:m-1")),
        *((f"dynamodb:{a}", table) for a in ("UpdateItem", "DeleteItem", "PutItem", "Scan")),
        ("sqs:ReceiveMessage", _arn("sqs", NAMES.schedule_dead_letter_queue)),  # `dlq` hides what it lists a while
        ("sns:Subscribe", _arn("sns", NAMES.alarm_topic)),
        ("states:DescribeExecution", _arn("states", "execution:prod-report:scheduled-1")),  # another stack
    ]
    assert not any(_outcomes(policy, writes + _refused()))
    # Each of its statements is needed by some read.
    without_each = [
        ({**policy, "Statement": policy["Statement"][:i] + policy["Statement"][i + 1 :]}, reads)
        for i in range(len(policy["Statement"]))
    ]
    unneeded = [
        statement["Sid"]
        for statement, outcomes in zip(policy["Statement"], _outcomes_each(without_each), strict=True)
        if all(outcomes)
    ]
    assert not unneeded, f"statements no read needs: {unneeded}"


def test_the_operator_policy_grants_all_the_reader_does() -> None:
    operator, reader = operator_policy(_config(selfTest=True), ENV), reader_policy(_config(selfTest=True), ENV)
    assert [s for s in reader["Statement"] if s not in operator["Statement"]] == []
