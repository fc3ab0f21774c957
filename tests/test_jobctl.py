"""jobctl against moto: real boto3 calls to moto's Step Functions (which executes simple Pass, Wait,
Succeed and Fail definitions), DynamoDB (the lock table) and CloudWatch Logs. Assertions are on what a user
sees: the table text, the JSON fields, the exit code, and the lock table afterwards.

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
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.naming import job_names, shared_names
from jobctl import commands
from jobctl.cli import main
from jobctl.runs import task_arns_from_history

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
        """The item AcquireLock writes (components.asl)."""
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


def _fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
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
    _fake_aws_env(monkeypatch)
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


# --- run ---------------------------------------------------------------------------------------------


def test_run_wait_exits_0_and_shows_the_succeeded_run(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, out, err = jobctl(capsys, "run", "report", "--wait")

    assert code == 0
    (run,) = table_rows(out)
    assert list(run) == ["run", "start (UTC)", "duration", "outcome", "error"]
    assert run["run"].startswith("manual-") and (run["outcome"], run["error"]) == ("succeeded", "")
    assert "waiting for it to end" in err


def test_run_passes_each_input_as_container_environment(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", ECHOES_INPUT)

    code, started = jobctl_json(capsys, "run", "report", "--input", "DRY_RUN=1", "--input", "DAY=2026-11-24=x")

    assert code == 0
    assert started["name"].startswith("manual-") and started["execution_arn"].endswith(started["name"])
    execution = stack.sfn.describe_execution(executionArn=started["execution_arn"])
    assert json.loads(execution["input"]) == {"environment": {"DRY_RUN": "1", "DAY": "2026-11-24=x"}}


def test_run_without_wait_prints_the_run_and_its_console_link(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, out, _ = jobctl(capsys, "run", "report")

    assert code == 0
    first, link = out.splitlines()
    assert first.startswith("started report run manual-")
    assert link.strip().startswith(f"https://{REGION}.console.aws.amazon.com/states/home?region={REGION}#/v2/")


def test_run_names_are_unique_within_one_second(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    names = {jobctl_json(capsys, "run", "report")[1]["name"] for _ in range(3)}

    assert len(names) == 3


def test_run_wait_exits_3_when_skipped_because_already_running(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SKIPS)

    code, run = jobctl_json(capsys, "run", "report", "--wait")

    assert code == 3
    assert run["outcome"] == "skipped"
    assert run["cause"] == "already running: another execution holds the lock of report"


def test_run_wait_exits_1_and_shows_error_and_cause_when_failed(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", FAILS)

    code, out, _ = jobctl(capsys, "run", "report", "--wait")

    assert code == 1
    (run,) = table_rows(out)
    assert (run["outcome"], run["error"]) == ("failed", "Job.NonZeroExit: container job exited with code 3")


def test_run_wait_exits_1_when_timed_out(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", TIMES_OUT)  # moto times the execution out after 1 real second

    code, run = jobctl_json(capsys, "run", "report", "--wait")

    assert (code, run["outcome"]) == (1, "timed_out")


def test_run_rejects_an_input_without_equals_sign(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, _, err = jobctl(capsys, "run", "report", "--input", "DRY_RUN")

    assert code == 2
    assert "--input 'DRY_RUN': expected KEY=VALUE" in err
    assert stack.sfn.list_executions(stateMachineArn=stack.machine("other", SUCCEEDS))["executions"] == []


# --- finding jobs, errors ------------------------------------------------------------------------------


def test_unknown_job_lists_the_known_jobs_of_the_prefix(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.machine("cleanup", SUCCEEDS)
    stack.machine("other", SUCCEEDS, prefix="prod")

    code, out, err = jobctl(capsys, "history", "reprot")

    assert (code, out) == (2, "")
    assert err == "jobctl: no job 'reprot' under prefix 'dev'; known jobs: cleanup, report\n"


def test_status_shows_only_the_jobs_of_its_own_prefix(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.machine("other", SUCCEEDS, prefix="prod")
    stack.machine("lock-janitor", ECHOES_INPUT, prefix="dev-eu")  # stack "dev-eu" shares the "dev-" prefix
    stack.machine("report", SUCCEEDS, prefix="dev-eu")

    code, status = jobctl_json(capsys, "status")

    assert code == 0
    assert [job["job"] for job in status["jobs"]] == ["report"]


def test_no_credentials_is_said_plainly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _fake_aws_env(monkeypatch)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    code, _, err = jobctl(capsys, "status", "--prefix", "dev")

    assert code == 4
    assert err.startswith("jobctl: no AWS credentials found: set AWS_PROFILE")


def test_missing_prefix_asks_for_one(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _fake_aws_env(monkeypatch)

    code, _, err = jobctl(capsys, "status")

    assert code == 2
    assert "no stack prefix: pass --prefix" in err


def test_options_work_before_and_after_the_command(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.machine("report", SUCCEEDS, prefix="prod")
    stack.machine("lock-janitor", ECHOES_INPUT, prefix="prod")
    stack.table(shared_names("prod").lock_table, "LockId")

    before = json.loads(jobctl(capsys, "--json", "--prefix", "prod", "status")[1])
    after = json.loads(jobctl(capsys, "status", "--json", "--prefix", "prod")[1])

    assert before == after
    assert before["prefix"] == "prod"


# --- status and history --------------------------------------------------------------------------------


def test_status_shows_each_jobs_latest_run_earlier_outcomes_and_lock(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", ENDS_AS_ASKED)
    stack.execute("report", "scheduled-1", ends="fail")
    stack.execute("report", "scheduled-2", ends="succeed")
    stack.execute("report", "scheduled-3", ends="skip")
    stack.hold_lock("report", HOLDER, expires_in=timedelta(hours=-1))
    stack.machine("cleanup", KEEPS_RUNNING)
    holder = stack.execute("cleanup", "scheduled-1", wait=False)
    stack.hold_lock("cleanup", holder, expires_in=timedelta(hours=1))
    stack.machine("never", SUCCEEDS)

    code, out, _ = jobctl(capsys, "status")
    stack.stop(holder)

    assert code == 0
    cleanup, never, report = table_rows(out)
    assert (cleanup["job"], cleanup["outcome"], cleanup["earlier runs"]) == ("cleanup", "running", "-")
    assert cleanup["lock"].startswith("held by scheduled-1 until ")
    assert (never["last start (UTC)"], never["lock"]) == ("never run", "free")
    assert report["outcome"] == "skipped (already running)"
    assert report["earlier runs"] == "succeeded, failed"
    assert report["lock"].startswith("expired (was scheduled-7, expired ")


def test_status_json_has_stable_fields_for_runs_and_lock(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", KEEPS_RUNNING)
    stack.machine("cleanup", SUCCEEDS)
    holder = stack.execute("report", "scheduled-1", wait=False)
    stack.hold_lock("report", holder, expires_in=timedelta(minutes=30))
    stack.execute("cleanup", "scheduled-1")

    code, status = jobctl_json(capsys, "status")
    stack.stop(holder)

    assert code == 0
    assert (status["prefix"], status["region"]) == ("dev", REGION)
    cleanup, report = status["jobs"]
    assert cleanup["lock"] == {"state": "free"}
    assert cleanup["runs"][0]["outcome"] == "succeeded"
    assert cleanup["runs"][0]["task_arn"] == TASK_ARN
    assert set(cleanup["runs"][0]) == {
        "name", "execution_arn", "outcome", "started_at", "stopped_at", "duration_seconds", "error", "cause", "task_arn"
    }  # fmt: skip
    assert report["state_machine_arn"].endswith(":stateMachine:dev-report")
    assert report["runs"][0]["outcome"] == "running" and report["runs"][0]["stopped_at"] is None
    assert report["lock"]["state"] == "held"
    assert report["lock"]["execution_arn"] == holder
    assert report["lock"]["acquired_at"] == "2026-11-25T08:00:00.123Z"
    expires = datetime.strptime(report["lock"]["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(minutes=29) < expires - datetime.now(UTC) <= timedelta(minutes=30)


def test_status_of_one_job_lists_its_runs_and_lock(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", KEEPS_RUNNING)
    stack.machine("cleanup", SUCCEEDS)
    stopped = stack.execute("report", "scheduled-1", wait=False)
    stack.stop(stopped)
    stack.execute("report", "scheduled-2", wait=False)

    code, out, _ = jobctl(capsys, "status", "report")
    stack.stop(stopped.replace("scheduled-1", "scheduled-2"))

    assert code == 0
    lock, _, runs = out.partition("\n\n")
    assert lock == "report: lock free"
    assert [(run["run"], run["outcome"]) for run in table_rows(runs)] == [
        ("scheduled-2", "running"),
        ("scheduled-1", "aborted"),
    ]


def test_history_lists_runs_newest_first_up_to_the_limit(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", FAILS)
    for number in (1, 2, 3):
        stack.execute("report", f"scheduled-{number}")

    code, history = jobctl_json(capsys, "history", "report", "--limit", "2")

    assert code == 0
    assert [run["name"] for run in history["runs"]] == ["scheduled-3", "scheduled-2"]
    assert {(run["outcome"], run["error"], run["cause"]) for run in history["runs"]} == {
        ("failed", "Job.NonZeroExit", "container job exited with code 3")
    }


def test_history_of_a_job_never_run_says_so(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    assert jobctl(capsys, "history", "report") == (0, "no runs yet\n", "")


# --- logs ----------------------------------------------------------------------------------------------


def test_logs_print_the_latest_runs_container_log(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.execute("report", "scheduled-1")
    stack.write_log("report", TASK_ARN.rsplit("/", 1)[1], ["building report for 2026-11-24", "sent 42 mails"])

    code, out, _ = jobctl(capsys, "logs", "report")

    assert code == 0
    assert [line.split("  ", 1)[1] for line in out.splitlines()] == ["building report for 2026-11-24", "sent 42 mails"]


def test_logs_of_a_failed_run_find_its_task_in_the_execution_history(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", FAILS_AFTER_TASK)
    stack.execute("report", "scheduled-1")
    stack.execute("report", "scheduled-2")
    stack.write_log("report", TASK_ARN.rsplit("/", 1)[1], ["Traceback (most recent call last):", "ValueError: bad"])

    code, logs = jobctl_json(capsys, "logs", "report", "--execution", "scheduled-1")

    assert code == 0
    assert logs["execution_arn"].endswith(":execution:dev-report:scheduled-1")
    assert logs["outcome"] == "failed"
    (task,) = logs["tasks"]
    assert task["task_arn"] == TASK_ARN
    assert (task["log_group"], task["log_stream"]) == ("/scheduled-jobs/dev/report", f"job/job/{TASK_ARN[-32:]}")
    assert [event["message"] for event in task["events"]] == ["Traceback (most recent call last):", "ValueError: bad"]


def test_logs_of_a_skipped_run_explain_there_is_no_container(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SKIPS)
    stack.execute("report", "scheduled-1")

    code, out, err = jobctl(capsys, "logs", "report")

    assert (code, out) == (1, "")
    assert "run scheduled-1 has no container log: it was skipped (already running)" in err


def test_logs_say_when_the_stream_does_not_exist(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.execute("report", "scheduled-1")

    code, out, _ = jobctl(capsys, "logs", "report")

    assert code == 1
    assert out.startswith(f"no log stream job/job/{TASK_ARN[-32:]} in /scheduled-jobs/dev/report")


def _run_task_response(task_arn: str) -> str:
    return json.dumps({"Failures": [], "Tasks": [{"TaskArn": task_arn, "LastStatus": "PROVISIONING"}]})


def test_task_arns_come_from_submitted_and_failed_events_one_per_attempt() -> None:
    """The history shapes of ecs:runTask.sync (Step Functions docs, GetExecutionHistory), which moto
    cannot produce: RunTask's response on TaskSubmitted, the stopped task as the cause of TaskFailed."""
    first = f"arn:aws:ecs:{REGION}:123456789012:task/dev-jobs/{'a' * 32}"
    second = f"arn:aws:ecs:{REGION}:123456789012:task/dev-jobs/{'b' * 32}"
    stopped = json.dumps({"TaskArn": first, "StoppedReason": "Essential container in task exited"})
    events = [
        {"id": 2, "type": "TaskScheduled", "taskScheduledEventDetails": {"parameters": '{"Cluster": "dev-jobs"}'}},
        {"id": 4, "type": "TaskSubmitted", "taskSubmittedEventDetails": {"output": _run_task_response(first)}},
        {"id": 5, "type": "TaskFailed", "taskFailedEventDetails": {"error": "States.TaskFailed", "cause": stopped}},
        {"id": 9, "type": "TaskSubmitted", "taskSubmittedEventDetails": {"output": _run_task_response(second)}},
    ]

    assert task_arns_from_history(reversed(events)) == [first, second]


