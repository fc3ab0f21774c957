"""A job renamed with `former_names`, executed on moto with the real state machines: after `jobctl rename`'s
copy (jobctl/state_rename.py), the new name's machine skips a run while the old name was paused, saying who
paused it and why, and does not run again a slot the old name's machine ran."""

from __future__ import annotations

import json

from jobctl.state_rename import carry_state
from tests.support import moto_harness as harness
from tests.support.moto_harness import JOB, REPORT, SHARED, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

OLD = "nightly-usage-report"
SLOT = "2026-11-30T06:00:00Z"
WHO = "arn:aws:sts::123456789012:assumed-role/oncall/alice"


def test_a_renamed_paused_job_stays_paused_under_its_new_name(aws: Aws) -> None:
    aws.ddb.put_item(
        TableName=SHARED.lock_table,
        Item={
            "LockId": {"S": OLD},
            "PausedAt": {"S": "2026-11-30T03:12:00Z"},
            "PausedBy": {"S": WHO},
            "PauseNote": {"S": "vendor API down, INC-4711"},
        },
    )
    carry_state(aws.ddb, SHARED.lock_table, OLD, JOB)
    renamed = aws.job_machine(REPORT)
    execution = aws.start(renamed, "scheduled", {"scheduledTime": SLOT})
    ended = aws.ended(execution)
    assert json.loads(ended["output"]) == {
        "outcome": "skipped",
        "reason": f"paused by {WHO} at 2026-11-30T03:12:00Z: vendor API down, INC-4711",
    }
    aws.no_more_runs()
    assert aws.lock() is None


def test_a_slot_the_old_name_ran_is_not_run_again_under_the_new_name(aws: Aws) -> None:
    old = aws.job_machine(REPORT.model_copy(update={"name": OLD}))
    ran = aws.start(old, "first", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(ran)["status"] == "SUCCEEDED"
    carried = carry_state(aws.ddb, SHARED.lock_table, OLD, JOB)
    assert carried.claims == 1 and "LastSucceededSlot" in carried.attributes
    renamed = aws.job_machine(REPORT)
    again = aws.start(renamed, "again", {"scheduledTime": SLOT})
    assert json.loads(aws.ended(again)["output"]) == {
        "outcome": "skipped",
        "reason": f"slot {SLOT} already ran in execution {ran} (a second delivery of a slot is not run again)",
    }
    aws.no_more_runs()
