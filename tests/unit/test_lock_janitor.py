"""The lock janitor (components/documents/lock_janitor.py): which executions start it, evaluated with moto's
implementation of EventBridge's pattern matching, not with our own reading of it; which lock it releases; and its
alert, evaluated with jsonata-python: its subject and first fact say what happened to the run (timed out, stopped
from outside and by what, failed), not what the janitor did."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from moto.events.models import EventPattern

from components.documents.lock_janitor import janitor_event_pattern, janitor_machine
from components.documents.table_machine import TableMachineArgs
from tests.support import step_functions_jsonata
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
    definition = janitor_machine(
        TableMachineArgs(env=ENV, table=TABLE, alerts=ALERTS),
        name_prefix="prod",
        shared_machines=["lock-janitor"],
        sources={"report": "jobs/report.py"},
    ).definition
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


EXPRESSION = re.compile(r"^\{%(.*)%\}$", re.DOTALL)
STATES = janitor_machine(
    TableMachineArgs(env=ENV, table="prod-job-locks", alerts=ALERTS),
    name_prefix="prod",
    shared_machines=["lock-janitor", "slot-watch"],
    sources={},
).definition["States"]
EXECUTION = "arn:aws:states:eu-central-1:123456789012:execution:prod-report:run-1"


def _alert(status: str, **detail: Any) -> tuple[str, dict[str, Any]]:
    event = {
        "detail": {
            "executionArn": EXECUTION,
            "stateMachineArn": "arn:aws:states:eu-central-1:123456789012:stateMachine:prod-report",
            "status": status,
            "startDate": 1_796_022_000_000,
            "stopDate": 1_796_022_000_000 + 248 * 60_000,
            **detail,
        }
    }
    item = {"LastFailedSlot": {"S": "2026-11-30T06:00:00Z"}, "ConsecutiveFailures": {"N": "1"}}
    arguments = STATES["SendEndedBadlyAlert"]["Arguments"]
    values = []
    for template in (arguments["Subject"], arguments["Message"]):
        expression = step_functions_jsonata.compiled(EXPRESSION.match(template).group(1))  # type: ignore[union-attr]
        expression.assign("event", event)
        expression.assign("item", item)
        values.append(expression.evaluate({}))
    subject, message = values
    return subject, json.loads(json.loads(message)["default"])


@pytest.mark.parametrize(
    ("status", "detail", "subject", "happened"),
    [
        (
            "TIMED_OUT",
            {},
            "[prod] job report timed out after 248 min",
            "timed out: the whole execution ran past its time limit (TimeoutSeconds), all attempts included",
        ),
        (
            "ABORTED",
            {"error": "Ops.Stopped", "cause": "stopped by alice: INC-4711"},
            "[prod] job report was stopped after 248 min",
            "was stopped from outside (StopExecution: a person, jobctl stop, a deploy or a replacing run): "
            "Ops.Stopped (stopped by alice: INC-4711)",
        ),
        (
            "ABORTED",
            {"error": None, "cause": None},
            "[prod] job report was stopped after 248 min",
            "was stopped from outside (StopExecution: a person, jobctl stop, a deploy or a replacing run)",
        ),
    ],
)
def test_the_ended_badly_alert_says_what_happened_to_the_run_first(
    status: str, detail: dict[str, Any], subject: str, happened: str
) -> None:
    said, facts = _alert(status, **detail)
    assert said == subject
    assert facts["happened"] == happened
    assert facts["durationSeconds"] == 248 * 60
    assert facts["lock"] == "released by the lock janitor, and counted as a failed run"
    assert "janitor" not in said
