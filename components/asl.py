"""The state machine a job runs, as an Amazon States Language dict (JSONata query language).

A successful run of a `concurrency="forbid"` job costs 4 state transitions: AcquireLock, RunJob,
CheckExitCode, ReleaseLock. A skipped run (lock held) costs 2: AcquireLock, SkippedAlreadyRunning.
A successful `concurrency="allow"` run costs 3: RunJob, CheckExitCode, Succeeded. Each retry of a
state is billed as one more transition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.aws_constants import (
    DYNAMODB_CONDITION_FAILED,
    DYNAMODB_TRANSIENT_ERRORS,
    ECS_START_ERRORS,
    TASK_FAILED,
)
from components.spec import Job
from components.timing import (
    START_RETRY_ATTEMPTS,
    START_RETRY_BACKOFF_RATE,
    START_RETRY_INTERVAL_SECONDS,
    lock_lifetime_seconds,
)

State = dict[str, Any]

# Lock item attributes. Avoid DynamoDB reserved words (OWNER is one), so no ExpressionAttributeNames.
LOCK_KEY = "LockId"
LOCK_HOLDER = "ExecutionArn"
LOCK_ACQUIRED_AT = "AcquiredAt"
LOCK_EXPIRES_AT = "ExpiresAt"  # epoch seconds; also the table's TTL attribute

EXECUTION_ID = "{% $states.context.Execution.Id %}"
JOB_FAILED_EXIT_CODE = "Job.NonZeroExit"


@dataclass(frozen=True)
class RunTarget:
    """Where and how the job's Fargate task runs; plain strings so the builder needs no Pulumi."""

    cluster: str
    task_family: str
    container: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool


def retry_dynamodb() -> list[State]:
    # The condition failure is an answer, not a fault: never retry it (as AWS's own lock sample does).
    return [
        {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "MaxAttempts": 0},
        {
            "ErrorEquals": list(DYNAMODB_TRANSIENT_ERRORS),
            "IntervalSeconds": 1,
            "MaxAttempts": 6,
            "BackoffRate": 2.0,
            "MaxDelaySeconds": 20,
            "JitterStrategy": "FULL",
        },
    ]


def _lock_key(job_name: str) -> dict[str, Any]:
    return {LOCK_KEY: {"S": job_name}}


def _release(table: str, job_name: str) -> dict[str, Any]:
    """deleteItem arguments that delete the lock only while this execution still holds it."""
    return {
        "TableName": table,
        "Key": _lock_key(job_name),
        "ConditionExpression": f"{LOCK_HOLDER} = :me",
        "ExpressionAttributeValues": {":me": {"S": EXECUTION_ID}},
    }


def _acquire_lock(job: Job, table: str, job_name: str) -> State:
    lifetime = lock_lifetime_seconds(job.execution_timeout)
    return {
        "Type": "Task",
        "Comment": "Take the job's lock unless a live execution holds it; an expired lock is taken over.",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Arguments": {
            "TableName": table,
            "Item": {
                LOCK_KEY: {"S": job_name},
                LOCK_HOLDER: {"S": EXECUTION_ID},
                LOCK_ACQUIRED_AT: {"S": "{% $states.context.State.EnteredTime %}"},
                LOCK_EXPIRES_AT: {
                    "N": f"{{% $string($floor($toMillis($states.context.Execution.StartTime) / 1000) + {lifetime}) %}}"
                },
            },
            # DynamoDB's TTL deletes expired items late (up to days), so the expiry is checked here too.
            "ConditionExpression": f"attribute_not_exists({LOCK_KEY}) OR {LOCK_EXPIRES_AT} < :now",
            "ExpressionAttributeValues": {":now": {"N": "{% $string($floor($millis() / 1000)) %}"}},
        },
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "SkippedAlreadyRunning"}],
        "Output": "{% $states.input %}",
        "Next": "RunJob",
    }


_ENVIRONMENT_OVERRIDES = (
    "{% $exists($states.input.environment) ? "
    "[$each($states.input.environment, function($v, $k) { {'Name': $k, 'Value': $string($v)} })] : [] %}"
)


