"""The state machine a job runs, as an Amazon States Language dict (JSONata query language), and its
role's policy: the union of its Task states' grants and what the machine itself needs (execution logs).

Every execution first claims its slot (components/documents/slot_claims.py): a slot already claimed ends in 3
(ClaimSlot, ReadSlotClaim, SkippedSlotAlreadyRan).
State transitions per execution (each state entered is billed once, each retry of a state once more):
- `concurrency="forbid"` or `"replace"`, lock free, run succeeds: 5 (ClaimSlot, AcquireLock, RunJob or
  RunJobOnSpot, ClassifyAttempt, ReleaseLock); lock held by a live run: 6 (ClaimSlot, AcquireLock, ReadLockHolder,
  LockHolderFound, RecordSkip, SkippedAlreadyRunning) for "forbid", the same for a paused job (RecordPausedSkip,
  SkippedPaused), 9 for "replace" when it stops the holder (ReadLockHolder,
  LockHolderFound, StopLockHolder and TakeOverLock come before the run).
- `concurrency="allow"`, run succeeds: 5 (ClaimSlot, StartRun, RunJob, ClassifyAttempt, RecordSuccess).
- each further attempt: 3 (a Wait, RunJob, ClassifyAttempt); 2 after a Spot interruption (no wait).
- a redriven execution (console Redrive, RedriveExecution) re-entering RunJob: 5 (RunJob, ClassifyAttempt,
  RefuseRedrive, SendRedriveRefusedAlert, RedriveRefused): it never runs the task (components/documents/redrive.py).
"""

from __future__ import annotations

from typing import Any

from components.documents.alert_messages import AlertTarget
from components.documents.attempts import classify, initial_variables
from components.documents.grants import Machine, MachineDocuments, State, Task
from components.documents.job_state import alert_now, failure_alert, failure_update, recovered_alert, success_update
from components.documents.lock_states import (
    JobLock,
    acquire_lock,
    record_run,
    record_skip,
    release_lock,
    replace_states,
    skipped,
    start_unlocked_run,
    why_not_started,
)
from components.documents.redrive import RELEASE_CATCH, RELEASE_THEN, lock_release, refusal_states
from components.documents.run_inputs import refusal_state as input_refusal_state
from components.documents.run_task import RunTarget, run_task
from components.documents.slot_claims import SlotClaims, claim_slot, slot_already_claimed
from components.model.aws_constants import DYNAMODB_CONDITION_FAILED
from components.model.naming import shared_names
from components.model.stack import StackJob

# Error names starting with "States." are reserved to Step Functions (ASL spec), so a caught
# States.TaskFailed or States.Timeout is re-raised as Job.TaskFailed / Job.Timeout; the cause keeps the original.
_FAIL_RUN: State = {
    "Type": "Fail",
    "Comment": "End as failed with the original error, after the lock was released.",
    "Error": (
        "{% $substringBefore($failure.Error, '.') = 'States' "
        "? 'Job.' & $substringAfter($failure.Error, 'States.') : $failure.Error %}"
    ),
    "Cause": (
        "{% ($substringBefore($failure.Error, '.') = 'States' ? $failure.Error & ': ' : '') "
        "& ($exists($failure.Cause) ? $failure.Cause : 'no cause given') %}"
    ),
}


def _lock_states(job: StackJob, lock: JobLock, target: RunTarget, first_run: str) -> dict[str, State | Task]:
    spec = job.spec
    states: dict[str, State | Task] = {
        "AcquireLock": acquire_lock(spec, lock, when_held="ReadLockHolder", then=first_run, assign=initial_variables()),
        **why_not_started(lock, spec.concurrency, first_run),
        "RecordSkip": record_skip(lock),
        "SkippedAlreadyRunning": skipped(job.name),
    }
    if spec.concurrency == "replace":
        # Any execution of the stack's jobs: the job state machines share one role (run_task.py).
        executions = target.env.arn("states", f"execution:{target.prefix}-*")
        # ... but never the stack's own machines that are no job: stopping the janitor or the slot watch would
        # leave a lock held or a slot unwatched (docs/security.md, Roles and what they may do).
        shared = shared_names(target.prefix)
        not_jobs = [
            target.env.arn("states", f"execution:{name}:*")
            for name in (shared.janitor_state_machine, shared.slot_watch_state_machine)
        ]
        states.update(replace_states(spec, lock, executions, first_run, initial_variables(), not_jobs))
    release_catch: list[State] = [
        # Someone took the lock over after it expired: nothing of ours to release.
        {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "LockAlreadyReleased"},
        # Fail so operators hear of it; the janitor then removes the lock.
        {"ErrorEquals": ["States.ALL"], "Assign": {"failure": "{% $states.errorOutput %}"}, "Next": "FailRun"},
    ]
    output = {"Output": "{% $states.input %}"}
    states["ReleaseLock"] = release_lock(lock, success_update(True), release_catch, {**output, "End": True})
    states["ReleaseLockAndRecover"] = release_lock(
        lock, success_update(True), release_catch, {**output, "Next": "SendRecoveredAlert"}
    )
    states["LockAlreadyReleased"] = {"Type": "Succeed"}
    states["ReleaseLockAfterFailure"] = release_lock(
        lock,
        failure_update(job, True),
        [{"ErrorEquals": ["States.ALL"], "Next": "FailRun"}],
        {"Comment": "Release the lock and count the failure, then fail with the original error.", "Next": "AlertNow"},
    )
    return states


