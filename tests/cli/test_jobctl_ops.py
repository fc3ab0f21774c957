"""jobctl's operator commands and output against a stack in moto (tests/support/jobctl_harness.py): ls, the
status filters and watch, stop, logs --follow/--since, run --wait's reattach hint, tables that fit a terminal,
colour, time zones, JSON errors, and refusing questions off a terminal."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobctl.cli import main
from jobctl.log_events import LogStream, read_events
from tests.support import jobctl_harness as harness
from tests.support.jobctl_harness import (
    ECS_STAND_IN_TABLE,
    ENDS_AS_ASKED,
    FAILS,
    HOLDER,
    KEEPS_RUNNING,
    SUCCEEDS,
    TASK_ARN,
    Stack,
    jobctl,
    jobctl_json,
    table_rows,
)

stack = harness.stack
TASK_ID = TASK_ARN.rsplit("/", 1)[1]
# A run with an ECS task (the dynamodb:getItem stand-in, see jobctl_harness) that then goes on for a while.
RUNS_A_WHILE_AFTER_ITS_TASK: dict[str, Any] = {
    "StartAt": "RunJob",
    "States": {
        "RunJob": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": ECS_STAND_IN_TABLE, "Key": {"id": {"S": "task"}}},
            "Next": "Wait",
        },
        "Wait": {"Type": "Wait", "Seconds": 1, "End": True},
    },
}


def _item(stack: Stack, job: str, **attributes: dict[str, str]) -> None:
    """The job's item as the state machines leave it between runs (components/documents/job_state.py)."""
    stack.dynamodb.put_item(TableName=stack.lock_table, Item={"LockId": {"S": job}, **attributes})


