"""Failure and recovery alerts, executed on moto: what reaches the stack's topic (read from a queue subscribed
to it, as a chat bridge would get it) and what an e-mail subscriber reads (the `email` form of the message the
state published), for a first failure, a repeated one, recovery, and each job's `failure_alerts`."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from components.model.spec import FailureAlerts, Job
from tests.support import moto_harness as harness
from tests.support.moto_harness import ACCOUNT, JOB, REGION, REPORT, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:test-report"
CONSOLE = f"https://{REGION}.console.aws.amazon.com"
LOGS = f"{CONSOLE}/cloudwatch/home?region={REGION}#logsV2:log-groups/log-group/$252Fscheduled-jobs$252Ftest$252Freport"
SLOT = "2026-11-30T06:00:00Z"


def _job(**alerts: Any) -> Job:
    return REPORT.model_copy(
        update={"retries": REPORT.retries.model_copy(update={"attempts": 0}), "failure_alerts": FailureAlerts(**alerts)}
    )


_HOURS = itertools.count(1)


def _run(aws: Aws, machine: str, name: str, exit_code: int, slot: str | None = None) -> dict[str, Any]:
    """One scheduled run; without `slot`, of a slot no run of this test had (a slot runs once)."""
    slot = slot or (datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=next(_HOURS))).strftime("%Y-%m-%dT%H:%M:%SZ")
    execution = aws.start(machine, name, {"scheduledTime": slot})
    aws.task_stopped(aws.next_run(), exit_code=exit_code)
    return aws.ended(execution)


def _published(aws: Aws, execution: str) -> list[dict[str, Any]]:
    """The messages an execution published (its sns:publish tasks' parameters): both forms of each."""
    events = aws.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    scheduled = [e["taskScheduledEventDetails"] for e in events if "taskScheduledEventDetails" in e]
    return [json.loads(json.loads(t["parameters"])["Message"]) for t in scheduled if t["resourceType"] == "sns"]


def test_a_failed_run_alerts_once_with_what_failed_and_where_to_look(aws: Aws) -> None:
    machine = aws.job_machine(_job())
    ended = _run(aws, machine, "first", exit_code=3, slot=SLOT)
    assert ended["status"] == "FAILED"
    [alert] = aws.alerts()
    duration = alert.pop("durationSeconds")
    assert isinstance(duration, int) and duration >= 0
    assert alert == {
        "schema": "scheduled-jobs/alert/v1",
        "kind": "failed",
        "stack": "test",
        "job": "report",
        "module": "jobs/report.py",
        "slot": SLOT,
        "outcome": "failed",
        "error": "Job.NonZeroExit",
        "cause": "container job exited with code 3 (Essential container in task exited) "
        "(attempt 1; retries used: 0 of 0, start retries used: 0 of 3)",
        "attempts": 1,
        "consecutiveFailures": 1,
        "lastSuccessAt": "none recorded",
        "execution": f"{EXECUTION}:first",
        "executionLink": f"{CONSOLE}/states/home?region={REGION}#/v2/executions/details/{EXECUTION}:first",
        "logsLink": f"{LOGS}/log-events/job$252Fjob$252F0123456789abcdef",
    }
    [message] = _published(aws, f"{EXECUTION}:first")
    email = message["email"].split("\n")
    assert email[:3] == ["[test] job report failed: Job.NonZeroExit", "", "Stack:             test"]
    assert "Slot:              2026-11-30T06:00:00Z" in email
    assert "Failures in a row: 1" in email
    assert f"Container log:     {LOGS}/log-events/job$252Fjob$252F0123456789abcdef" in email
    assert json.loads(message["default"]) == {**alert, "durationSeconds": duration}


def test_a_job_that_keeps_failing_does_not_page_on_every_run_and_recovery_is_said(aws: Aws) -> None:
    machine = aws.job_machine(_job())  # after=1, again_after=20h
    _run(aws, machine, "fail-1", exit_code=1)
    _run(aws, machine, "fail-2", exit_code=1, slot="2026-11-30T07:00:00Z")
    _run(aws, machine, "fail-3", exit_code=1, slot="2026-11-30T08:00:00Z")
    assert [a["consecutiveFailures"] for a in aws.alerts()] == [1]  # only the first of three
    assert aws.item()["ConsecutiveFailures"] == {"N": "3"}

    ended = _run(aws, machine, "ok", exit_code=0, slot="2026-11-30T09:00:00Z")
    assert ended["status"] == "SUCCEEDED"
    assert aws.entered(f"{EXECUTION}:ok")[-2:] == ["ReleaseLockAndRecover", "SendRecoveredAlert"]
    [recovered] = aws.alerts()
    assert {k: recovered[k] for k in ("kind", "job", "slot", "failuresBefore")} == {
        "kind": "recovered",
        "job": "report",
        "slot": "2026-11-30T09:00:00Z",
        "failuresBefore": 3,
    }
    item = aws.item()
    assert item["ConsecutiveFailures"] == {"N": "0"} and "AlertedAt" not in item
    assert item["LastSucceededSlot"] == {"S": "2026-11-30T09:00:00Z"}
    assert aws.lock() is None  # released: the item keeps only what the alerts need

    _run(aws, machine, "ok-again", exit_code=0)
    assert aws.alerts() == []  # a success with no outstanding alert says nothing
    _run(aws, machine, "fail-again", exit_code=1)
    assert [a["kind"] for a in aws.alerts()] == ["failed"]  # a new run of failures alerts again


def test_alert_after_n_failures_and_again_every_m_more(aws: Aws) -> None:
    machine = aws.job_machine(_job(after=2, again_every=2))
    alerted = []
    for n in range(1, 7):
        _run(aws, machine, f"fail-{n}", exit_code=1)
        alerted += [a["consecutiveFailures"] for a in aws.alerts()]
    assert alerted == [2, 4, 6]


def test_alert_again_once_the_interval_has_passed_while_still_failing(aws: Aws) -> None:
    machine = aws.job_machine(_job(again_after="1h"))
    _run(aws, machine, "fail-1", exit_code=1)
    _run(aws, machine, "fail-2", exit_code=1)
    assert len(aws.alerts()) == 1
    # An hour later: move the last alert back instead of waiting.
    aws.ddb.update_item(
        TableName="test-job-locks",
        Key={"LockId": {"S": JOB}},
        UpdateExpression="SET AlertedAt = AlertedAt - :hour",
        ExpressionAttributeValues={":hour": {"N": "3600"}},
    )
    _run(aws, machine, "fail-3", exit_code=1)
    assert [a["consecutiveFailures"] for a in aws.alerts()] == [3]


def test_a_skipped_run_neither_fails_nor_recovers(aws: Aws) -> None:
    machine = aws.job_machine(_job())
    _run(aws, machine, "fail", exit_code=1)
    aws.alerts()
    holder = aws.start(machine, "holder", {"scheduledTime": SLOT})
    run = aws.next_run()
    skipped = aws.start(machine, "skipped", {"scheduledTime": "2026-11-30T07:00:00Z"})
    assert json.loads(aws.ended(skipped)["output"])["outcome"] == "skipped"
    assert aws.alerts() == []
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(holder)["status"] == "SUCCEEDED"
    assert [a["kind"] for a in aws.alerts()] == ["recovered"]
