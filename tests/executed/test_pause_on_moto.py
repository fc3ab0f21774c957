"""A paused job, executed on moto (the pause as `jobctl pause` writes it on the job's item): every run ends as a
visible skip naming who paused it, when and why, without taking the lock or running a task; a run started with
{"force": true} runs; a pause whose `PausedUntil` has passed is over; a paused slot is not missed."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from components.model.spec import Job
from tests.executed.test_slot_watch_on_moto import Gates, _scheduled, _start_watch, _watch, gates  # noqa: F401
from tests.support import moto_harness as harness
from tests.support.moto_harness import JOB, REPORT, SHARED, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

SLOT = "2026-11-30T06:00:00Z"
WHO = "arn:aws:sts::123456789012:assumed-role/oncall/alice"
REASON = f"paused by {WHO} at 2026-11-30T03:12:00Z: vendor API down, INC-4711"


def _pause(aws: Aws, until: int | None = None) -> None:
    item: dict[str, Any] = {
        "LockId": {"S": JOB},
        "PausedAt": {"S": "2026-11-30T03:12:00Z"},
        "PausedBy": {"S": WHO},
        "PauseNote": {"S": "vendor API down, INC-4711"},
    }
    if until is not None:
        item["PausedUntil"] = {"N": str(until)}
    aws.ddb.put_item(TableName=SHARED.lock_table, Item=item)


def _job(concurrency: str) -> Job:
    return REPORT.model_copy(update={"concurrency": concurrency})


@pytest.mark.parametrize("concurrency", ["forbid", "replace", "allow"])
def test_a_paused_jobs_run_ends_as_a_skip_saying_who_when_and_why(aws: Aws, concurrency: str) -> None:
    machine = aws.job_machine(_job(concurrency))
    _pause(aws)
    execution = aws.start(machine, "scheduled", {"scheduledTime": SLOT})
    ended = aws.ended(execution)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"outcome": "skipped", "reason": REASON}
    assert aws.entered(execution)[-2:] == ["RecordPausedSkip", "SkippedPaused"]
    aws.no_more_runs()
    assert aws.lock() is None  # no lock was taken
    assert aws.item()["LastPausedSlot"] == {"S": SLOT}  # for the slot watch: intended, not missed


def test_a_pause_until_a_time_says_so_and_is_over_once_that_time_has_passed(aws: Aws) -> None:
    machine = aws.job_machine()
    _pause(aws, until=2_000_000_000)  # 2033-05-18T03:33:20Z
    skipped = aws.start(machine, "paused", {"scheduledTime": SLOT})
    reason = json.loads(aws.ended(skipped)["output"])["reason"]
    assert reason == f"{REASON} (until 2033-05-18T03:33:20.000Z)"
    _pause(aws, until=int(time.time()) - 1)
    runs = aws.start(machine, "after", {"scheduledTime": "2026-11-30T07:00:00Z"})
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(runs)["status"] == "SUCCEEDED"


@pytest.mark.parametrize("concurrency", ["forbid", "allow"])
def test_a_forced_run_runs_while_the_job_is_paused(aws: Aws, concurrency: str) -> None:
    machine = aws.job_machine(_job(concurrency))
    _pause(aws)
    execution = aws.start(machine, "forced", {"force": True})
    run = aws.next_run()
    assert run.execution == execution
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.item()["PauseNote"] == {"S": "vendor API down, INC-4711"}  # the pause stays


def test_a_paused_replacing_job_does_not_stop_the_run_it_would_replace(aws: Aws) -> None:
    machine = aws.job_machine(_job("replace"))
    holder = aws.start(machine, "holder", {"scheduledTime": SLOT})
    run = aws.next_run()
    item = aws.item()
    _pause(aws)
    aws.ddb.update_item(  # the pause comes on top of the lock the holder has
        TableName=SHARED.lock_table,
        Key={"LockId": {"S": JOB}},
        UpdateExpression="SET ExecutionArn = :h, LockExpiresAt = :e",
        ExpressionAttributeValues={":h": item["ExecutionArn"], ":e": item["LockExpiresAt"]},
    )
    replacer = aws.start(machine, "replacer", {"scheduledTime": "2026-11-30T07:00:00Z"})
    assert json.loads(aws.ended(replacer)["output"])["reason"] == REASON
    assert "StopLockHolder" not in aws.entered(replacer)
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(holder)["status"] == "SUCCEEDED"


def test_a_slot_skipped_because_the_job_is_paused_is_not_missed(aws: Aws, gates: Gates) -> None:  # noqa: F811
    machine, watch = _watch(aws, _scheduled(late_after=None))
    execution = _start_watch(aws, watch)
    gates.at_next_wait()  # the deadline
    _pause(aws)
    skipped = aws.start(machine, "paused", {"scheduledTime": SLOT})
    assert json.loads(aws.ended(skipped)["output"])["outcome"] == "skipped"
    gates.go_on()
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.alerts() == []


def _jobctl(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from jobctl.cli import main

    capsys.readouterr()
    code = main(["--prefix", harness.PREFIX, "--region", harness.REGION, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_jobctl_pause_skips_runs_with_the_callers_note_force_runs_and_resume_ends_it(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = aws.job_machine()
    code, out, _ = _jobctl(capsys, "pause", JOB, "--note", "vendor API down, INC-4711")
    assert code == 0
    caller = "arn:aws:sts::123456789012:user/moto"  # moto's caller identity
    assert out.startswith(f"{JOB}: paused by {caller} at ")
    skipped = aws.start(machine, "scheduled", {"scheduledTime": SLOT})
    reason = json.loads(aws.ended(skipped)["output"])["reason"]
    assert reason.startswith(f"paused by {caller} at ") and reason.endswith(": vendor API down, INC-4711")
    aws.no_more_runs()

    code, out, _ = _jobctl(capsys, "--json", "status", JOB)
    assert json.loads(out)["jobs"][0]["pause"]["note"] == "vendor API down, INC-4711"

    code, out, _ = _jobctl(capsys, "--json", "run", JOB, "--force")
    forced = json.loads(out)["execution_arn"]
    run = aws.next_run()
    assert run.execution == forced
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(forced)["status"] == "SUCCEEDED"

    code, out, _ = _jobctl(capsys, "resume", JOB)
    assert (code, out.splitlines()[0]) == (0, f"{JOB} resumed; it was {reason}")
    runs = aws.start(machine, "after", {"scheduledTime": "2026-11-30T07:00:00Z"})
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(runs)["status"] == "SUCCEEDED"
    assert _jobctl(capsys, "resume", JOB)[1].strip() == f"{JOB} was not paused: nothing to resume"


def test_jobctl_refuses_a_pause_without_a_reason_or_ending_in_the_past(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.job_machine()
    code, _, err = _jobctl(capsys, "pause", JOB, "--note", " ")
    assert code == 2 and "--note: say why the job is paused" in err
    code, _, err = _jobctl(capsys, "pause", JOB, "--note", "x", "--until", "2020-01-01T00:00:00Z")
    assert code == 2 and "--until '2020-01-01T00:00:00Z': is not in the future" in err
    assert aws.stored() is None  # nothing written


def test_jobctl_run_refuses_overrides_ecs_would_refuse_and_starts_nothing(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = aws.job_machine(REPORT.model_copy(update={"inputs": {"BLOB": None}}))
    code, _, err = _jobctl(capsys, "run", JOB, "--input", "BLOB=" + "x" * 8000)
    assert code == 2
    assert "--input: the run's container overrides would be 8," in err
    assert "ECS RunTask accepts at most 8,192 (variables and JSON together): nothing was started" in err
    assert aws.sfn.list_executions(stateMachineArn=machine)["executions"] == []
    assert _jobctl(capsys, "--json", "run", JOB, "--input", "BLOB=" + "x" * 7000)[0] == 0  # below the limit