# --- unlock --------------------------------------------------------------------------------------------


def test_unlock_yes_deletes_the_lock_and_says_whose_it_was(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.hold_lock("report", HOLDER, timedelta(hours=2))

    code, out, _ = jobctl(capsys, "unlock", "report", "--yes")

    assert code == 0
    assert stack.lock_item("report") is None
    assert f"  held by      {HOLDER}" in out.splitlines()
    assert "  acquired at  2026-11-25T08:00:00.123Z" in out.splitlines()
    assert "  holder run   unknown" in out.splitlines()
    assert out.splitlines()[-1] == "deleted the lock of report (was held by scheduled-7)"


def test_unlock_asks_first_and_leaves_the_lock_on_no(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.machine("report", SUCCEEDS)
    stack.hold_lock("report", HOLDER, timedelta(hours=2))
    monkeypatch.setattr("builtins.input", lambda: "n")

    code, _, err = jobctl(capsys, "unlock", "report")

    assert code == 1
    assert "delete the lock of report held by scheduled-7? [y/N]" in err
    assert stack.lock_item("report") is not None


def test_unlock_never_deletes_a_lock_that_changed_hands_while_asking(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.machine("report", SUCCEEDS)
    stack.hold_lock("report", HOLDER, timedelta(hours=-1))
    newer = HOLDER.replace("scheduled-7", "scheduled-8")

    def another_run_takes_the_expired_lock_then_yes() -> str:
        stack.hold_lock("report", newer, timedelta(hours=2))
        return "y"

    monkeypatch.setattr("builtins.input", another_run_takes_the_expired_lock_then_yes)

    code, result = jobctl_json(capsys, "unlock", "report")

    assert code == 1
    assert (result["deleted"], result["lock"]["execution_arn"], result["lock"]["state"]) == (False, HOLDER, "expired")
    item = stack.lock_item("report")
    assert item is not None and item["ExecutionArn"]["S"] == newer


def test_unlock_warns_when_the_holder_is_still_running(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", KEEPS_RUNNING)
    holder = stack.execute("report", "scheduled-1", wait=False)
    stack.hold_lock("report", holder, timedelta(hours=2))

    code, out, err = jobctl(capsys, "unlock", "report", "--yes")
    stack.stop(holder)

    assert code == 0
    assert "  holder run   running" in out.splitlines()
    assert "warning: the holder is still running" in err


def test_unlock_without_a_lock_deletes_nothing(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    assert jobctl(capsys, "unlock", "report", "--yes") == (0, "report holds no lock: nothing to delete\n", "")


def _fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """A `pulumi` executable on PATH that answers `stack output` like the real CLI would."""
    binary = tmp_path / "bin" / "pulumi"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n" + script)
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{binary.parent}:/usr/bin:/bin")


def test_stack_option_reads_the_prefix_from_the_stack_outputs(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)
    monkeypatch.delenv("SCHEDULED_JOBS_PREFIX")
    _fake_pulumi(
        tmp_path,
        monkeypatch,
        f'[ "$1 $2 $3 $4 $5" = "stack output namePrefix --stack prod" ] && echo {PREFIX} && exit 0\nexit 1\n',
    )

    code, out, _ = jobctl(capsys, "--stack", "prod", "status")

    assert code == 0
    assert [row["job"] for row in table_rows(out)] == ["report"]


def test_stack_option_without_the_pulumi_cli_says_to_pass_the_prefix(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi here

    code, _, err = jobctl(capsys, "--stack", "prod", "status")

    assert code == 2
    assert "--stack prod needs the Pulumi CLI on PATH; without it pass --prefix" in err
