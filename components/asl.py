"""The state machine a job runs, as an Amazon States Language dict (JSONata query language).

State transitions per execution (each retry of a state is billed as one more):
- `concurrency="forbid"` or `"replace"`, lock free, run succeeds: 4 (AcquireLock, RunJob or
  RunJobOnSpot, CheckExitCode, ReleaseLock); lock held by a live run: 2 (AcquireLock, SkippedAlreadyRunning)
  for "forbid", 8 for "replace" when it stops the holder (ReadLockHolder, LockHolderFound, StopLockHolder
  and TakeOverLock come before the run).
- `concurrency="allow"`, run succeeds: 3 (RunJob, CheckExitCode, Succeeded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.aws_constants import DYNAMODB_CONDITION_FAILED, ECS_START_ERRORS, TASK_FAILED
from components.lock_states import (
    LOCK_ACQUIRED_AT,
    LOCK_EXPIRES_AT,
    LOCK_HOLDER,
    LOCK_KEY,
    State,
    acquire_lock,
    release_arguments,
    replace_states,
    retry_dynamodb,
    skipped,
)
from components.spec import Job
from components.timing import START_RETRY_ATTEMPTS, START_RETRY_BACKOFF_RATE, START_RETRY_INTERVAL_SECONDS

__all__ = ["LOCK_ACQUIRED_AT", "LOCK_EXPIRES_AT", "LOCK_HOLDER", "LOCK_KEY", "RunTarget", "job_definition"]

JOB_FAILED_EXIT_CODE = "Job.NonZeroExit"
SPOT_INTERRUPTED = "SpotInterruption"  # the StopCode of a Fargate Spot task that AWS took back


@dataclass(frozen=True)
class RunTarget:
    """Where and how the job's Fargate task runs; plain strings so the builder needs no Pulumi."""

    cluster: str
    task_family: str
    container: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool


_ENVIRONMENT_OVERRIDES = (
    "{% $exists($states.input.environment) ? "
    "[$each($states.input.environment, function($v, $k) { {'Name': $k, 'Value': $string($v)} })] : [] %}"
)


def _start_retry() -> State:
    return {
        "ErrorEquals": list(ECS_START_ERRORS),
        "IntervalSeconds": START_RETRY_INTERVAL_SECONDS,
        "MaxAttempts": START_RETRY_ATTEMPTS,
        "BackoffRate": START_RETRY_BACKOFF_RATE,
        "JitterStrategy": "FULL",
    }


def _job_retry(job: Job, attempts: int, first_wait: int | None = None) -> list[State]:
    # Only failed runs are retried, as the job asked; a timed-out run (States.Timeout) is not.
    if attempts <= 0:
        return []
    return [
        {
            "ErrorEquals": [TASK_FAILED],
            "IntervalSeconds": job.retries.interval if first_wait is None else first_wait,
            "MaxAttempts": attempts,
            "BackoffRate": float(job.retries.backoff_rate),
        }
    ]


def _run_task(job: Job, target: RunTarget, spot: bool) -> State:
    """A runTask.sync state without Retry/Catch/Next; Fargate Spot goes through a capacity provider
    strategy, which RunTask only accepts without a launch type."""
    placement: dict[str, Any] = (
        {"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}
        if spot
        else {"LaunchType": "FARGATE"}
    )
    return {
        "Type": "Task",
        "Comment": "Run the job's Fargate task and wait for it to stop.",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "TimeoutSeconds": job.timeout,
        "Arguments": {
            "Cluster": target.cluster,
            "TaskDefinition": target.task_family,
            **placement,
            "PlatformVersion": "LATEST",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "Subnets": list(target.subnets),
                    "SecurityGroups": list(target.security_groups),
                    "AssignPublicIp": "ENABLED" if target.assign_public_ip else "DISABLED",
                }
            },
            "PropagateTags": "TASK_DEFINITION",
            "Overrides": {"ContainerOverrides": [{"Name": target.container, "Environment": _ENVIRONMENT_OVERRIDES}]},
        },
        "Output": (
            f"{{% {{'taskArn': $states.result.TaskArn, "
            f"'exitCode': $states.result.Containers[Name='{target.container}'].ExitCode, "
            f"'stopCode': $states.result.StopCode, "
            f"'stoppedReason': $states.result.StoppedReason}} %}}"
        ),
        "Next": "CheckExitCode",
    }


def _catch_all(on_failure: str) -> State:
    return {"ErrorEquals": ["States.ALL"], "Assign": {"failure": "{% $states.errorOutput %}"}, "Next": on_failure}