def _unlocked_states(job: StackJob, lock: JobLock, first_run: str) -> dict[str, State | Task]:
    """concurrency="allow": no lock, but the job's item still counts its failures for the alerts."""
    to_fail = [{"ErrorEquals": ["States.ALL"], "Next": "FailRun"}]
    output = {"Output": "{% $states.input %}"}
    return {
        "StartRun": start_unlocked_run(lock, first_run, initial_variables()),
        **why_not_started(lock, "allow", "StartRun"),
        "RecordSuccess": record_run(lock, success_update(False), {**output, "End": True}, to_fail),
        "RecordSuccessAndRecover": record_run(
            lock, success_update(False), {**output, "Next": "SendRecoveredAlert"}, to_fail
        ),
        "RecordFailure": record_run(lock, failure_update(job, False), {"Next": "AlertNow"}, to_fail),
    }


def job_machine(job: StackJob, target: RunTarget, lock_table: str, alerts: AlertTarget) -> MachineDocuments:
    """The ASL for `job` and its role's policy; with a lock, every state after it releases the lock on any error.
    A failed run alerts `alerts` as the job's `failure_alerts` say; the first success after an alert says so."""
    spec, name = job.spec, job.name
    locked = spec.concurrency != "allow"
    spot = spec.capacity == "spot"
    first_run = "RunJobOnSpot" if spot else "RunJob"
    lock = JobLock(lock_table, target.env.arn("dynamodb", f"table/{lock_table}"), name)
    claims = SlotClaims(lock.table, lock.table_arn, name)
    machine = Machine()
    machine.add({"ClaimSlot": claim_slot(claims, "AcquireLock" if locked else "StartRun", spec.run_inputs)})
    machine.add(input_refusal_state())
    machine.add(slot_already_claimed(claims))
    machine.add(_lock_states(job, lock, target, first_run) if locked else _unlocked_states(job, lock, first_run))
    machine.add({"RunJob": run_task(spec, name, target, spot=False, then="ClassifyAttempt")})
    if spot:
        machine.add({"RunJobOnSpot": run_task(spec, name, target, spot=True, then="ClassifyAttempt")})
    on_success, on_recovered, on_failure = (
        ("ReleaseLock", "ReleaseLockAndRecover", "ReleaseLockAfterFailure")
        if locked
        else ("RecordSuccess", "RecordSuccessAndRecover", "RecordFailure")
    )
    machine.add(classify(spec, target.container, spot, on_success, on_recovered, on_failure))
    refusal_release = release_lock(lock, lock_release(), RELEASE_CATCH, RELEASE_THEN) if locked else None
    machine.add(refusal_states(job, alerts, refusal_release))
    machine.add(
        {
            "AlertNow": {
                "Type": "Choice",
                "Comment": "Alert on this failure? (the job's failure_alerts: components/documents/job_state.py)",
                "Choices": [{"Condition": f"{{% {alert_now(job)} %}}", "Next": "SendFailureAlert"}],
                "Default": "FailRun",
            },
            "SendFailureAlert": failure_alert(job, alerts, job.names.log_group),
            "SendRecoveredAlert": recovered_alert(job, alerts),
            "RecoveredAlertNotSent": {
                "Type": "Succeed",
                "Comment": "The run succeeded; only its recovery alert could not be sent.",
            },
            "FailRun": _FAIL_RUN,
        }
    )
    comment = f"Scheduled job {name}: {spec.description}" if spec.description else f"Scheduled job {name}"
    return machine.documents(
        Comment=comment,
        QueryLanguage="JSONata",
        StartAt="ClaimSlot",
        TimeoutSeconds=spec.execution_timeout,
    )


def job_definition(job: StackJob, target: RunTarget, lock_table: str, alerts: AlertTarget) -> dict[str, Any]:
    """The ASL alone (see `job_machine`)."""
    return job_machine(job, target, lock_table, alerts).definition
