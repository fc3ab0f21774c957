"""The state machine a job runs, as an Amazon States Language dict (JSONata query language), and its
role's policy: the union of its Task states' grants and what the machine itself needs (execution logs).

State transitions per execution (each state entered is billed once, each retry of a state once more):
- `concurrency="forbid"` or `"replace"`, lock free, run succeeds: 4 (AcquireLock, RunJob or
  RunJobOnSpot, ClassifyAttempt, ReleaseLock); lock held by a live run: 2 (AcquireLock,
  SkippedAlreadyRunning) for "forbid", 8 for "replace" when it stops the holder (ReadLockHolder,
  LockHolderFound, StopLockHolder and TakeOverLock come before the run).
- `concurrency="allow"`, run succeeds: 4 (StartRun, RunJob, ClassifyAttempt, Succeeded).
- each further attempt: 3 (a Wait, RunJob, ClassifyAttempt); 2 after a Spot interruption (no wait).
"""

from __future__ import annotations

from typing import Any

from components.documents.attempts import classify, initial_variables
from components.documents.grants import Machine, MachineDocuments, State, Task
from components.documents.lock_states import JobLock, acquire_lock, release_lock, replace_states, skipped
from components.documents.run_task import RunTarget, run_task
from components.model.aws_constants import DYNAMODB_CONDITION_FAILED
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
    when_held = "ReadLockHolder" if spec.concurrency == "replace" else "SkippedAlreadyRunning"
    states: dict[str, State | Task] = {
        "AcquireLock": acquire_lock(spec, lock, when_held=when_held, then=first_run, assign=initial_variables()),
        "SkippedAlreadyRunning": skipped(job.name),
    }
    if spec.concurrency == "replace":
        executions = target.env.arn("states", f"execution:{job.names.state_machine}:*")
        states.update(replace_states(spec, lock, executions, first_run, initial_variables()))
    states["ReleaseLock"] = release_lock(
        lock,
        catch=[
            # Someone took the lock over after it expired: nothing of ours to release.
            {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "LockAlreadyReleased"},
            # Fail so operators hear of it; the janitor then removes the lock.
            {"ErrorEquals": ["States.ALL"], "Assign": {"failure": "{% $states.errorOutput %}"}, "Next": "FailRun"},
        ],
        then={"Output": "{% $states.input %}", "End": True},
    )
    states["LockAlreadyReleased"] = {"Type": "Succeed"}
    states["ReleaseLockAfterFailure"] = release_lock(
        lock,
        catch=[{"ErrorEquals": ["States.ALL"], "Next": "FailRun"}],
        then={
            "Comment": "Release the lock, then fail with the original error whatever happens here.",
            "Next": "FailRun",
        },
    )
    return states


def job_machine(job: StackJob, target: RunTarget, lock_table: str) -> MachineDocuments:
    """The ASL for `job` and its role's policy; with a lock, every state after it releases the lock on any error."""
    spec, name = job.spec, job.name
    locked = spec.concurrency != "allow"
    on_failure = "ReleaseLockAfterFailure" if locked else "FailRun"
    spot = spec.capacity == "spot"
    first_run = "RunJobOnSpot" if spot else "RunJob"
    machine = Machine()
    if locked:
        lock = JobLock(lock_table, target.env.arn("dynamodb", f"table/{lock_table}"), name)
        machine.add(_lock_states(job, lock, target, first_run))
    else:
        machine.add({"StartRun": {"Type": "Pass", "Assign": initial_variables(), "Next": first_run}})
    machine.add({"RunJob": run_task(spec, target, spot=False, then="ClassifyAttempt")})
    if spot:
        machine.add({"RunJobOnSpot": run_task(spec, target, spot=True, then="ClassifyAttempt")})
    on_success = "ReleaseLock" if locked else "Succeeded"
    machine.add(classify(spec, target.container, spot, on_success, on_failure))
    if not locked:
        machine.add({"Succeeded": {"Type": "Succeed"}})
    machine.add({"FailRun": _FAIL_RUN})
    comment = f"Scheduled job {name}: {spec.description}" if spec.description else f"Scheduled job {name}"
    return machine.documents(
        Comment=comment,
        QueryLanguage="JSONata",
        StartAt="AcquireLock" if locked else "StartRun",
        TimeoutSeconds=spec.execution_timeout,
    )


def job_definition(job: StackJob, target: RunTarget, lock_table: str) -> dict[str, Any]:
    """The ASL alone (see `job_machine`)."""
    return job_machine(job, target, lock_table).definition