def _run_job(job: Job, target: RunTarget, on_failure: str) -> State:
    retry: list[State] = [
        {
            "ErrorEquals": list(ECS_START_ERRORS),
            "IntervalSeconds": START_RETRY_INTERVAL_SECONDS,
            "MaxAttempts": START_RETRY_ATTEMPTS,
            "BackoffRate": START_RETRY_BACKOFF_RATE,
            "JitterStrategy": "FULL",
        }
    ]
    if job.retries.attempts:
        # Only failed runs are retried, as the job asked; a timed-out run (States.Timeout) is not.
        retry.append(
            {
                "ErrorEquals": [TASK_FAILED],
                "IntervalSeconds": job.retries.interval,
                "MaxAttempts": job.retries.attempts,
                "BackoffRate": float(job.retries.backoff_rate),
            }
        )
    return {
        "Type": "Task",
        "Comment": "Run the job's Fargate task and wait for it to stop.",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "TimeoutSeconds": job.timeout,
        "Arguments": {
            "Cluster": target.cluster,
            "TaskDefinition": target.task_family,
            "LaunchType": "FARGATE",
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
        "Retry": retry,
        "Catch": [
            {"ErrorEquals": ["States.ALL"], "Assign": {"failure": "{% $states.errorOutput %}"}, "Next": on_failure}
        ],
        "Output": (
            f"{{% {{'taskArn': $states.result.TaskArn, "
            f"'exitCode': $states.result.Containers[Name='{target.container}'].ExitCode, "
            f"'stoppedReason': $states.result.StoppedReason}} %}}"
        ),
        "Next": "CheckExitCode",
    }


def _check_exit_code(on_success: str) -> State:
    return {
        "Type": "Choice",
        "Comment": "A run succeeded only if the job container reported exit code 0.",
        "Choices": [{"Condition": "{% $states.input.exitCode = 0 %}", "Next": on_success}],
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


_FAIL_RUN: State = {
    "Type": "Fail",
    "Comment": "End as failed with the original error, after the lock was released.",
    "Error": "{% $failure.Error %}",
    "Cause": "{% $exists($failure.Cause) ? $failure.Cause : 'no cause given' %}",
}


def job_definition(job: Job, target: RunTarget, lock_table: str) -> dict[str, Any]:
    """The ASL for `job`; for `concurrency="forbid"` every state after the lock releases it on any error."""
    assert job.name is not None
    name = job.name
    comment = f"Scheduled job {name}: {job.description}" if job.description else f"Scheduled job {name}"
    if job.concurrency == "allow":
        states: dict[str, State] = {
            "RunJob": _run_job(job, target, on_failure="FailRun"),
            "CheckExitCode": _check_exit_code(on_success="Succeeded"),
            "ExitCodeNotZero": _exit_code_not_zero(target.container, on_failure="FailRun"),
            "Succeeded": {"Type": "Succeed"},
            "FailRun": _FAIL_RUN,
        }
        start = "RunJob"
    else:
        states = {
            "AcquireLock": _acquire_lock(job, lock_table, name),
            "SkippedAlreadyRunning": {
                "Type": "Succeed",
                "Comment": "Another execution holds the lock: this run is skipped, visibly.",
                "Output": {
                    "outcome": "skipped",
                    "reason": f"already running: another execution holds the lock of {name}",
                },
            },
            "RunJob": _run_job(job, target, on_failure="ReleaseLockAfterFailure"),
            "CheckExitCode": _check_exit_code(on_success="ReleaseLock"),
            "ExitCodeNotZero": _exit_code_not_zero(target.container, on_failure="ReleaseLockAfterFailure"),
            "ReleaseLock": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:deleteItem",
                "Arguments": _release(lock_table, name),
                "Retry": retry_dynamodb(),
                "Catch": [
                    # Someone took the lock over after it expired: nothing of ours to release.
                    {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "LockAlreadyReleased"},
                    # Fail so operators hear of it; the janitor then removes the lock.
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"failure": "{% $states.errorOutput %}"},
                        "Next": "FailRun",
                    },
                ],
                "Output": "{% $states.input %}",
                "End": True,
            },
            "LockAlreadyReleased": {"Type": "Succeed"},
            "ReleaseLockAfterFailure": {
                "Type": "Task",
                "Comment": "Release the lock, then fail with the original error whatever happens here.",
                "Resource": "arn:aws:states:::dynamodb:deleteItem",
                "Arguments": _release(lock_table, name),
                "Retry": retry_dynamodb(),
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "FailRun"}],
                "Next": "FailRun",
            },
            "FailRun": _FAIL_RUN,
        }
        start = "AcquireLock"
    return {
        "Comment": comment,
        "QueryLanguage": "JSONata",
        "StartAt": start,
        "TimeoutSeconds": job.execution_timeout,
        "States": states,
    }
