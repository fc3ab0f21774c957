"""A deployed stack for jobctl's tests, in moto: real boto3 calls to moto's Step Functions (which executes
simple Pass, Wait, Succeed and Fail definitions), DynamoDB (the lock table) and CloudWatch Logs.

moto cannot run the jobs' real definitions here (no `ecs:runTask.sync`, JSONata is a stub; see
moto_harness.py), so each test job's state machine is a small JSONPath stand-in that ends the way a
real run ends: the output of a successful run (`taskArn`), of a skip (`outcome: skipped`), or a failure
with the error and cause FailRun reports.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from components.model.naming import job_names, shared_names
from jobctl import session as session_module
from jobctl.cli import main
from jobctl.commands import common

PREFIX = "dev"
REGION = "eu-central-1"
ROLE = "arn:aws:iam::123456789012:role/dev-job-sfn"
HOLDER = f"arn:aws:states:{REGION}:123456789012:execution:dev-report:scheduled-7"
ONCALL = "oncall@example.com"
TASK_ARN = f"arn:aws:ecs:{REGION}:123456789012:task/dev-jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0"

SUCCEEDS: dict[str, Any] = {
    "StartAt": "RunJob",
    "States": {"RunJob": {"Type": "Pass", "Result": {"taskArn": TASK_ARN, "exitCode": 0}, "End": True}},
}
SKIPS: dict[str, Any] = {
    "StartAt": "SkippedAlreadyRunning",
    "States": {
        "SkippedAlreadyRunning": {
            "Type": "Pass",
            "Result": {"outcome": "skipped", "reason": "already running: another execution holds the lock of report"},
            "End": True,
        }
    },
}
FAILS: dict[str, Any] = {
    "StartAt": "FailRun",
    "States": {"FailRun": {"Type": "Fail", "Error": "Job.NonZeroExit", "Cause": "container job exited with code 3"}},
}
ENDS_AS_ASKED: dict[str, Any] = {
    "StartAt": "Ends",
    "States": {
        "Ends": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.ends", "StringEquals": "fail", "Next": "FailRun"},
                {"Variable": "$.ends", "StringEquals": "skip", "Next": "SkippedAlreadyRunning"},
            ],
            "Default": "RunJob",
        },
        **SUCCEEDS["States"],
        **SKIPS["States"],
        **FAILS["States"],
    },
}
ECHOES_INPUT: dict[str, Any] = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
KEEPS_RUNNING: dict[str, Any] = {
    "StartAt": "RunJob",
    "States": {"RunJob": {"Type": "Wait", "Seconds": 120, "End": True}},
}
TIMES_OUT: dict[str, Any] = {
    "TimeoutSeconds": 1,
    "StartAt": "RunJob",
    "States": {"RunJob": {"Type": "Wait", "Seconds": 30, "End": True}},
}
# moto has no ecs:runTask.sync. A dynamodb:getItem Task stands in for it: its TaskSucceeded history event
# carries the task ARN in its output, as runTask.sync's TaskSucceeded event carries the stopped task.
ECS_STAND_IN_TABLE = "ecs-stand-in"
FAILS_AFTER_TASK: dict[str, Any] = {
    "StartAt": "RunJob",
    "States": {
        "RunJob": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": ECS_STAND_IN_TABLE, "Key": {"id": {"S": "task"}}},
            "Next": "FailRun",
        },
        **FAILS["States"],
    },
}


class Stack:
    """A deployed stack as jobctl finds it: state machines, lock table and log groups in moto."""

    def __init__(self) -> None:
        self.sfn = boto3.client("stepfunctions")
        self.dynamodb = boto3.client("dynamodb")
        self.logs = boto3.client("logs")
        self.scheduler = boto3.client("scheduler")
        self.started: list[str] = []
        self.lock_table = shared_names(PREFIX).lock_table
        self.table(self.lock_table, "LockId")
        self.table(ECS_STAND_IN_TABLE, "id")
        self.dynamodb.put_item(TableName=ECS_STAND_IN_TABLE, Item={"id": {"S": "task"}, "TaskArn": {"S": TASK_ARN}})
        self.machine("lock-janitor", ECHOES_INPUT)
        self.alerts()

    def alerts(self, emails: tuple[str, ...] = (ONCALL,)) -> str:
        """The alert topic with its e-mail subscriptions and the janitor's alarm notifying it, as SharedInfra
        deploys them (moto confirms a subscription at once, authenticated: tests change that where it matters)."""
        sns = boto3.client("sns")
        topic = str(sns.create_topic(Name=shared_names(PREFIX).alarm_topic)["TopicArn"])
        for email in emails:
            sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=email)
        boto3.client("cloudwatch").put_metric_alarm(
            AlarmName=shared_names(PREFIX).janitor_alarm,
            Namespace="AWS/States",
            MetricName="ExecutionsFailed",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[topic],
            OKActions=[topic],
        )
        return topic

    def table(self, name: str, key: str) -> None:
        self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def machine(self, job: str, definition: dict[str, Any], prefix: str = PREFIX) -> str:
        name = f"{prefix}-{job}"
        arn = self.sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
        if job != "lock-janitor":
            self.logs.create_log_group(logGroupName=job_names(prefix, job).log_group)
        return str(arn["stateMachineArn"])

    def execute(self, job: str, name: str, wait: bool = True, ends: str = "") -> str:
        machine = f"arn:aws:states:{REGION}:123456789012:stateMachine:{PREFIX}-{job}"
        run_input = json.dumps({"ends": ends})
        arn = str(self.sfn.start_execution(stateMachineArn=machine, name=name, input=run_input)["executionArn"])
        self.started.append(arn)
        deadline = time.monotonic() + 10
        while wait and self.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"{arn} still running"
            time.sleep(0.05)
        return arn

    def wait_for_all(self) -> None:
        """Until every run started with `execute` has ended (moto runs each in a thread of its own)."""
        deadline = time.monotonic() + 120
        for arn in self.started:
            while self.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                assert time.monotonic() < deadline, f"{arn} still running"
                time.sleep(0.02)

    def schedule_group(self) -> None:
        self.scheduler.create_schedule_group(Name=shared_names(PREFIX).schedule_group)

    def schedule(self, job: str, expression: str, timezone: str, enabled: bool = True) -> None:
        """The job's schedule as the program declares it (components/resources/scheduled_job.py)."""
        names = job_names(PREFIX, job)
        self.scheduler.create_schedule(
            Name=names.schedule,
            GroupName=shared_names(PREFIX).schedule_group,
            ScheduleExpression=expression,
            ScheduleExpressionTimezone=timezone,
            State="ENABLED" if enabled else "DISABLED",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": f"arn:aws:states:{REGION}:123456789012:stateMachine:{names.state_machine}", "RoleArn": ROLE},
        )

    def stop(self, execution_arn: str, cause: str = "stopped by an operator") -> None:
        """StopExecution once the run is really under way (see stop_when_waiting)."""
        self.stop_when_waiting(execution_arn)
        self.sfn.stop_execution(executionArn=execution_arn, error="Manual", cause=cause)

    def status_when_settled(self, execution_arn: str) -> str:
        """The run's status once a stop has taken effect (moto ends a stopped run in its worker thread)."""
        deadline = time.monotonic() + 10
        while (status := str(self.sfn.describe_execution(executionArn=execution_arn)["status"])) == "RUNNING":
            if time.monotonic() > deadline:
                return status
            time.sleep(0.05)
        return status

    def stop_when_waiting(self, execution_arn: str) -> None:
        """Until the run waits in its Wait state: moto 5 fails a stop that comes before its worker thread has
        set the execution up (AttributeError in ExecutionWorker.stop)."""
        deadline = time.monotonic() + 10
        while not any(e["type"] == "WaitStateEntered" for e in self._history(execution_arn)):
            assert time.monotonic() < deadline, f"{execution_arn} never started waiting"
            time.sleep(0.05)

    def _history(self, execution_arn: str) -> list[dict[str, Any]]:
        return list(self.sfn.get_execution_history(executionArn=execution_arn)["events"])

    def hold_lock(self, job: str, holder: str, expires_in: timedelta) -> None:
        """The item AcquireLock writes (components.documents.job_machine)."""
        expires = int((datetime.now(UTC) + expires_in).timestamp())
        item = {
            "LockId": {"S": job},
            "ExecutionArn": {"S": holder},
            "AcquiredAt": {"S": "2026-11-25T08:00:00.123Z"},
            "LockExpiresAt": {"N": str(expires)},
        }
        self.dynamodb.put_item(TableName=self.lock_table, Item=item)

    def lock_item(self, job: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(TableName=self.lock_table, Key={"LockId": {"S": job}}).get("Item")
        return dict(item) if item else None

    def write_log(self, job: str, task_id: str, lines: list[str]) -> None:
        start = datetime.now(UTC)
        self.write_log_at(job, task_id, [(start + timedelta(milliseconds=i), line) for i, line in enumerate(lines)])

    def write_log_at(self, job: str, task_id: str, lines: list[tuple[datetime, str]]) -> None:
        """The container's log stream (awslogs: `job/<container>/<task id>`) with these events."""
        group, stream = job_names(PREFIX, job).log_group, f"job/job/{task_id}"
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        self._put(group, stream, lines)

    def append_log(self, job: str, task_id: str, lines: list[str]) -> None:
        start = datetime.now(UTC) + timedelta(milliseconds=100)
        lines_at = [(start + timedelta(milliseconds=i), line) for i, line in enumerate(lines)]
        self._put(job_names(PREFIX, job).log_group, f"job/job/{task_id}", lines_at)

    def _put(self, group: str, stream: str, lines: list[tuple[datetime, str]]) -> None:
        events = [{"timestamp": int(at.timestamp() * 1000), "message": line} for at, line in lines]
        self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "SCHEDULED_JOBS_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    fake_aws_env(monkeypatch)
    monkeypatch.setenv("SCHEDULED_JOBS_PREFIX", PREFIX)
    monkeypatch.setattr(common, "POLL_SECONDS", 0.05)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield Stack()


def table_rows(text: str) -> list[dict[str, str]]:
    """A jobctl table as one dict per row, cut at the header's column starts."""
    header, *rows = text.splitlines()
    starts = [0] + [m.end() for m in re.finditer(r"  +", header)]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    names = [header[a:b].strip() for a, b in bounds]
    return [{name: row[a:b].strip() for name, (a, b) in zip(names, bounds, strict=True)} for row in rows]


def jobctl(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def jobctl_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, _ = jobctl(capsys, *argv, "--json")
    return code, json.loads(out)


class AwsCalls:
    """Every AWS call jobctl makes, counted with botocore's `before-call` event (once per call, however often it
    is retried) and `before-send` (once per HTTP attempt), on the session jobctl opens; and throttling on demand:
    `throttle` answers chosen calls with ThrottlingException as AWS does when a quota's bucket is empty."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self._throttled: list[tuple[str, str, int | None]] = []  # (operation, text in the request, attempts)
        self._seen: Counter[tuple[str, str]] = Counter()

    def throttle(self, operation: str, about: str = "", attempts: int | None = None) -> None:
        """Throttle `operation` calls whose request mentions `about`: every attempt (None: as if past every
        retry), or only the first `attempts` of each call, which botocore's retries then get past."""
        self._throttled.append((operation, about, attempts))

    def open_session(self, original: Callable[..., boto3.Session]) -> Callable[..., boto3.Session]:
        def counted(profile: str | None, region: str | None) -> boto3.Session:
            session = original(profile, region)
            session.events.register("before-call", self._before_call)
            session.events.register_first("before-send", self._before_send)
            return session

        return counted

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.calls[model.name] += 1
        body = params.get("body", b"")
        text = body.decode() if isinstance(body, bytes) else str(body)
        for operation, about, attempts in self._throttled:
            if attempts is None and operation == model.name and about in text:
                return AWSResponse("https://throttled.invalid", 400, {}, None), _throttling(model.name)
        return None

    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        operation = str(request.headers.get("X-Amz-Target", b"").decode().rsplit(".", 1)[-1])
        self.attempts[operation] += 1
        text = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        for throttled, about, attempts in self._throttled:
            if attempts is not None and throttled == operation and about in text:
                self._seen[(operation, text)] += 1
                if self._seen[(operation, text)] <= attempts:
                    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
                    return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, _Raw(body))
        return None


class _Raw:
    """The raw body botocore reads from a response."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _throttling(operation: str) -> dict[str, Any]:
    return {
        "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
        "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": 9},
    }


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> AwsCalls:
    """Counts (and on demand throttles) the calls of every jobctl command the test runs."""
    calls = AwsCalls()
    monkeypatch.setattr(session_module, "open_session", calls.open_session(session_module.open_session))
    # Retry backoff is real time (up to 20 s a wait); the attempts are what is tested, not the waits.
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)
    return calls
