"""The shared lock janitor: releases the lock of an execution that failed, timed out or was stopped.

A Catch does not run when a whole execution times out or is stopped (AWS's own DynamoDB concurrency
sample adds the same cleanup). It deletes the lock only while that execution still holds it."""

from __future__ import annotations

from typing import Any

from components.aws_constants import DYNAMODB_CONDITION_FAILED
from components.lock_states import LOCK_HOLDER, LOCK_KEY, retry_dynamodb

ENDED_BADLY = ("FAILED", "TIMED_OUT", "ABORTED")


def janitor_definition(lock_table: str, name_prefix: str) -> dict[str, Any]:
    """ASL that takes a "Step Functions Execution Status Change" event and releases that execution's lock.

    The job name is the state machine name less the stack prefix (see naming.job_names)."""
    job_name = f"{{% $substringAfter($states.input.detail.stateMachineArn, ':stateMachine:{name_prefix}-') %}}"
    return {
        "Comment": f"Release job locks held by executions that ended without releasing them ({name_prefix})",
        "QueryLanguage": "JSONata",
        "StartAt": "ReleaseAbandonedLock",
        "TimeoutSeconds": 300,
        "States": {
            "ReleaseAbandonedLock": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:deleteItem",
                "Arguments": {
                    "TableName": lock_table,
                    "Key": {LOCK_KEY: {"S": job_name}},
                    "ConditionExpression": f"{LOCK_HOLDER} = :execution",
                    "ExpressionAttributeValues": {":execution": {"S": "{% $states.input.detail.executionArn %}"}},
                },
                "Retry": retry_dynamodb(),
                "Catch": [{"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "NotHeldByThatExecution"}],
                "Output": {"released": True},
                "End": True,
            },
            "NotHeldByThatExecution": {
                "Type": "Succeed",
                "Comment": "The execution had released its lock, or another execution holds it now.",
                "Output": {"released": False},
            },
        },
    }


def janitor_event_pattern(state_machine_arn_prefix: str) -> dict[str, Any]:
    """EventBridge pattern for this stack's job executions that ended without success."""
    return {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "status": list(ENDED_BADLY),
            "stateMachineArn": [{"prefix": state_machine_arn_prefix}],
        },
    }
