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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.model.naming import job_names, shared_names
from jobctl import commands
from jobctl.cli import main

PREFIX = "dev"
REGION = "eu-central-1"
ROLE = "arn:aws:iam::123456789012:role/dev-job-sfn"
HOLDER = f"arn:aws:states:{REGION}:123456789012:execution:dev-report:scheduled-7"
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
        self.lock_table = shared_names(PREFIX).lock_table
        self.table(self.lock_table, "LockId")
        self.table(ECS_STAND_IN_TABLE, "id")
        self.dynamodb.put_item(TableName=ECS_STAND_IN_TABLE, Item={"id": {"S": "task"}, "TaskArn": {"S": TASK_ARN}})
        self.machine("lock-janitor", ECHOES_INPUT)

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
        deadline = time.monotonic() + 10
        while wait and self.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"{arn} still running"
            time.sleep(0.05)
        return arn

    def stop(self, execution_arn: str, cause: str = "stopped by an operator") -> None:
        """StopExecution once the run is really under way: moto 5 fails a stop that comes before its
        worker thread has set the execution up (AttributeError in ExecutionWorker.stop)."""
        deadline = time.monotonic() + 10
        while not any(e["type"] == "WaitStateEntered" for e in self._history(execution_arn)):
            assert time.monotonic() < deadline, f"{execution_arn} never started waiting"
            time.sleep(0.05)
        self.sfn.stop_execution(executionArn=execution_arn, error="Manual", cause=cause)

    def _history(self, execution_arn: str) -> list[dict[str, Any]]:
        return list(self.sfn.get_execution_history(executionArn=execution_arn)["events"])

    def hold_lock(self, job: str, holder: str, expires_in: timedelta) -> None:
        """The item AcquireLock writes (components.documents.job_machine)."""
        expires = int((datetime.now(UTC) + expires_in).timestamp())
        item = {
            "LockId": {"S": job},
            "ExecutionArn": {"S": holder},
            "AcquiredAt": {"S": "2026-11-25T08:00:00.123Z"},
            "ExpiresAt": {"N": str(expires)},
        }
        self.dynamodb.put_item(TableName=self.lock_table, Item=item)

    def lock_item(self, job: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(TableName=self.lock_table, Key={"LockId": {"S": job}}).get("Item")
        return dict(item) if item else None

    def write_log(self, job: str, task_id: str, lines: list[str]) -> None:
        group, stream = job_names(PREFIX, job).log_group, f"job/job/{task_id}"
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        start = int(time.time() * 1000)
        events = [{"timestamp": start + i, "message": line} for i, line in enumerate(lines)]
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
    monkeypatch.setattr(commands, "POLL_SECONDS", 0.05)
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
