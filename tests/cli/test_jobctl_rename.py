"""`jobctl rename OLD NEW` against a lock table in moto: a renamed job's pause, failures, alert state, last slots
and slot claims carry over to its new name; the old name's lock stays with its run in flight; running it again
copies only what is new and never overwrites what the new name has."""

from __future__ import annotations

import pytest

from components.model.lock_item import (
    ALERTED_AT,
    CONSECUTIVE_FAILURES,
    LAST_SUCCEEDED_SLOT,
    LOCK_EXPIRES_AT,
    LOCK_HOLDER,
    LOCK_KEY,
    PAUSE_NOTE,
    PAUSED_AT,
    PAUSED_BY,
    slot_claim_key,
)
from tests.support import jobctl_harness as harness
from tests.support.jobctl_harness import HOLDER, Stack, jobctl, jobctl_json

stack = harness.stack
SLOT = "2026-11-30T06:00:00Z"


def _item(stack: Stack, key: str) -> dict[str, str]:
    found = stack.dynamodb.get_item(TableName=stack.lock_table, Key={LOCK_KEY: {"S": key}}).get("Item") or {}
    return {name: next(iter(value.values())) for name, value in found.items()}


def _deployed_paused_job(stack: Stack) -> None:
    stack.dynamodb.put_item(
        TableName=stack.lock_table,
        Item={
            LOCK_KEY: {"S": "report"},
            PAUSED_AT: {"S": "2026-11-29T10:00:00+00:00"},
            PAUSED_BY: {"S": "arn:aws:iam::123456789012:user/ops"},
            PAUSE_NOTE: {"S": "vendor outage"},
            CONSECUTIVE_FAILURES: {"N": "2"},
            ALERTED_AT: {"N": "1764410000"},
            LAST_SUCCEEDED_SLOT: {"S": "2026-11-28T06:00:00Z"},
            LOCK_HOLDER: {"S": HOLDER},  # a run in flight under the old name
            LOCK_EXPIRES_AT: {"N": "1764500000"},
        },
    )
    for key in (slot_claim_key("report", SLOT), "report#run#manual-1"):
        stack.dynamodb.put_item(
            TableName=stack.lock_table,
            Item={LOCK_KEY: {"S": key}, LOCK_HOLDER: {"S": HOLDER}, LOCK_EXPIRES_AT: {"N": "1765500000"}},
        )
    # Another job whose name starts like it: its claims are not the renamed job's.
    stack.dynamodb.put_item(
        TableName=stack.lock_table,
        Item={LOCK_KEY: {"S": slot_claim_key("report-weekly", SLOT)}, LOCK_HOLDER: {"S": HOLDER}},
    )


def test_a_renamed_paused_job_stays_paused_and_keeps_its_failures_alerts_and_slot_claims(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    _deployed_paused_job(stack)
    code, out, _ = jobctl(capsys, "rename", "report", "usage-report")
    assert code == 0
    new = _item(stack, "usage-report")
    assert new[PAUSED_AT] == "2026-11-29T10:00:00+00:00" and new[PAUSE_NOTE] == "vendor outage"
    assert (new[CONSECUTIVE_FAILURES], new[ALERTED_AT]) == ("2", "1764410000")
    assert new[LAST_SUCCEEDED_SLOT] == "2026-11-28T06:00:00Z"
    assert LOCK_HOLDER not in new and LOCK_EXPIRES_AT not in new  # the lock stays with the old name's run
    assert _item(stack, slot_claim_key("usage-report", SLOT))[LOCK_HOLDER] == HOLDER
    assert _item(stack, "usage-report#run#manual-1")[LOCK_HOLDER] == HOLDER
    assert _item(stack, slot_claim_key("usage-report-weekly", SLOT)) == {}
    assert "2 slot claims" in out
    assert f"not copied: the lock of report, held by {HOLDER}" in out


def test_rename_again_copies_only_what_is_new_and_never_overwrites_the_new_names_state(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    _deployed_paused_job(stack)
    stack.dynamodb.put_item(
        TableName=stack.lock_table, Item={LOCK_KEY: {"S": "usage-report"}, CONSECUTIVE_FAILURES: {"N": "0"}}
    )
    code, first = jobctl_json(capsys, "rename", "report", "usage-report")
    assert code == 0 and first["kept"] == [CONSECUTIVE_FAILURES] and first["claims"] == 2
    assert _item(stack, "usage-report")[CONSECUTIVE_FAILURES] == "0"
    later_slot = "2026-12-01T06:00:00Z"  # claimed by the old name between the first rename and the up
    stack.dynamodb.put_item(
        TableName=stack.lock_table,
        Item={LOCK_KEY: {"S": slot_claim_key("report", later_slot)}, LOCK_HOLDER: {"S": HOLDER}},
    )
    code, second = jobctl_json(capsys, "rename", "report", "usage-report")
    assert code == 0 and second["claims"] == 1 and second["claimsPresent"] == 2 and second["attributes"] == []
    assert _item(stack, slot_claim_key("usage-report", later_slot))[LOCK_HOLDER] == HOLDER
