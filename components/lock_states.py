"""The lock states of a job's state machine: take, take over (replace), and release the DynamoDB lock.

The lock item is {LockId: job name, ExecutionArn: holder, AcquiredAt, ExpiresAt (epoch seconds)}."""

from __future__ import annotations

from typing import Any

from components.aws_constants import (
    DYNAMODB_CONDITION_FAILED,
    DYNAMODB_TRANSIENT_ERRORS,
    SFN_EXECUTION_DOES_NOT_EXIST,
)
from components.spec import Job
from components.timing import lock_lifetime_seconds

State = dict[str, Any]

# Lock item attributes. Avoid DynamoDB reserved words (OWNER is one), so no ExpressionAttributeNames.
LOCK_KEY = "LockId"
LOCK_HOLDER = "ExecutionArn"
LOCK_ACQUIRED_AT = "AcquiredAt"
LOCK_EXPIRES_AT = "ExpiresAt"  # epoch seconds; also the table's TTL attribute

EXECUTION_ID = "{% $states.context.Execution.Id %}"
NOW_SECONDS = "{% $string($floor($millis() / 1000)) %}"
# "Or already ours": DynamoDB may apply a put and still answer 5xx; the retried put must then succeed.
FREE_EXPIRED_OR_OURS = f"attribute_not_exists({LOCK_KEY}) OR {LOCK_EXPIRES_AT} < :now OR {LOCK_HOLDER} = :me"
REPLACED_ERROR = "Job.Replaced"
_NOW_AND_ME = {":now": {"N": NOW_SECONDS}, ":me": {"S": EXECUTION_ID}}


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


def lock_key(job_name: str) -> dict[str, Any]:
    return {LOCK_KEY: {"S": job_name}}


def _put_lock(job: Job, table: str, job_name: str, condition: str, values: dict[str, Any]) -> dict[str, Any]:
    lifetime = lock_lifetime_seconds(job.execution_timeout)
    expires = f"{{% $string($floor($toMillis($states.context.Execution.StartTime) / 1000) + {lifetime}) %}}"
    return {
        "TableName": table,
        "Item": {
            LOCK_KEY: {"S": job_name},
            LOCK_HOLDER: {"S": EXECUTION_ID},
            LOCK_ACQUIRED_AT: {"S": "{% $states.context.State.EnteredTime %}"},
            LOCK_EXPIRES_AT: {"N": expires},
        },
        # DynamoDB's TTL deletes expired items late (up to days), so the expiry is checked here too.
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }


def release_arguments(table: str, job_name: str) -> dict[str, Any]:
    """deleteItem arguments that delete the lock only while this execution still holds it."""
    return {
        "TableName": table,
        "Key": lock_key(job_name),
        "ConditionExpression": f"{LOCK_HOLDER} = :me",
        "ExpressionAttributeValues": {":me": {"S": EXECUTION_ID}},
    }


def acquire_lock(job: Job, table: str, job_name: str, when_held: str, then: str) -> State:
    return {
        "Type": "Task",
        "Comment": "Take the job's lock unless a live execution holds it; an expired lock is taken over.",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Arguments": _put_lock(job, table, job_name, FREE_EXPIRED_OR_OURS, _NOW_AND_ME),
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": when_held}],
        "Output": "{% $states.input %}",
        "Next": then,
    }


def skipped(job_name: str) -> State:
    return {
        "Type": "Succeed",
        "Comment": "Another execution holds the lock: this run is skipped, visibly.",
        "Output": {"outcome": "skipped", "reason": f"already running: another execution holds the lock of {job_name}"},
    }


def replace_states(job: Job, table: str, job_name: str, first_run_state: str) -> dict[str, State]:
    """concurrency="replace": read who holds the lock, stop that execution (Step Functions then stops its
    ECS task), and take the lock over only if that same execution still holds it. Two replacers that read
    the same holder cannot both win: one takes over, the other ends as a skip. A replacer that reads the
    lock after another took it over replaces that one in turn: the newest start wins, as in Kubernetes."""
    return {
        "ReadLockHolder": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Arguments": {"TableName": table, "Key": lock_key(job_name), "ConsistentRead": True},
            "Retry": retry_dynamodb(),
            "Assign": {"holder": f"{{% $exists($states.result.Item) ? $states.result.Item.{LOCK_HOLDER}.S : '' %}}"},
            "Output": "{% $states.input %}",
            "Next": "LockHolderFound",
        },
        "LockHolderFound": {
            "Type": "Choice",
            "Comment": "The lock may have been released since the put failed.",
            "Choices": [{"Condition": "{% $holder = '' %}", "Next": "TakeOverLock"}],
            "Default": "StopLockHolder",
        },
        "StopLockHolder": {
            "Type": "Task",
            "Comment": "Stop the running execution; an execution that already ended is no obstacle.",
            "Resource": "arn:aws:states:::aws-sdk:sfn:stopExecution",
            "Arguments": {
                "ExecutionArn": "{% $holder %}",
                "Error": REPLACED_ERROR,
                "Cause": "{% 'replaced by ' & $states.context.Execution.Id %}",
            },
            "Retry": [{"ErrorEquals": ["Sfn.SfnException"], "IntervalSeconds": 1, "MaxAttempts": 3}],
            "Catch": [
                {
                    "ErrorEquals": list(SFN_EXECUTION_DOES_NOT_EXIST),
                    "Output": "{% $states.input %}",
                    "Next": "TakeOverLock",
                },
                {"ErrorEquals": ["States.ALL"], "Assign": {"failure": "{% $states.errorOutput %}"}, "Next": "FailRun"},
            ],
            "Output": "{% $states.input %}",
            "Next": "TakeOverLock",
        },
        "TakeOverLock": {
            "Type": "Task",
            "Comment": "Take the lock only from the holder that was stopped (or if it is free or expired).",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Arguments": _put_lock(
                job,
                table,
                job_name,
                f"{FREE_EXPIRED_OR_OURS} OR {LOCK_HOLDER} = :holder",
                {**_NOW_AND_ME, ":holder": {"S": "{% $holder %}"}},
            ),
            "Retry": retry_dynamodb(),
            "Catch": [{"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "SkippedAlreadyRunning"}],
            "Output": "{% $states.input %}",
            "Next": first_run_state,
        },
    }
