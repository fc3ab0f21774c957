"""How jobctl words a run's end (jobctl/run_words.py), read from the real job machine executed on moto: a timeout
with its limit, a container killed by SIGKILL with ECS's container reason from the execution history, and each
skip by its reason with its own exit code."""

from __future__ import annotations

import json
from typing import Any

import pytest

import jobctl.commands.common as common
from tests.support import moto_harness as harness
from tests.support.jobctl_on_moto import jobctl
from tests.support.moto_harness import JOB, REPORT, SHARED, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

SLOT = "2026-11-30T06:00:00Z"
NO_RETRIES = REPORT.model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})})
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"  # ECS developer guide, OutOfMemoryError


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "POLL_SECONDS", 0.05)


def _latest(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    """The latest run as `history --json` has it, and its outcome cell in the `history` table."""
    code, out, _ = jobctl(capsys, "--json", "history", JOB, "--limit", "1")
    assert code == 0
    [run] = json.loads(out)["runs"]
    _, table, _ = jobctl(capsys, "--wide", "history", JOB, "--limit", "1")
    return run, table.splitlines()[1]


def test_a_timed_out_run_says_after_how_long_from_the_definition_it_ran(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = aws.job_machine(NO_RETRIES)  # timeout="10m"
    execution = aws.start(machine, "slow", {"scheduledTime": SLOT})
    aws.task_failed(aws.next_run(), "States.Timeout", "")  # what a state past its TimeoutSeconds raises
    assert aws.ended(execution)["error"] == "Job.Timeout"
    run, row = _latest(capsys)
    assert (run["outcome"], run["summary"]) == ("failed", "timed out after 10m")
    assert "  timed out after 10m  " in row


def test_a_container_killed_by_sigkill_says_likely_out_of_memory_with_ecs_reason(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = aws.job_machine(NO_RETRIES)
    execution = aws.start(machine, "oom", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=137, container_reason=OUT_OF_MEMORY)
    assert aws.ended(execution)["error"] == "Job.NonZeroExit"
    run, row = _latest(capsys)
    words = f"exited 137: killed (SIGKILL), likely out of memory ({OUT_OF_MEMORY})"
    assert (run["summary"], run["container_exit_code"], run["container_reason"]) == (words, 137, OUT_OF_MEMORY)
    assert words in row


def test_a_paused_jobs_run_is_skipped_paused_and_exits_8(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.job_machine()
    aws.ddb.put_item(
        TableName=SHARED.lock_table,
        Item={
            "LockId": {"S": JOB},
            "PausedAt": {"S": "2026-11-30T03:12:00Z"},
            "PausedBy": {"S": "arn:aws:sts::123456789012:assumed-role/oncall/alice"},
            "PauseNote": {"S": "vendor API down"},
        },
    )
    code, out, _ = jobctl(capsys, "--json", "run", JOB, "--wait")
    run = json.loads(out)
    assert (code, run["outcome"], run["skip_reason"], run["summary"]) == (8, "skipped", "paused", "skipped (paused)")
    code, out, _ = jobctl(capsys, "run", JOB, "--wait")
    assert code == 8 and "skipped (paused)" in out and "already running" not in out
    aws.no_more_runs()


def test_a_second_delivery_of_a_slot_is_skipped_slot_already_ran_and_exits_9(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = aws.job_machine()
    first = aws.start(machine, "first", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=0)
    aws.ended(first)
    second = aws.start(machine, "second", {"scheduledTime": SLOT})
    aws.ended(second)
    run, row = _latest(capsys)
    assert (run["outcome"], run["skip_reason"], run["summary"]) == (
        "skipped",
        "slot_already_ran",
        "skipped (slot already ran)",
    )
    assert "skipped (slot already ran)" in row
    code, _, err = jobctl(capsys, "logs", JOB, "--execution", "second", "--follow")
    assert code == 9 and "it was skipped (slot already ran)" in err
    aws.no_more_runs()