def _run_states(job: Job, target: RunTarget, on_failure: str) -> dict[str, State]:
    """RunJob on on-demand Fargate; with capacity="spot", first RunJobOnSpot, which falls back to
    RunJob when Spot has no capacity or takes the task back, so the run still happens."""
    on_demand = _run_task(job, target, spot=False)
    on_demand["Retry"] = [_start_retry(), *_job_retry(job, job.retries.attempts)]
    on_demand["Catch"] = [_catch_all(on_failure)]
    states = {"RunJob": on_demand}
    if job.capacity == "spot":
        # No job retries here: a Spot interruption also raises States.TaskFailed, and must not spend them.
        spot = _run_task(job, target, spot=True)
        spot["Catch"] = [
            # No Spot capacity: run on demand at once, without spending the job's retries.
            {"ErrorEquals": list(ECS_START_ERRORS), "Output": "{% $states.input %}", "Next": "RunJob"},
            {
                "ErrorEquals": [TASK_FAILED],
                "Assign": {"failure": "{% $states.errorOutput %}"},
                "Output": "{% $states.input %}",
                "Next": "SpotRunFailed",
            },
            _catch_all(on_failure),
        ]
        states["RunJobOnSpot"] = spot
        states["SpotRunFailed"] = {
            "Type": "Choice",
            "Comment": "A run that Spot interrupted is run again on demand; a job that failed has failed.",
            "Choices": [
                {"Condition": f"{{% $contains($string($failure.Cause), '{SPOT_INTERRUPTED}') %}}", "Next": "RunJob"}
            ],
            "Default": "WaitBeforeRetry" if job.retries.attempts else on_failure,
        }
        if job.retries.attempts:
            # The job failed on Spot: that was its first run; the remaining retries run on demand.
            states["WaitBeforeRetry"] = {"Type": "Wait", "Seconds": job.retries.interval, "Next": "RetryOnDemand"}
            retry_on_demand = _run_task(job, target, spot=False)
            # The wait before RetryOnDemand was the first; the backoff goes on from there.
            second_wait = max(1, round(job.retries.interval * job.retries.backoff_rate))
            retry_on_demand["Retry"] = [_start_retry(), *_job_retry(job, job.retries.attempts - 1, second_wait)]
            retry_on_demand["Catch"] = [_catch_all(on_failure)]
            states["RetryOnDemand"] = retry_on_demand
    return states


def _check_exit_code(on_success: str, spot: bool) -> State:
    choices = [{"Condition": "{% $states.input.exitCode = 0 %}", "Next": on_success}]
    if spot:
        # A container may exit 0 on the SIGTERM of a Spot interruption: that run did not finish.
        choices.insert(0, {"Condition": f"{{% $states.input.stopCode = '{SPOT_INTERRUPTED}' %}}", "Next": "RunJob"})
    return {
        "Type": "Choice",
        "Comment": "A run succeeded only if the job container reported exit code 0.",
        "Choices": choices,
        "Default": "ExitCodeNotZero",
    }


def _exit_code_not_zero(container: str, on_failure: str) -> State:
    cause = (
        f"{{% $exists($states.input.exitCode) "
        f"? 'container {container} exited with code ' & $string($states.input.exitCode) "
        f"& ' (' & $string($states.input.stoppedReason) & ')' "
        f": 'container {container} reported no exit code; task stopped: ' & $string($states.input.stoppedReason) %}}"
    )
    return {
        "Type": "Pass",
        "Assign": {"failure": {"Error": JOB_FAILED_EXIT_CODE, "Cause": cause}},
        "Next": on_failure,
    }


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


def _lock_states(job: Job, table: str, name: str, first_run: str) -> dict[str, State]:
    when_held = "ReadLockHolder" if job.concurrency == "replace" else "SkippedAlreadyRunning"
    states: dict[str, State] = {
        "AcquireLock": acquire_lock(job, table, name, when_held=when_held, then=first_run),
        "SkippedAlreadyRunning": skipped(name),
    }
    if job.concurrency == "replace":
        states.update(replace_states(job, table, name, first_run_state=first_run))
    states["ReleaseLock"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:deleteItem",
        "Arguments": release_arguments(table, name),
        "Retry": retry_dynamodb(),
        "Catch": [
            # Someone took the lock over after it expired: nothing of ours to release.
            {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "LockAlreadyReleased"},
            # Fail so operators hear of it; the janitor then removes the lock.
            _catch_all("FailRun"),
        ],
        "Output": "{% $states.input %}",
        "End": True,
    }
    states["LockAlreadyReleased"] = {"Type": "Succeed"}
    states["ReleaseLockAfterFailure"] = {
        "Type": "Task",
        "Comment": "Release the lock, then fail with the original error whatever happens here.",
        "Resource": "arn:aws:states:::dynamodb:deleteItem",
        "Arguments": release_arguments(table, name),
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "FailRun"}],
        "Next": "FailRun",
    }
    return states


def job_definition(job: Job, target: RunTarget, lock_table: str) -> dict[str, Any]:
    """The ASL for `job`; with a lock, every state after it releases the lock on any error."""
    assert job.name is not None
    name = job.name
    locked = job.concurrency != "allow"
    on_failure = "ReleaseLockAfterFailure" if locked else "FailRun"
    spot = job.capacity == "spot"
    first_run = "RunJobOnSpot" if spot else "RunJob"
    states: dict[str, State] = {}
    if locked:
        states.update(_lock_states(job, lock_table, name, first_run))
    states.update(_run_states(job, target, on_failure))
    states["CheckExitCode"] = _check_exit_code("ReleaseLock" if locked else "Succeeded", spot)
    states["ExitCodeNotZero"] = _exit_code_not_zero(target.container, on_failure)
    if not locked:
        states["Succeeded"] = {"Type": "Succeed"}
    states["FailRun"] = _FAIL_RUN
    comment = f"Scheduled job {name}: {job.description}" if job.description else f"Scheduled job {name}"
    return {
        "Comment": comment,
        "QueryLanguage": "JSONata",
        "StartAt": "AcquireLock" if locked else first_run,
        "TimeoutSeconds": job.execution_timeout,
        "States": states,
    }
