"""Which executions start the lock janitor: evaluated with moto's implementation of EventBridge's pattern
matching, not with our own reading of it."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern

from components.documents.lock_janitor import janitor_event_pattern
from tests.support.builders import ENV

MACHINE = "arn:aws:states:eu-central-1:123456789012:stateMachine:"


def _event(machine: str, status: str = "FAILED") -> Any:
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {"stateMachineArn": MACHINE + machine, "executionArn": "x", "status": status},
    }


def _starts(pattern: dict[str, object], machine: str, status: str = "FAILED") -> bool:
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(_event(machine, status)))


def test_every_machine_of_the_stack_that_ended_badly_starts_the_janitor_and_nothing_else() -> None:
    pattern = janitor_event_pattern(ENV, "prod")
    assert _starts(pattern, "prod-report") and _starts(pattern, "prod-billing", "TIMED_OUT")
    assert _starts(pattern, "prod-report", "ABORTED")
    # A job removed from jobs/ whose run in flight ended when its machine was deleted: still covered.
    assert _starts(pattern, "prod-removed-job")
    assert not _starts(pattern, "prod-report", "SUCCEEDED")
    assert not _starts(pattern, "dev-report")  # another stack
    assert not _starts(pattern, "production-report")  # the prefix is followed by "-"
    # Its own failure starts it too; its first state ends that run without a write (test_lock_on_moto).
    assert _starts(pattern, "prod-lock-janitor")
