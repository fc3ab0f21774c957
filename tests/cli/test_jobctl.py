"""jobctl status, history, logs and unlock, against a stack in moto
(tests/support/jobctl_harness.py). Assertions are on what a
user sees: the table text, the JSON fields, the exit code, and the lock table afterwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobctl.runs import task_arns_from_history
from tests.support import jobctl_harness as harness
from tests.support.jobctl_harness import (
    ENDS_AS_ASKED,
    FAILS,
    FAILS_AFTER_TASK,
    HOLDER,
    KEEPS_RUNNING,
    PREFIX,
    REGION,
    SKIPS,
    SUCCEEDS,
    TASK_ARN,
    Stack,
    jobctl,
    jobctl_json,
    table_rows,
)

stack = harness.stack  # a stack in moto: state machines, lock table and log groups


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
    assert report["earlier runs"] == "ok, failed"  # listed only: a success or a skip
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
    assert (status["schema"], status["command"], status["prefix"], status["region"]) == (
        "jobctl/v1",
        "status",
        "dev",
        REGION,
    )
    assert (status["complete"], status["problems"]) == (True, [])
    cleanup, report = status["jobs"]
    assert cleanup["lock"] == {"state": "free", "execution_arn": None, "acquired_at": None, "expires_at": None}
    assert set(cleanup) == set(report) == {
        "job", "state_machine_arn", "lock", "failures_in_a_row", "last_succeeded_at", "last_failed_at", "pause",
        "runs",
    }  # fmt: skip
    assert cleanup["runs"][0]["outcome"] == "succeeded"
    assert cleanup["runs"][0]["task_arn"] == TASK_ARN
    assert set(cleanup["runs"][0]) == {
        "name", "execution_arn", "outcome", "started_at", "stopped_at", "duration_seconds", "error", "cause",
        "task_arn", "described", "skip_reason", "summary", "container_exit_code", "container_reason",
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

    code, out, _ = jobctl(capsys, "logs", "report", "--execution", "scheduled-1", "--json")

    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]  # JSON lines: one per event, as they are read
    assert {line["execution_arn"].rsplit(":", 1)[1] for line in lines} == {"scheduled-1"}
    assert {(line["schema"], line["task_arn"], line["found"]) for line in lines} == {("jobctl/v1", TASK_ARN, True)}
    assert {(line["log_group"], line["log_stream"]) for line in lines} == {
        ("/scheduled-jobs/dev/report", f"job/job/{TASK_ARN[-32:]}")
    }
    assert [line["message"] for line in lines] == ["Traceback (most recent call last):", "ValueError: bad"]


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
    assert stack.lock_item("report") == {"LockId": {"S": "report"}}  # released; the item keeps the alert state
    assert f"  held by      {HOLDER}" in out.splitlines()
    assert "  acquired at  2026-11-25T08:00:00.123Z" in out.splitlines()
    assert "  holder run   unknown" in out.splitlines()
    assert out.splitlines()[-1] == "deleted the lock of report (was held by scheduled-7)"


def test_unlock_asks_first_and_leaves_the_lock_on_no(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.machine("report", SUCCEEDS)
    stack.hold_lock("report", HOLDER, timedelta(hours=2))
    monkeypatch.setattr("jobctl.output.stdin_is_terminal", lambda: True)
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

    monkeypatch.setattr("jobctl.output.stdin_is_terminal", lambda: True)
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
