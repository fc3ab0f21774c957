"""The generated lock, executed on moto (tests/support/moto_harness.py, workarounds 1-10 there): overlapping
starts, failures, retries, timeouts, stops, expiry and takeover, and the lock janitor. Every assertion is
on the lock table and on how the execution ended."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from components.documents.job_machine import job_definition
from components.model.spec import Job
from tests.support import moto_harness as harness
from tests.support import moto_run_states
from tests.support.builders import stack_job
from tests.support.moto_harness import (
    ACCOUNT,
    ALERTS,
    JOB,
    NAMES,
    REGION,
    REPORT,
    ROLE,
    SHARED,
    TARGET,
    Aws,
    with_run_stand_ins,
)

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS
# Workaround 11 (tests/support/moto_run_states.py): the janitor's aws-sdk:sfn:describeExecution runs as generated.
sdk_parameters = moto_run_states.aws_sdk_parameters


def _skipped(aws: Aws, execution: str) -> None:
    ended = aws.ended(execution)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"])["outcome"] == "skipped"
    assert aws.entered(execution) == [
        "ClaimSlot",
        "AcquireLock",
        "ReadLockHolder",
        "LockHolderFound",
        "RecordSkip",
        "SkippedAlreadyRunning",
    ]


def _failed(aws: Aws, execution: str, error: str) -> dict[str, Any]:
    ended = aws.ended(execution)
    assert (ended["status"], ended.get("error")) == ("FAILED", error), ended
    return ended


# --- overlapping starts ---------------------------------------------------------------------------------


def test_two_executions_started_together_one_runs_and_one_skips(aws: Aws) -> None:
    machine = aws.job_machine()
    first, second = aws.start_together(machine, 2)
    run = aws.next_run()
    skipped = second if run.execution == first else first
    _skipped(aws, skipped)
    aws.no_more_runs()
    assert aws.holder() == run.execution

    aws.task_stopped(run, exit_code=0)
    ended = aws.ended(run.execution)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"])["exitCode"] == 0
    assert aws.entered(run.execution) == ["ClaimSlot", "AcquireLock", "RunJob", "ClassifyAttempt", "ReleaseLock"]
    assert aws.lock() is None


def test_twenty_executions_started_together_exactly_one_runs(aws: Aws) -> None:
    machine = aws.job_machine()
    executions = aws.start_together(machine, 20)
    run = aws.next_run()
    for execution in executions:
        if execution != run.execution:
            _skipped(aws, execution)
    aws.no_more_runs()
    assert aws.holder() == run.execution
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(run.execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


def test_lock_records_holder_and_expiry_from_the_execution_start(aws: Aws) -> None:
    machine = aws.job_machine(REPORT.model_copy(update={"inputs": {"DRY_RUN": None}}))
    execution = aws.start(machine, "first", {"environment": {"DRY_RUN": True}})
    run = aws.next_run()
    lock = aws.lock()
    assert lock is not None
    started = aws.sfn.describe_execution(executionArn=execution)["startDate"].timestamp()
    assert lock["ExecutionArn"]["S"] == execution
    # REPORT (timeout 10m, 1 retry after 1m): 5 attempts x 600 + waits 60 + 210 + lock steps 300, then 600 more
    assert int(lock["LockExpiresAt"]["N"]) == int(started) + 3000 + 270 + 300 + 600
    assert "ExpiresAt" not in lock  # the table's TTL attribute: never on a job's item
    assert run.run_task["TaskDefinition"] == NAMES.task_family
    [override] = run.run_task["Overrides"]["ContainerOverrides"]
    assert override["Name"] == NAMES.container
    assert override["Environment"][0] == {"Name": "DRY_RUN", "Value": "true"}  # then the run context
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


# --- a run that goes wrong releases the lock ---------------------------------------------------------------


def test_nonzero_exit_returned_is_retried_then_releases_lock_and_fails_with_the_exit_code(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "exit-3")
    aws.task_stopped(aws.next_run(), exit_code=3)
    aws.task_stopped(aws.next_run(), exit_code=3)  # retries=1: a returned non-zero exit is a failed run too
    ended = _failed(aws, execution, "Job.NonZeroExit")
    assert ended["cause"] == (
        "container job exited with code 3 (Essential container in task exited) "
        "(attempt 2; retries used: 1 of 1, start retries used: 0 of 3)"
    )
    assert aws.waits == [REPORT.retries.interval]
    assert aws.entered(execution)[-5:] == [
        "RunFailed",
        "ReleaseLockAfterFailure",
        "AlertNow",
        "SendFailureAlert",
        "FailRun",
    ]
    aws.no_more_runs()
    assert aws.lock() is None


def test_task_that_never_ran_its_container_is_started_again_then_fails_with_the_stopped_reason(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "no-exit-code")
    for _ in range(4):  # the first attempt and 3 start retries; the job's own retry is not spent on it
        aws.task_stopped(
            aws.next_run(),
            exit_code=None,
            reason="CannotPullContainerError: pull access denied",
            stop_code="TaskFailedToStart",
        )
    ended = _failed(aws, execution, "Job.StartFailed")
    assert ended["cause"] == (
        "container job reported no exit code; task stopped: CannotPullContainerError: pull access denied "
        "(attempt 4; retries used: 0 of 1, start retries used: 3 of 3)"
    )
    assert len(aws.waits) == 3
    aws.no_more_runs()
    assert aws.lock() is None


def test_failed_run_is_retried_as_asked_then_releases_lock_and_fails_with_the_task_error(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "task-failed")
    first = aws.next_run()
    aws.task_failed(first, "States.TaskFailed", "Essential container in task exited")
    second = aws.next_run()  # retries=1: one more run
    assert second.execution == execution
    assert aws.holder() == execution  # the lock is kept between attempts
    aws.task_failed(second, "States.TaskFailed", "Essential container in task exited")
    # "States." names are reserved, so FailRun re-raises it as Job.TaskFailed and keeps it in the cause.
    ended = _failed(aws, execution, "Job.TaskFailed")
    assert ended["cause"] == (
        "States.TaskFailed: Essential container in task exited "
        "(attempt 2; retries used: 1 of 1, start retries used: 0 of 3)"
    )
    assert aws.waits == [REPORT.retries.interval]
    aws.no_more_runs()
    assert aws.lock() is None


def test_failed_run_that_succeeds_on_retry_releases_lock_and_succeeds(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "retry-succeeds")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


def test_transient_start_error_is_retried_and_the_run_goes_ahead(aws: Aws) -> None:
    job = REPORT.model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})})
    execution = aws.start(aws.job_machine(job), "throttled")
    aws.task_failed(aws.next_run(), "ECS.ThrottlingException", "Rate exceeded")
    aws.task_stopped(aws.next_run(), exit_code=0)  # retried although the job asked for no retries
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert len(aws.waits) == 1 and 1 <= aws.waits[0] <= 30  # full jitter on 30 s
    assert aws.lock() is None


def test_start_error_that_persists_releases_lock_and_fails_with_it(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "no-capacity")
    for _ in range(4):  # the first attempt and 3 start retries
        aws.task_failed(aws.next_run(), "AmazonECS.Unknown", "RESOURCE:FARGATE capacity unavailable")
    ended = _failed(aws, execution, "AmazonECS.Unknown")
    assert ended["cause"] == (
        "RESOURCE:FARGATE capacity unavailable (attempt 4; retries used: 0 of 1, start retries used: 3 of 3)"
    )
    aws.no_more_runs()
    assert aws.lock() is None


def test_timed_out_run_releases_lock_and_fails_with_timeout(aws: Aws) -> None:
    # TimeoutSeconds is real time on moto: a 1 s job keeps this test short.
    job = Job(name=JOB, command=["python", "-m", "app.report"], timeout=1, retries=2)
    execution = aws.start(aws.job_machine(job), "too-slow")
    aws.next_run()  # and never answer
    ended = _failed(aws, execution, "Job.Timeout")
    assert ended["cause"].startswith("timed out after 1s, the timeout of the job (attempt 1;")
    assert aws.entered(execution)[-4:] == ["ReleaseLockAfterFailure", "AlertNow", "SendFailureAlert", "FailRun"]
    assert aws.waits == []  # a timed-out run is not retried
    aws.no_more_runs()
    assert aws.lock() is None


# --- executions that end without releasing, expiry and takeover ----------------------------------------------


def test_stopped_execution_keeps_lock_until_it_expires_then_next_execution_takes_it(aws: Aws) -> None:
    machine = aws.job_machine()
    stopped = aws.start(machine, "stopped")
    aws.next_run()
    aws.stop(stopped)
    assert aws.holder() == stopped  # no Catch runs for a stopped execution

    _skipped(aws, aws.start(machine, "before-expiry"))
    assert aws.holder() == stopped

    aws.expire_lock()
    later = aws.start(machine, "after-expiry")
    run = aws.next_run()
    assert run.execution == later
    assert aws.holder() == later
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(later)["status"] == "SUCCEEDED"
    assert aws.lock() is None


def test_lock_with_a_future_expiry_written_by_anyone_makes_executions_skip(aws: Aws) -> None:
    other = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{NAMES.state_machine}:other"
    aws.put_lock(other, int(time.time()) + 3600)
    _skipped(aws, aws.start(aws.job_machine(), "held"))
    assert aws.holder() == other


@pytest.mark.parametrize(
    ("outcome", "status", "last_state"),
    [("exit 0", "SUCCEEDED", "LockAlreadyReleased"), ("exit 1", "FAILED", "FailRun")],
)
def test_stale_owner_ending_after_a_takeover_leaves_the_new_owners_lock(
    aws: Aws, outcome: str, status: str, last_state: str
) -> None:
    machine = aws.job_machine(REPORT.model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})}))
    stale = aws.start(machine, "stale")
    stale_run = aws.next_run()
    aws.expire_lock()
    new = aws.start(machine, "new")
    new_run = aws.next_run()
    assert aws.holder() == new

    aws.task_stopped(stale_run, exit_code=0 if outcome == "exit 0" else 1)
    ended = aws.ended(stale)
    assert ended["status"] == status
    if status == "FAILED":
        assert ended["error"] == "Job.NonZeroExit"  # its own error, not the failed release's
    assert aws.entered(stale)[-1] == last_state
    assert aws.holder() == new

    aws.task_stopped(new_run, exit_code=0)
    assert aws.ended(new)["status"] == "SUCCEEDED"
    assert aws.lock() is None


@pytest.mark.parametrize(("state", "operation"), [("ClaimSlot", "put_item"), ("AcquireLock", "update_item")])
def test_a_claim_or_lock_write_that_landed_but_answered_500_is_retried_and_still_runs_the_job(
    aws: Aws, state: str, operation: str
) -> None:
    machine = aws.job_machine()
    aws.fail_next_write_after_writing(operation)
    execution = aws.start(machine, "lost-answer", {"scheduledTime": "2026-11-30T06:00:00Z"})
    entered = aws.entered_until(execution, 3)
    assert entered == ["ClaimSlot", "AcquireLock", "RunJob"], (aws.ended(execution), aws.lock())
    assert aws.retried_states(execution) == [state]
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


# --- the lock janitor -----------------------------------------------------------------------------------------


def _status_change(aws: Aws, execution: str) -> dict[str, Any]:
    """The EventBridge "Step Functions Execution Status Change" event for an execution that has ended."""
    described = aws.sfn.describe_execution(executionArn=execution)
    stopped_at = described.get("stopDate") or datetime.now(UTC)  # moto omits it for TIMED_OUT
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "time": stopped_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [execution],
        "detail": {
            "executionArn": execution,
            "stateMachineArn": described["stateMachineArn"],
            "name": described["name"],
            "status": described["status"],
            "startDate": int(described["startDate"].timestamp() * 1000),
            "stopDate": int(stopped_at.timestamp() * 1000),
            "input": described.get("input", "{}"),
            "output": None,
        },
    }


def test_janitor_releases_the_lock_of_a_stopped_execution(aws: Aws) -> None:
    stopped = aws.start(aws.job_machine(), "stopped")
    aws.next_run()
    aws.stop(stopped)
    assert aws.holder() == stopped

    janitor = aws.start(aws.janitor_machine(), "janitor-1", _status_change(aws, stopped))
    ended = aws.ended(janitor)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"released": True}
    assert aws.lock() is None


def test_janitor_releases_the_lock_of_a_timed_out_execution(aws: Aws) -> None:
    # A whole-execution timeout (TimeoutSeconds at the top) runs no Catch. Workaround 9: moto times out
    # in real time, so the execution timeout is lowered to 1 s here; every state stays as generated.
    machine_definition = with_run_stand_ins(
        job_definition(stack_job(REPORT, harness.PREFIX), TARGET, SHARED.lock_table, ALERTS), aws.queue
    )
    machine_definition["TimeoutSeconds"] = 1
    machine = aws.sfn.create_state_machine(
        name=NAMES.state_machine, definition=json.dumps(machine_definition), roleArn=ROLE
    )["stateMachineArn"]
    timed_out = aws.start(machine, "timed-out")
    aws.next_run()
    assert aws.ended(timed_out)["status"] == "TIMED_OUT"
    assert aws.holder() == timed_out

    janitor = aws.start(aws.janitor_machine(), "janitor-1", _status_change(aws, timed_out))
    assert json.loads(aws.ended(janitor)["output"]) == {"released": True}
    assert aws.lock() is None
    # No Catch of its own ran, so the janitor counts the failed run and alerts.
    [alert] = aws.alerts()
    assert {k: alert.get(k) for k in ("kind", "job", "module", "outcome", "consecutiveFailures", "execution")} == {
        "kind": "ended-badly",
        "job": JOB,
        "module": "jobs/report.py",
        "outcome": "timed out",
        "consecutiveFailures": 1,
        "execution": timed_out,
    }
    # What happened to the run comes first; the janitor's part after it.
    assert alert["happened"] == (
        "timed out: the whole execution ran past its time limit (TimeoutSeconds), all attempts included"
    )
    assert alert["lock"] == "released by the lock janitor, and counted as a failed run"
    started = aws.sfn.describe_execution(executionArn=timed_out)["startDate"]
    item = aws.item()
    # The run's slot (a manual run's: its start) is its failed slot; the release removed every lock attribute.
    assert item["LastFailedSlot"]["S"][:19] == started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert not {"ExecutionArn", "AcquiredAt", "LockExpiresAt", "RunSlot", "ExpiresAt"} & set(item)


def test_janitor_given_a_made_up_event_for_a_running_holder_releases_nothing(aws: Aws) -> None:
    # Anyone who may start the janitor could hand it a "FAILED" event for a run that is still running.
    running = aws.start(aws.job_machine(), "running")
    run = aws.next_run()
    forged = _status_change(aws, running)
    assert forged["detail"]["status"] == "RUNNING"
    for status in ("FAILED", "TIMED_OUT", "ABORTED"):
        janitor = aws.start(
            aws.janitor_machine(), f"forged-{status}", {**forged, "detail": {**forged["detail"], "status": status}}
        )
        ended = aws.ended(janitor)
        assert (ended["status"], ended["error"]) == ("FAILED", "Janitor.NotEnded"), ended
        assert ended["cause"].startswith(f"released nothing: {running} is RUNNING")
        assert aws.entered(janitor) == ["IsAJobOfThisStack", "VerifyItEnded", "HasItEnded", "NotEnded"]
        assert aws.holder() == running
    assert aws.alerts() == []
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(running)["status"] == "SUCCEEDED"


def test_janitor_given_an_event_that_names_another_machine_or_status_releases_nothing(aws: Aws) -> None:
    stopped = aws.start(aws.job_machine(), "stopped")
    aws.next_run()
    aws.stop(stopped)
    event = _status_change(aws, stopped)
    assert event["detail"]["status"] == "ABORTED"
    other_machine = event["detail"]["stateMachineArn"].replace(f":{NAMES.state_machine}", f":{harness.PREFIX}-other")
    for detail in ({"status": "FAILED"}, {"stateMachineArn": other_machine}):
        janitor = aws.start(
            aws.janitor_machine(),
            f"mismatch-{len(detail)}-{sorted(detail)[0]}",
            {**event, "detail": {**event["detail"], **detail}},
        )
        assert aws.ended(janitor)["error"] == "Janitor.NotEnded"
        assert aws.holder() == stopped
    # The true event releases it.
    janitor = aws.start(aws.janitor_machine(), "true", event)
    assert json.loads(aws.ended(janitor)["output"]) == {"released": True}
    assert aws.lock() is None


def test_janitor_leaves_a_lock_that_another_execution_holds(aws: Aws) -> None:
    machine = aws.job_machine()
    stopped = aws.start(machine, "stopped")
    aws.next_run()
    aws.stop(stopped)
    aws.expire_lock()
    new = aws.start(machine, "new")
    aws.next_run()
    assert aws.holder() == new

    janitor = aws.start(aws.janitor_machine(), "janitor-1", _status_change(aws, stopped))
    ended = aws.ended(janitor)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"released": False}
    assert aws.holder() == new


def _event_about(aws: Aws, machine_name: str, execution_name: str) -> dict[str, Any]:
    """A status-change event for an execution of some other machine (it need not exist for the janitor)."""
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}"
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{execution_name}"
    return {
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {"executionArn": execution, "stateMachineArn": machine, "status": "FAILED"},
    }


def test_janitor_ignores_its_own_failure_without_a_write(aws: Aws) -> None:
    event = _event_about(aws, SHARED.janitor_state_machine, "run-1")
    aws.put_lock(event["detail"]["executionArn"], expires_at=2_000_000_000, job="lock-janitor")
    janitor = aws.start(aws.janitor_machine(), "janitor-1", event)
    ended = aws.ended(janitor)
    assert ended["status"] == "SUCCEEDED"  # so it sends no FAILED event that could start it again
    assert json.loads(ended["output"]) == {
        "released": False,
        "ignored": f"{event['detail']['stateMachineArn']} is not a job of stack {harness.PREFIX}",
    }
    assert aws.entered(janitor) == ["IsAJobOfThisStack", "NotAJobOfThisStack"]
    assert aws.holder("lock-janitor") == event["detail"]["executionArn"]  # nothing written


def test_janitor_changes_nothing_for_a_machine_that_holds_no_lock_here(aws: Aws) -> None:
    # Another team's `<prefix>-etl`: no role of theirs may write this table, so it holds no lock in it.
    event = _event_about(aws, f"{harness.PREFIX}-etl", "run-1")
    janitor = aws.start(aws.janitor_machine(), "janitor-1", event)
    assert json.loads(aws.ended(janitor)["output"]) == {"released": False}
    # The execution does not exist (Sfn.ExecutionDoesNotExistException): it holds no live run's lock.
    assert aws.entered(janitor) == [
        "IsAJobOfThisStack",
        "VerifyItEnded",
        "ReleaseAbandonedLock",
        "NotHeldByThatExecution",
    ]
    assert aws.stored("etl") is None and aws.alerts() == []


def test_janitor_releases_the_lock_of_a_job_removed_from_jobs_and_says_so(aws: Aws) -> None:
    # The job's module was deleted while it ran: its machine was deleted after the run, which ended without
    # releasing its lock (DeleteStateMachine terminates executions "on the next state transition").
    event = _event_about(aws, f"{harness.PREFIX}-nightly-export", "scheduled-9")
    aws.put_lock(event["detail"]["executionArn"], expires_at=2_000_000_000, job="nightly-export")
    janitor = aws.start(aws.janitor_machine(), "janitor-1", event)
    assert aws.ended(janitor)["status"] == "SUCCEEDED"
    assert aws.lock("nightly-export") is None
    [alert] = aws.alerts()
    assert (alert["job"], alert["module"], alert["outcome"]) == (
        "nightly-export",
        "none: the job was removed from jobs/",
        "failed",
    )


def test_janitor_that_cannot_release_fails_naming_the_job_and_the_execution(aws: Aws) -> None:
    stopped = aws.start(aws.job_machine(), "stopped")
    aws.next_run()
    aws.stop(stopped)
    aws.ddb.delete_table(TableName=SHARED.lock_table)  # every write now fails with ResourceNotFoundException
    janitor = aws.start(aws.janitor_machine(), "janitor-1", _status_change(aws, stopped))
    ended = aws.ended(janitor)
    assert ended["status"] == "FAILED"
    assert ended["error"] == "Janitor.ReleaseFailed"
    assert ended["cause"].startswith(f"could not release the lock of job {JOB} held by {stopped}: DynamoDB.")


# --- every class of outcome, executed (the classifier itself: tests/unit/test_attempts.py) --------------------


def test_an_error_no_retry_fixes_fails_at_once_with_its_cause(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "denied")  # retries=1, and 3 start retries: none is spent
    aws.task_failed(aws.next_run(), "ECS.AccessDeniedException", "not authorized to perform: ecs:TagResource")
    ended = _failed(aws, execution, "ECS.AccessDeniedException")
    assert ended["cause"] == (
        "not authorized to perform: ecs:TagResource (attempt 1; retries used: 0 of 1, start retries used: 0 of 3)"
    )
    assert aws.waits == []
    aws.no_more_runs()
    assert aws.lock() is None


def test_a_task_that_failed_to_start_raised_as_task_failed_spends_the_start_budget(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "eni-timeout")
    cause = json.dumps({"StopCode": "TaskFailedToStart", "StoppedReason": "ResourceInitializationError: ENI"})
    for _ in range(4):
        aws.task_failed(aws.next_run(), "States.TaskFailed", cause)
    ended = _failed(aws, execution, "Job.TaskFailed")
    # The task's description is told by its stop code and reason (attempts.py `_task_words`), not as JSON.
    assert ended["cause"] == (
        "States.TaskFailed: task stopped (TaskFailedToStart): ResourceInitializationError: ENI "
        "(attempt 4; retries used: 0 of 1, start retries used: 3 of 3)"
    )
    assert len(aws.waits) == 3
    aws.no_more_runs()
    assert aws.lock() is None


def test_a_task_stopped_from_outside_is_a_failed_run_and_is_retried(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "stopped-task")
    aws.task_stopped(aws.next_run(), exit_code=None, reason="Task stopped by user", stop_code="UserInitiated")
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.waits == [REPORT.retries.interval]
    assert aws.lock() is None
