"""`jobctl backfill` on moto, with the real job machine: the slots of a cron schedule (read with GetSchedule) in a
range and what became of each, from the slot claims the machine wrote and the runs that wrote them; --execute runs
the chosen slots one after another, each for its slot, and running it again runs nothing more; the refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

import jobctl.commands.common as common
from tests.support import moto_harness as harness
from tests.support.jobctl_on_moto import create_schedule, jobctl, jobctl_in_background
from tests.support.moto_harness import JOB, REPORT, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _slot(days_ago: int) -> str:
    return f"{DAY - timedelta(days=days_ago):%Y-%m-%d}T06:00:00Z"


FROM, TO = f"{DAY - timedelta(days=4):%Y-%m-%d}T00:00:00Z", f"{DAY - timedelta(days=1):%Y-%m-%d}T12:00:00Z"


@pytest.fixture
def job(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> str:
    """The report job (no retries) at 06:00 UTC daily: 4 days ago it ran, 3 days ago it failed, then nothing."""
    monkeypatch.setattr(common, "POLL_SECONDS", 0.05)
    machine = aws.job_machine(REPORT.model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})}))
    create_schedule(JOB, "cron(0 6 * * ? *)", "UTC", machine)
    for name, days_ago, exit_code in (("ran", 4, 0), ("failed", 3, 1)):
        execution = aws.start(machine, name, {"scheduledTime": _slot(days_ago)})
        aws.task_stopped(aws.next_run(), exit_code=exit_code)
        aws.ended(execution)
    return machine


def test_backfill_lists_each_slot_with_what_became_of_it_and_starts_nothing(
    aws: Aws, job: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = jobctl(capsys, "backfill", JOB, "--from", FROM, "--to", TO)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["slot", "(UTC)", "what", "happened", "run", "backfill", "error"]
    assert lines[1].split()[2:5] == ["succeeded", "ran", "-"]
    assert lines[2].split()[2:5] == ["failed", "failed", "-"]
    assert "Job.NonZeroExit: container job exited with code 1" in lines[2]
    assert lines[3].split()[2:] == ["missed", "(no", "run", "started)", "-", "would", "run"]
    assert lines[4].split()[2:] == ["missed", "(no", "run", "started)", "-", "would", "run"]
    assert lines[5] == "2 of 4 slots would run with --only missing; add --execute to run them"
    aws.no_more_runs()

    code, out, _ = jobctl(capsys, "--json", "backfill", JOB, "--from", FROM, "--to", TO, "--only", "failed")
    document = json.loads(out)
    assert (document["schema"], document["command"], document["execute"]) == ("jobctl/v1", "backfill", False)
    assert [(s["slot"], s["state"], s["kind"], s["chosen"]) for s in document["slots"]] == [
        (_slot(4), "succeeded", "succeeded", False),
        (_slot(3), "failed", "failed", True),
        (_slot(2), "missed", "missing", False),
        (_slot(1), "missed", "missing", False),
    ]
    assert document["slots"][0]["execution_arn"].endswith(":ran")
    assert set(document["slots"][2]) == set(document["slots"][0])  # the same keys whatever the state


def test_backfill_execute_runs_the_missed_slots_one_after_another_and_again_runs_nothing(
    aws: Aws, job: str, capsys: pytest.CaptureFixture[str]
) -> None:
    background = jobctl_in_background(capsys, "backfill", JOB, "--from", FROM, "--to", TO, "--execute")
    for days_ago in (2, 1):  # oldest first, the next only after the first ended
        run = aws.next_run()
        started = aws.sfn.describe_execution(executionArn=run.execution)
        assert json.loads(started["input"]) == {"environment": {}, "scheduledTime": _slot(days_ago)}
        assert {"Name": "SCHEDULED_TIME", "Value": _slot(days_ago)} in (
            run.run_task["Overrides"]["ContainerOverrides"][0]["Environment"]
        )
        aws.no_more_runs()
        aws.task_stopped(run, exit_code=0)
    code, out, err = background.ended()
    assert code == 0
    for line in out.splitlines()[3:5]:  # the run column names the new run
        words = line.split()
        assert words[2:6] == ["missed", "(no", "run", "started)"]
        assert words[6].startswith("manual-") and words[7:] == ["ran:", "succeeded"]
    assert f"[1/2] slot {_slot(2)}: succeeded in run manual-" in err
    assert "\r" not in err  # no progress line off a terminal

    code, out, _ = jobctl(capsys, "--json", "backfill", JOB, "--from", FROM, "--to", TO, "--execute")
    assert code == 0
    assert [s["state"] for s in json.loads(out)["slots"]] == ["succeeded", "failed", "succeeded", "succeeded"]
    assert [s["run"] for s in json.loads(out)["slots"]] == [None] * 4  # nothing ran again
    aws.no_more_runs()


def test_backfill_only_all_runs_a_succeeded_slot_again_and_stops_at_a_run_that_fails(
    aws: Aws, job: str, capsys: pytest.CaptureFixture[str]
) -> None:
    background = jobctl_in_background(
        capsys, "--json", "backfill", JOB, "--from", FROM, "--to", TO, "--only", "all", "--execute"
    )
    run = aws.next_run()  # the slot that succeeded runs again with --only all: it fails this time
    assert json.loads(aws.sfn.describe_execution(executionArn=run.execution)["input"])["scheduledTime"] == _slot(4)
    aws.task_stopped(run, exit_code=3)
    code, out, err = background.ended()
    assert code == 1
    slots = json.loads(out)["slots"]
    assert slots[0]["run"]["outcome"] == "failed"
    assert [s["run"] for s in slots[1:]] == [None, None, None]  # stopped at the first run that did not succeed
    assert "backfill stopped at slot" in err
    aws.no_more_runs()


def test_backfill_says_unknown_for_slots_older_than_the_claims(
    aws: Aws, job: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old_from, old_to = f"{DAY - timedelta(days=20):%Y-%m-%d}T00:00:00Z", f"{DAY - timedelta(days=18):%Y-%m-%d}T23:00Z"
    code, out, _ = jobctl(capsys, "backfill", JOB, "--from", old_from, "--to", old_to)
    assert code == 0
    rows = [line.split(None, 2)[2] for line in out.splitlines()[1:4]]
    assert all(row.startswith("unknown (older than the claims' 14 days)  -") for row in rows), rows
    assert all(row.split()[-2:] == ["-", "-"] for row in rows), rows  # no run; backfill: not chosen
    assert out.splitlines()[4] == "0 of 3 slots would run with --only missing; add --execute to run them"


def test_backfill_refuses_a_rate_too_many_slots_and_a_job_without_a_schedule(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = aws.job_machine()
    create_schedule(JOB, "rate(1 hour)", "UTC", machine)
    code, _, err = jobctl(capsys, "backfill", JOB, "--from", FROM)
    assert code == 2
    assert "the schedule is rate(1 hour): a rate's slots depend on when its schedule was created" in err

    minutely = aws.job_machine(REPORT.model_copy(update={"name": "minutely"}))
    create_schedule("minutely", "cron(* * * * ? *)", "UTC", minutely)
    code, _, err = jobctl(capsys, "backfill", "minutely", "--from", FROM, "--to", TO)
    assert code == 2
    assert f"cron(* * * * ? *) has more than 1000 slots from {FROM} to {TO}; at most 1000 at a time" in err

    aws.job_machine(REPORT.model_copy(update={"name": "by-hand"}))
    code, _, err = jobctl(capsys, "backfill", "by-hand", "--from", FROM)
    assert (code, err.strip()) == (6, "jobctl: by-hand has no schedule (it runs only by hand), so it has no slots")
    code, _, err = jobctl(capsys, "backfill", "nope", "--from", FROM)
    assert code == 6 and "no job 'nope'" in err
    aws.no_more_runs()
