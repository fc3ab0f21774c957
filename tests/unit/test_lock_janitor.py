"""The lock janitor (components/documents/lock_janitor.py): which executions start it, evaluated with moto's
implementation of EventBridge's pattern matching, not with our own reading of it; and which lock it releases."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern

from components.documents.lock_janitor import janitor_event_pattern, janitor_machine
from tests.support.builders import ALERTS, ENV

TABLE = "prod-job-locks"

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


def test_janitor_releases_only_the_lock_of_the_execution_that_ended_badly() -> None:
    definition = janitor_machine(ENV, TABLE, "prod", ["lock-janitor"], ALERTS, {"report": "jobs/report.py"}).definition
    release = definition["States"]["ReleaseAbandonedLock"]
    assert release["Arguments"]["ConditionExpression"] == "ExecutionArn = :execution"
    assert release["Arguments"]["ExpressionAttributeValues"][":execution"] == {
        "S": "{% $states.input.detail.executionArn %}"
    }
    # It counts a failed run and alerts, since no Catch of the run's own did.
    assert "ADD ConsecutiveFailures :one" in release["Arguments"]["UpdateExpression"]
    assert release["Next"] == "SendEndedBadlyAlert"
    assert ":stateMachine:prod-'" in release["Arguments"]["Key"]["LockId"]["S"]
    pattern = janitor_event_pattern(ENV, "prod")
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert pattern["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
