"""A slot runs once, executed on moto: EventBridge Scheduler delivers at least once, so a second delivery of a
slot (at the same time, or after the first run ended) is skipped with the execution that ran it; the next
slot runs; a manual run without a slot is never skipped by a claim; `jobctl run --scheduled-time` runs a slot
again when its run did not succeed (and, with --rerun, when it did)."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from components.model.spec import Job
from jobctl.aws import StackJobs
from jobctl.errors import JobctlError
from tests.support import moto_harness as harness
from tests.support.moto_harness import PREFIX, REGION, REPORT, SHARED, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

SLOT = "2026-11-30T06:00:00Z"
NEXT_SLOT = "2026-11-30T07:00:00Z"
CONCURRENCY = ["forbid", "replace", "allow"]
SKIPPED_STATES = ["ClaimSlot", "ReadSlotClaim", "SkippedSlotAlreadyRan"]


def _job(concurrency: str) -> Job:
    return REPORT.model_copy(update={"concurrency": concurrency})


def _skipped_as_ran(aws: Aws, execution: str, ran_in: str) -> None:
    ended = aws.ended(execution)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"]) == {
        "outcome": "skipped",
        "reason": f"slot {SLOT} already ran in execution {ran_in} (a second delivery of a slot is not run again)",
    }
    assert aws.entered(execution) == SKIPPED_STATES


def _claim(aws: Aws, slot: str = SLOT) -> dict[str, str]:
    item = aws.ddb.get_item(
        TableName=SHARED.lock_table, Key={"LockId": {"S": f"report#slot#{slot}"}}, ConsistentRead=True
    ).get("Item")
    return {name: next(iter(value.values())) for name, value in (item or {}).items()}


@pytest.mark.parametrize("concurrency", CONCURRENCY)
def test_the_same_slot_delivered_twice_at_once_runs_once(aws: Aws, concurrency: str) -> None:
    machine = aws.job_machine(_job(concurrency))
    first, second = aws.start_together(machine, 2, {"scheduledTime": SLOT})
    run = aws.next_run()
    _skipped_as_ran(aws, second if run.execution == first else first, ran_in=run.execution)
    aws.no_more_runs()
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(run.execution)["status"] == "SUCCEEDED"


@pytest.mark.parametrize("concurrency", CONCURRENCY)
@pytest.mark.parametrize("exit_code", [0, 1], ids=["succeeded", "failed"])
def test_the_same_slot_delivered_again_after_its_run_ended_is_not_run_again(
    aws: Aws, concurrency: str, exit_code: int
) -> None:
    machine = aws.job_machine(
        _job(concurrency).model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})})
    )
    first = aws.start(machine, "first", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=exit_code)
    aws.ended(first)
    again = aws.start(machine, "again", {"scheduledTime": SLOT})
    _skipped_as_ran(aws, again, ran_in=first)
    aws.no_more_runs()


def test_the_next_slot_runs_and_each_claim_expires_two_weeks_after_its_slot(aws: Aws) -> None:
    machine = aws.job_machine()
    for name, slot in (("first", SLOT), ("next", NEXT_SLOT)):
        execution = aws.start(machine, name, {"scheduledTime": slot})
        aws.task_stopped(aws.next_run(), exit_code=0)
        assert aws.ended(execution)["status"] == "SUCCEEDED"
    claim = _claim(aws, NEXT_SLOT)
    assert claim["ExecutionArn"].endswith(":next")
    # 07:00 UTC on 2026-11-30 is 1796022000 s; kept 14 days, as long as the dead-letter queue keeps a start.
    assert int(claim["ExpiresAt"]) == 1796022000 + 14 * 86400


def test_manual_runs_that_name_no_slot_are_never_skipped_by_a_claim(aws: Aws) -> None:
    machine = aws.job_machine(_job("allow"))
    first, second = aws.start_together(machine, 2)
    runs = {aws.next_run().execution, aws.next_run().execution}
    assert runs == {first, second}
    for run in list(aws.pending.values()):
        aws.task_stopped(run, exit_code=0)


def _jobctl() -> StackJobs:
    return StackJobs(boto3.Session(region_name=REGION), PREFIX)


def test_a_failed_slot_run_again_with_jobctl_scheduled_time_runs(aws: Aws) -> None:
    machine = aws.job_machine(REPORT.model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})}))
    failed = aws.start(machine, "failed", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=1)
    assert aws.ended(failed)["status"] == "FAILED"

    jobs = _jobctl()
    said = jobs.reopen_slot("report", SLOT, rerun=False)
    assert said == f"slot {SLOT} was claimed by execution {failed} (failed): running it again"
    again = jobs.start("report", {}, "manual-again", SLOT)
    run = aws.next_run()
    assert run.execution == again
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(again)["status"] == "SUCCEEDED"
    assert _claim(aws)["ExecutionArn"] == again


def test_jobctl_runs_a_succeeded_slot_again_only_with_rerun_and_never_a_running_one(aws: Aws) -> None:
    machine = aws.job_machine()
    running = aws.start(machine, "running", {"scheduledTime": SLOT})
    run = aws.next_run()
    jobs = _jobctl()
    with pytest.raises(JobctlError, match=re.escape(f"slot {SLOT} of report is running now, in execution {running}")):
        jobs.reopen_slot("report", SLOT, rerun=True)
    aws.task_stopped(run, exit_code=0)
    aws.ended(running)
    with pytest.raises(JobctlError, match=re.escape(f"already ran in execution {running} (succeeded); add --rerun")):
        jobs.reopen_slot("report", SLOT, rerun=False)
    assert _claim(aws)["ExecutionArn"] == running  # refused: nothing changed
    assert jobs.reopen_slot("report", SLOT, rerun=True) is not None
    again = jobs.start("report", {}, "manual-rerun", SLOT)
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(again)["status"] == "SUCCEEDED"
    assert jobs.reopen_slot("report", NEXT_SLOT, rerun=False) is None  # a slot never claimed: nothing to do
