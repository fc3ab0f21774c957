"""The job's item and the table's TTL, executed on moto with the job's own machine and a stand-in for DynamoDB's
TTL (`Aws.run_ttl`: moto deletes nothing by itself): a lock nobody released never takes the item's pause and
failure count with it, and an item written by the machines of the release before loses the TTL attribute at its
next run (components/model/lock_item.py)."""

from __future__ import annotations

import json
import time

from tests.support import moto_harness as harness
from tests.support.moto_harness import JOB, SHARED, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

SLOT = "2026-11-30T06:00:00Z"
FAR_FUTURE = time.time() + 400 * 86400  # past every lock's and claim's expiry
WHO = "arn:aws:sts::123456789012:assumed-role/oncall/alice"


def _pause_on_top(aws: Aws) -> None:
    """`jobctl pause` as it writes: attributes added to the job's item, whatever else it holds."""
    aws.ddb.update_item(
        TableName=SHARED.lock_table,
        Key={"LockId": {"S": JOB}},
        UpdateExpression="SET PausedAt = :at, PausedBy = :by, PauseNote = :note",
        ExpressionAttributeValues={
            ":at": {"S": "2026-11-30T03:12:00Z"},
            ":by": {"S": WHO},
            ":note": {"S": "vendor API down"},
        },
    )


def test_a_lock_nobody_released_keeps_the_pause_and_failure_count_when_ttl_runs(aws: Aws) -> None:
    machine = aws.job_machine()
    failed = aws.start(machine, "fails", {"scheduledTime": "2026-11-30T05:00:00Z"})
    for _ in range(2):  # REPORT retries once: the run and its retry
        aws.task_stopped(aws.next_run(), exit_code=3)
    assert aws.ended(failed)["status"] == "FAILED"
    lost = aws.start(machine, "lost", {"scheduledTime": SLOT})
    aws.next_run()
    # Stopped, and the janitor's event never came (best effort): the lock stays on the item.
    aws.sfn.stop_execution(executionArn=lost)
    assert aws.lock() is not None
    _pause_on_top(aws)
    deleted = aws.run_ttl(now=FAR_FUTURE)
    assert f"{JOB}#slot#{SLOT}" in deleted  # TTL did run: the slot's claim went
    item = aws.item()  # the job's item did not
    assert (item["PausedBy"], item["ConsecutiveFailures"]) == ({"S": WHO}, {"N": "1"})
    assert "ExpiresAt" not in item
    aws.expire_lock()
    paused = aws.start(machine, "next-slot", {"scheduledTime": "2026-11-30T07:00:00Z"})
    assert json.loads(aws.ended(paused)["output"])["outcome"] == "skipped"
    assert "paused by" in json.loads(aws.ended(paused)["output"])["reason"]
    aws.no_more_runs()


def test_a_lock_taken_by_the_release_before_holds_until_its_old_expiry_then_the_next_run_drops_it(aws: Aws) -> None:
    machine = aws.job_machine()
    in_flight = f"arn:aws:states:{harness.REGION}:{harness.ACCOUNT}:execution:{harness.PREFIX}-{JOB}:old"
    aws.put_lock(in_flight, int(time.time()) + 3600, legacy=True)
    held = aws.start(machine, "while-held", {"scheduledTime": SLOT})
    assert json.loads(aws.ended(held)["output"])["outcome"] == "skipped"
    aws.put_lock(in_flight, int(time.time()) - 1, legacy=True)  # its lifetime ran out, never released
    takes_over = aws.start(machine, "takes-over", {"scheduledTime": "2026-11-30T07:00:00Z"})
    run = aws.next_run()
    assert "ExpiresAt" not in aws.item()  # gone with the take-over: the lock's expiry is LockExpiresAt
    assert aws.holder() == f"{in_flight.rsplit(':', 1)[0]}:takes-over"
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(takes_over)["status"] == "SUCCEEDED"
    assert JOB not in aws.run_ttl(now=FAR_FUTURE)
    assert aws.item()["LastSucceededSlot"] == {"S": "2026-11-30T07:00:00Z"}
