"""The shared lock janitor: releases the lock of an execution that failed, timed out or was stopped.

A Catch does not run when a whole execution times out or is stopped (AWS's own DynamoDB concurrency
sample adds the same cleanup). It deletes the lock only while that execution still holds it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from components.documents.grants import Document, Machine, MachineDocuments, Task
from components.documents.lock_states import retry_dynamodb
from components.model.arns import AwsEnv
from components.model.aws_constants import DYNAMODB_CONDITION_FAILED
from components.model.lock_item import LOCK_HOLDER, LOCK_KEY
from components.model.permissions import fits_inline

ENDED_BADLY = ("FAILED", "TIMED_OUT", "ABORTED")


def _release_abandoned_lock(lock_table: str, lock_table_arn: str, name_prefix: str, job_names: list[str]) -> Task:
    job_name = f"{{% $substringAfter($states.input.detail.stateMachineArn, ':stateMachine:{name_prefix}-') %}}"
    state = {
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
    }
    grant = {
        "Sid": "ReleaseAbandonedJobLocks",
        "Effect": "Allow",
        "Action": "dynamodb:DeleteItem",
        "Resource": lock_table_arn,
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": sorted(job_names)}},
    }
    return Task(state, (grant,))


def janitor_machine(env: AwsEnv, lock_table: str, name_prefix: str, job_names: Iterable[str]) -> MachineDocuments:
    """ASL that takes a "Step Functions Execution Status Change" event and releases that execution's lock,
    and its role's policy: delete the locks of this stack's jobs in this stack's table; past the inline
    policy size limit, any lock in that table (the table holds only this stack's locks).

    The job name is the state machine name less the stack prefix (see naming.job_names)."""
    table_arn = env.arn("dynamodb", f"table/{lock_table}")
    machine = Machine()
    machine.add(
        {
            "ReleaseAbandonedLock": _release_abandoned_lock(lock_table, table_arn, name_prefix, list(job_names)),
            "NotHeldByThatExecution": {
                "Type": "Succeed",
                "Comment": "The execution had released its lock, or another execution holds it now.",
                "Output": {"released": False},
            },
        }
    )
    documents = machine.documents(
        Comment=f"Release job locks held by executions that ended without releasing them ({name_prefix})",
        QueryLanguage="JSONata",
        StartAt="ReleaseAbandonedLock",
        TimeoutSeconds=300,
    )
    if not fits_inline(documents.policy):
        for statement in documents.policy["Statement"]:
            statement.pop("Condition", None)
    return documents


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


def start_janitor_policy(env: AwsEnv, janitor_state_machine_name: str) -> Document:
    """EventBridge may start the janitor and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartLockJanitor",
                "Effect": "Allow",
                "Action": "states:StartExecution",
                "Resource": env.arn("states", f"stateMachine:{janitor_state_machine_name}"),
            }
        ],
    }