def _on_a_terminal(monkeypatch: pytest.MonkeyPatch, columns: int = 100) -> None:
    monkeypatch.setattr("jobctl.output.stdout_is_terminal", lambda: True)
    monkeypatch.setattr("jobctl.output.stdin_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.delenv("NO_COLOR", raising=False)


# --- ls ------------------------------------------------------------------------------------------------


def test_ls_shows_schedule_in_words_time_zone_state_next_run_and_last_outcome(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.schedule_group()
    for job in ("nightly", "hourly", "paused", "manual"):
        stack.machine(job, SUCCEEDS)
    stack.schedule("nightly", "cron(0 6 * * ? *)", "Europe/Berlin")
    stack.schedule("hourly", "rate(1 hour)", "UTC")
    stack.schedule("paused", "cron(30 2 ? * MON *)", "America/New_York", enabled=False)
    _item(stack, "nightly", LastSucceededAt={"S": "2026-11-28T06:00:03.120Z"})
    _item(
        stack,
        "hourly",
        LastSucceededAt={"S": "2026-11-28T05:00:00.000Z"},
        LastFailedAt={"S": "2026-11-28T07:00:00.000Z"},
        ConsecutiveFailures={"N": "2"},
    )

    code, out, _ = jobctl(capsys, "ls")

    assert code == 0
    hourly, manual, nightly, paused = table_rows(out)
    assert (nightly["schedule"], nightly["time zone"], nightly["state"]) == ("at 06:00", "Europe/Berlin", "enabled")
    assert re.fullmatch(r"20\d\d-\d\d-\d\d 06:00:00 \(in \d+[dhms]\)", nightly["next run (job's time zone)"])
    assert nightly["last outcome"].startswith("succeeded ") and nightly["last outcome"].endswith(" ago")
    assert (hourly["schedule"], hourly["next run (job's time zone)"]) == ("every hour", "-")
    assert hourly["last outcome"].startswith("failed ") and hourly["last outcome"].endswith("ago (2 in a row)")
    assert (paused["state"], paused["next run (job's time zone)"]) == ("disabled", "-")
    assert (manual["schedule"], manual["state"], manual["last outcome"]) == ("by hand only", "manual", "never run")


def test_ls_json_gives_every_job_the_same_keys(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.schedule_group()
    stack.machine("nightly", SUCCEEDS)
    stack.machine("manual", SUCCEEDS)
    stack.schedule("nightly", "cron(0 6 * * ? *)", "Europe/Berlin")

    code, listing = jobctl_json(capsys, "ls")

    assert code == 0 and listing["schema"] == "jobctl/v1"
    manual, nightly = listing["jobs"]
    assert set(manual) == set(nightly)
    assert (manual["state"], manual["schedule"], manual["next_run"]) == ("manual", None, None)
    assert nightly["schedule"] == "cron(0 6 * * ? *)" and nightly["next_run"].endswith(":00:00Z")
    assert (
        datetime.fromisoformat(nightly["next_run"].replace("Z", "+00:00"))
        .astimezone(harness_zone("Europe/Berlin"))
        .hour
        == 6
    )


def harness_zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# --- status: filters, pattern, watch, wrong prefix -----------------------------------------------------------


def test_status_failing_shows_only_jobs_whose_last_recorded_run_failed(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    for job in ("report", "cleanup", "sync"):
        stack.machine(job, ENDS_AS_ASKED)
    stack.execute("report", "scheduled-1", ends="fail")
    _item(stack, "report", ConsecutiveFailures={"N": "1"}, LastFailedAt={"S": "2026-11-28T07:00:00Z"})
    _item(stack, "cleanup", ConsecutiveFailures={"N": "0"}, LastSucceededAt={"S": "2026-11-28T07:00:00Z"})

    code, out, _ = jobctl(capsys, "status", "--failing")

    assert code == 0
    assert [(row["job"], row["outcome"]) for row in table_rows(out)] == [("report", "failed")]


def test_status_running_shows_jobs_with_a_run_going_on_or_the_lock_held(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", KEEPS_RUNNING)
    stack.machine("cleanup", SUCCEEDS)
    stack.machine("locked", SUCCEEDS)
    running = stack.execute("report", "scheduled-1", wait=False)
    stack.execute("cleanup", "scheduled-1")
    stack.hold_lock("locked", HOLDER, timedelta(hours=1))

    code, status = jobctl_json(capsys, "status", "--running")
    stack.stop(running)

    assert code == 0
    assert [job["job"] for job in status["jobs"]] == ["locked", "report"]


def test_status_with_a_pattern_shows_the_matching_jobs(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    for job in ("report-daily", "report-weekly", "cleanup"):
        stack.machine(job, SUCCEEDS)

    code, out, _ = jobctl(capsys, "status", "report-*")

    assert code == 0
    assert [row["job"] for row in table_rows(out)] == ["report-daily", "report-weekly"]
    assert jobctl(capsys, "status", "nothing-*")[0] == 6


def test_a_prefix_with_no_jobs_is_an_error_naming_the_stacks_there(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)

    code, out, err = jobctl(capsys, "status", "--prefix", "prdo")

    assert (code, out) == (6, "")
    assert err == (
        "jobctl: no jobs under prefix 'prdo' in eu-central-1: is the prefix or the region wrong? "
        "Stacks found there: dev\n"
    )


def test_errors_with_json_are_a_json_document_too(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, document = jobctl_json(capsys, "ls", "--prefix", "prdo")

    assert code == 6
    assert document == {
        "schema": "jobctl/v1",
        "command": "ls",
        "error": {
            "code": "not_found",
            "exit_code": 6,
            "message": "no jobs under prefix 'prdo' in eu-central-1: is the prefix or the region wrong? "
            "Stacks found there: dev",
        },
    }


def test_watch_needs_a_terminal(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, _, err = jobctl(capsys, "status", "--watch", "5")

    assert code == 2 and "--watch redraws a terminal" in err


def test_watch_redraws_until_ctrl_c(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.machine("report", SUCCEEDS)
    _on_a_terminal(monkeypatch)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("jobctl.commands.status.sleep", sleep)

    code, out, _ = jobctl(capsys, "status", "--watch", "5")

    assert code == 130
    assert out.count("\033[H\033[2J") == 2 and out.count("every 5s, Ctrl-C to stop") == 2
    assert sleeps == [5, 5]


# --- terminal and script output --------------------------------------------------------------------------


def test_tables_fit_the_terminal_and_wide_shows_them_whole(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    long_name = "report-" + "x" * 60
    stack.machine(long_name, FAILS)
    stack.execute(long_name, "scheduled-1")
    _on_a_terminal(monkeypatch, columns=80)
    monkeypatch.setenv("NO_COLOR", "1")

    fitted = jobctl(capsys, "status")[1]
    wide = jobctl(capsys, "status", "--wide")[1]

    assert max(len(line) for line in fitted.splitlines()) <= 80
    assert "…" in fitted and long_name not in fitted
    assert long_name in wide and "…" not in wide


def test_colour_only_on_a_terminal_and_never_with_no_color(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.machine("report", FAILS)
    stack.execute("report", "scheduled-1")

    piped = jobctl(capsys, "status")[1]
    _on_a_terminal(monkeypatch)
    coloured = jobctl(capsys, "status")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    plain = jobctl(capsys, "status")[1]

    assert "\033[31mfailed" in coloured
    assert "\033[" not in piped and "\033[" not in plain


def test_times_are_in_the_jobs_time_zone_or_utc(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.schedule_group()
    stack.machine("report", SUCCEEDS)
    stack.schedule("report", "cron(0 6 * * ? *)", "Asia/Tokyo")
    stack.execute("report", "scheduled-1")

    zoned = table_rows(jobctl(capsys, "history", "report")[1])[0]
    utc = table_rows(jobctl(capsys, "history", "report", "--utc")[1])[0]

    assert list(zoned)[1] == "start (Asia/Tokyo)" and list(utc)[1] == "start (UTC)"
    tokyo = datetime.strptime(zoned["start (Asia/Tokyo)"][:19], "%Y-%m-%d %H:%M:%S")
    in_utc = datetime.strptime(utc["start (UTC)"][:19], "%Y-%m-%d %H:%M:%S")
    assert tokyo - in_utc == timedelta(hours=9)
    assert zoned["start (Asia/Tokyo)"].endswith("s ago)")


def test_a_multi_line_cause_is_one_line_in_the_table_and_whole_with_execution(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    cause = "Traceback (most recent call last):\n  File job.py, line 3\nValueError: bad day"
    stack.machine("report", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Job.Err", "Cause": cause}}})
    stack.execute("report", "scheduled-1")

    (row,) = table_rows(jobctl(capsys, "history", "report")[1])
    code, whole, _ = jobctl(capsys, "history", "report", "--execution", "scheduled-1")

    assert row["error"] == "Job.Err: Traceback (most recent call last): | File job.py, line 3 | ValueError: bad day"
    assert code == 0
    assert "cause        Traceback (most recent call last):\n               File job.py, line 3\n" in whole


def test_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for line in ("0  ok", "2  usage error", "5  access denied", "6  not found", "7  throttled", "130  interrupted"):
        assert line in out


# --- unlock and stop off a terminal ------------------------------------------------------------------------


def test_unlock_without_yes_off_a_terminal_refuses_with_exit_2(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)
    stack.hold_lock("report", HOLDER, timedelta(hours=2))

    code, _, err = jobctl(capsys, "unlock", "report")

    assert code == 2
    assert "not on a terminal, so nobody can answer; add --yes to go ahead" in err
    assert stack.lock_item("report") is not None and "ExecutionArn" in stack.lock_item("report")  # type: ignore[operator]


def test_unlock_of_a_misspelt_job_is_not_found(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, _, err = jobctl(capsys, "unlock", "reprot", "--yes")

    assert code == 6 and "no job 'reprot'" in err


def test_stop_stops_the_only_running_run(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", KEEPS_RUNNING)
    running = stack.execute("report", "scheduled-1", wait=False)
    stack.stop_when_waiting(running)

    code, out, _ = jobctl(capsys, "stop", "report", "--yes")

    assert code == 0 and out.startswith("stopped report run scheduled-1")
    assert stack.status_when_settled(running) == "ABORTED"


def test_stop_with_nothing_running_stops_nothing(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.execute("report", "scheduled-1")

    assert jobctl(capsys, "stop", "report", "--yes") == (0, "no run of report is running: nothing to stop\n", "")
    code, _, err = jobctl(capsys, "stop", "report", "--execution", "scheduled-1", "--yes")
    assert code == 6 and "run scheduled-1 of report is not running (it succeeded)" in err


def test_stop_of_one_of_several_runs_needs_execution(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", KEEPS_RUNNING)
    first = stack.execute("report", "scheduled-1", wait=False)
    second = stack.execute("report", "scheduled-2", wait=False)
    stack.stop_when_waiting(first)
    stack.stop_when_waiting(second)

    code, _, err = jobctl(capsys, "stop", "report", "--yes")
    named = jobctl(capsys, "stop", "report", "--execution", "scheduled-1", "--yes")[0]

    assert code == 2 and "name one with --execution" in err
    assert named == 0
    assert stack.status_when_settled(first) == "ABORTED"
    assert stack.sfn.describe_execution(executionArn=second)["status"] == "RUNNING"
    stack.stop(second)


def test_stop_without_yes_off_a_terminal_refuses(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", KEEPS_RUNNING)
    running = stack.execute("report", "scheduled-1", wait=False)
    stack.stop_when_waiting(running)

    code = jobctl(capsys, "stop", "report")[0]

    assert code == 2 and stack.sfn.describe_execution(executionArn=running)["status"] == "RUNNING"
    stack.stop(running)


# --- run --wait and logs --------------------------------------------------------------------------------


def test_run_wait_names_the_run_first_and_says_how_to_reattach_after_ctrl_c(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.machine("report", KEEPS_RUNNING)

    def ctrl_c(_: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("jobctl.commands.run.sleep", ctrl_c)

    code, out, err = jobctl(capsys, "run", "report", "--wait")

    assert (code, out) == (130, "")
    started, link, waiting, stopped, _ = err.splitlines()
    name = started.removeprefix("started report run ")
    assert name.startswith("manual-") and link.strip().endswith(f":execution:dev-report:{name}")
    assert f"`jobctl stop report --execution {name}`" in waiting
    assert f"`jobctl logs report --execution {name} --follow`" in stopped
    stack.stop(stack.sfn.list_executions(stateMachineArn=_machine("report"))["executions"][0]["executionArn"])


def _machine(job: str) -> str:
    return f"arn:aws:states:{harness.REGION}:123456789012:stateMachine:dev-{job}"


def test_logs_since_leaves_out_older_lines(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.execute("report", "scheduled-1")
    now = datetime.now(UTC)
    stack.write_log_at("report", TASK_ID, [(now - timedelta(hours=3), "old"), (now - timedelta(minutes=5), "new")])

    code, out, _ = jobctl(capsys, "logs", "report", "--since", "1h")

    assert code == 0
    assert [line.split("  ", 1)[1] for line in out.splitlines()] == ["new"]
    assert jobctl(capsys, "logs", "report", "--since", "yesterday")[0] == 2


def test_logs_follow_prints_lines_written_while_it_waits_and_exits_with_the_outcome(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.machine("report", RUNS_A_WHILE_AFTER_ITS_TASK)
    running = stack.execute("report", "scheduled-1", wait=False)
    stack.write_log("report", TASK_ID, ["starting"])
    written: list[str] = []
    real_sleep = time.sleep

    def sleep_then_log(seconds: float) -> None:
        if not written:  # the container logs again while jobctl waits at the end of the stream
            stack.append_log("report", TASK_ID, ["halfway"])
            written.append("halfway")
        real_sleep(seconds)

    monkeypatch.setattr("jobctl.log_events.sleep", sleep_then_log)

    code, out, _ = jobctl(capsys, "logs", "report", "--follow")

    assert stack.sfn.describe_execution(executionArn=running)["status"] == "SUCCEEDED"
    assert code == 0
    assert [line.split("  ", 1)[1] for line in out.splitlines()] == ["starting", "halfway"]


class _Pages:
    """GetLogEvents as its API reference allows: partly full or empty pages before the end."""

    def __init__(self, pages: list[tuple[list[str], str]]) -> None:
        self.pages = pages
        self.tokens: list[str | None] = []

    def get_log_events(self, **request: Any) -> dict[str, Any]:
        self.tokens.append(request.get("nextToken"))
        messages, token = self.pages[len(self.tokens) - 1]
        events = [{"timestamp": 1_764_400_000_000 + i, "message": m} for i, m in enumerate(messages)]
        return {"events": events, "nextForwardToken": token}


def test_an_empty_page_does_not_end_the_log_only_the_same_token_does() -> None:
    logs = _Pages([(["one"], "f/1"), ([], "f/2"), (["two", "three"], "f/3"), ([], "f/3")])

    events = list(read_events(logs, LogStream(TASK_ARN, "/group", "job/job/x")))

    assert [event.message for event in events] == ["one", "two", "three"]
    assert logs.tokens == [None, "f/1", "f/2", "f/3"]
