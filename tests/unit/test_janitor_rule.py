"""Which executions start the lock janitor: evaluated with moto's implementation of EventBridge's pattern
matching, not with our own reading of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from components.documents.lock_janitor import EVENT_PATTERN_CHARACTERS, janitor_event_pattern
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


def test_only_this_stacks_locked_jobs_that_ended_badly_start_the_janitor() -> None:
    pattern = janitor_event_pattern(ENV, "prod", ["prod-report", "prod-billing"])
    assert _starts(pattern, "prod-report") and _starts(pattern, "prod-billing", "TIMED_OUT")
    assert _starts(pattern, "prod-report", "ABORTED")
    assert not _starts(pattern, "prod-report", "SUCCEEDED")
    assert not _starts(pattern, "prod-lock-janitor")  # its own failure
    assert not _starts(pattern, "prod-etl")  # another team's machine under the same prefix
    assert not _starts(pattern, "prod-report-2")


@pytest.mark.parametrize("jobs", [25, 400])
def test_a_stack_too_large_for_one_pattern_falls_back_to_its_prefix(jobs: int) -> None:
    names = [f"prod-job-{i:03d}" for i in range(jobs)]
    pattern = janitor_event_pattern(ENV, "prod", names)
    assert len(json.dumps(pattern, separators=(",", ":"))) <= EVENT_PATTERN_CHARACTERS
    assert all(_starts(pattern, name) for name in names)
    assert not _starts(pattern, "dev-job-000")
    exact = isinstance(pattern["detail"]["stateMachineArn"][0], str)
    # Past the pattern size the janitor's own first state tells its jobs from the rest (test_lock_on_moto).
    assert exact == (jobs == 25) and (_starts(pattern, "prod-lock-janitor") != exact)
