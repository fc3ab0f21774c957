"""The lock states of a job's state machine: take, take over (replace), and release the DynamoDB lock, and
what a start that was refused (lock held, job paused) does.

The lock item is {LockId: job name, ExecutionArn: holder, AcquiredAt, LockExpiresAt (epoch seconds), RunSlot}
(components/model/lock_item.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.documents.grants import State, Statement, Task, table_grant
from components.documents.job_state import SLOT, remembered
from components.documents.pause import FORCED, pause_reason, paused, unless_paused
from components.documents.redrive import refuse_redrive_rule, unless_redriven
from components.model.aws_constants import (
    DYNAMODB_CONDITION_FAILED,
    DYNAMODB_TRANSIENT_ERRORS,
    SFN_EXECUTION_DOES_NOT_EXIST,
)
from components.model.lock_item import (
    LAST_PAUSED_SLOT,
    LAST_SKIPPED_SLOT,
    LAST_STARTED_AT,
    LEGACY_LOCK_EXPIRES_AT,
    LOCK_ACQUIRED_AT,
    LOCK_EXPIRES_AT,
    LOCK_HOLDER,
    LOCK_KEY,
    LOCK_SLOT,
)
from components.model.spec import Job
from components.model.timing import lock_lifetime_seconds


@dataclass(frozen=True)
class JobLock:
    """One job's lock: the item keyed `job_name` in the stack's table (name and ARN)."""

    table: str
    table_arn: str
    job_name: str

    def grant(self, action: str) -> Statement:
        """`action` on the items of the stack's lock table: every job's state machine shares one role
        (components/documents/run_task.py), so its grant is the table's, not one job's item."""
        return table_grant(action, self.table_arn)


EXECUTION_ID = "{% $states.context.Execution.Id %}"
NOW_SECONDS = "{% $string($floor($millis() / 1000)) %}"
# "Or already ours": DynamoDB may apply a put and still answer 5xx; the retried put must then succeed.
# The item outlives the lock (it keeps the alert state), so "free" is: no holder. A lock taken by a machine of an
# earlier release has its expiry in the legacy attribute only (a comparison with a missing attribute is false).
FREE_EXPIRED_OR_OURS = (
    f"attribute_not_exists({LOCK_HOLDER}) OR {LOCK_EXPIRES_AT} < :now OR {LEGACY_LOCK_EXPIRES_AT} < :now "
    f"OR {LOCK_HOLDER} = :me"
)
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


def _take_lock(job: Job, lock: JobLock, condition: str, values: dict[str, Any]) -> dict[str, Any]:
    """updateItem arguments that make this execution the holder, and return what the item said before
    (its alert state: components/documents/job_state.py)."""
    lifetime = lock_lifetime_seconds(job.execution_timeout)
    expires = f"{{% $string($floor($toMillis($states.context.Execution.StartTime) / 1000) + {lifetime}) %}}"
    return {
        "TableName": lock.table,
        "Key": lock_key(lock.job_name),
        # The legacy expiry goes with the first take: from then on the item carries no TTL attribute.
        "UpdateExpression": (
            f"SET {LOCK_HOLDER} = :me, {LOCK_ACQUIRED_AT} = :at, {LOCK_EXPIRES_AT} = :expires, {LOCK_SLOT} = :slot "
            f"REMOVE {LEGACY_LOCK_EXPIRES_AT}"
        ),
        # The expiry is a condition, never a TTL (components/model/lock_item.py); a paused job's run takes no
        # lock (components/documents/pause.py).
        "ConditionExpression": unless_paused(condition),
        "ExpressionAttributeValues": {
            **values,
            ":at": {"S": "{% $states.context.State.EnteredTime %}"},
            ":expires": {"N": expires},
            ":slot": {"S": f"{{% {SLOT} %}}"},
        },
        "ReturnValues": "ALL_OLD",
    }


def acquire_lock(job: Job, lock: JobLock, when_held: str, then: str, assign: dict[str, Any]) -> Task:
    """`assign`: the variables the run needs, set once the lock is ours (with what the item remembered)."""
    state = {
        "Type": "Task",
        "Comment": "Take the job's lock unless a live execution holds it; an expired lock is taken over.",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Arguments": _take_lock(job, lock, FREE_EXPIRED_OR_OURS, _NOW_AND_ME),
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Output": "{% $states.input %}", "Next": when_held}],
        "Assign": {**assign, **remembered("$states.result.Attributes")},
        "Output": "{% $states.input %}",
        "Next": then,
    }
    return Task(state, (lock.grant("dynamodb:UpdateItem"),))


def release_lock(lock: JobLock, update: dict[str, Any], catch: list[State], then: dict[str, Any]) -> Task:
    """Record the run on the job's item (`update`: UpdateExpression and values) and release the lock, only
    while this execution still holds it; `then` is {"Next": ...} or {"End": True}."""
    arguments = {
        "TableName": lock.table,
        "Key": lock_key(lock.job_name),
        **update,
        "ConditionExpression": f"{LOCK_HOLDER} = :me",
        "ExpressionAttributeValues": {**update["ExpressionAttributeValues"], ":me": {"S": EXECUTION_ID}},
    }
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Arguments": arguments,
        "Retry": retry_dynamodb(),
        "Catch": catch,
        **then,
    }
    return Task(state, (lock.grant("dynamodb:UpdateItem"),))


def record_run(lock: JobLock, update: dict[str, Any], then: dict[str, Any], catch: list[State]) -> Task:
    """Without a lock (concurrency="allow"): record the run on the job's item."""
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Arguments": {"TableName": lock.table, "Key": lock_key(lock.job_name), **update},
        "Retry": retry_dynamodb(),
        "Catch": catch,
        **then,
    }
    return Task(state, (lock.grant("dynamodb:UpdateItem"),))


def start_unlocked_run(lock: JobLock, then: str, assign: dict[str, Any]) -> Task:
    """Without a lock: note the start unless the job is paused, and read what the item remembers (its alert
    state) in the same write (ReturnValues ALL_OLD); a paused job goes to ReadLockHolder, which says why."""
    state = {
        "Type": "Task",
        "Comment": "Start the run unless the job is paused; read what the job's item remembers.",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Arguments": {
            "TableName": lock.table,
            "Key": lock_key(lock.job_name),
            "UpdateExpression": f"SET {LAST_STARTED_AT} = :at",
            "ConditionExpression": unless_paused(f"attribute_not_exists({LOCK_KEY}) OR attribute_exists({LOCK_KEY})"),
            # DynamoDB refuses a value the expressions do not use ("ValidationException: Value provided in
            # ExpressionAttributeValues unused in expressions", as moto reproduces DynamoDB's validation; no AWS
            # page states it, and either way a forced run's condition has no :now to send).
            "ExpressionAttributeValues": (
                f"{{% $merge([{{':at': {{'S': $states.context.State.EnteredTime}}}}, {FORCED} ? {{}} "
                ": {':now': {'N': $string($floor($millis() / 1000))}}]) %}"
            ),
            "ReturnValues": "ALL_OLD",
        },
        "Retry": retry_dynamodb(),
        "Catch": [
            {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Output": "{% $states.input %}", "Next": "ReadLockHolder"}
        ],
        "Assign": {**assign, **remembered("$states.result.Attributes")},
        "Output": "{% $states.input %}",
        "Next": then,
    }
    return Task(state, (lock.grant("dynamodb:UpdateItem"),))


def why_not_started(lock: JobLock, concurrency: str, first_run_state: str) -> dict[str, State | Task]:
    """After a start was refused: read the job's item, then a paused job ends as SkippedPaused; with
    concurrency="replace" a free lock is taken and a held one's holder stopped; "forbid" records a skip;
    "allow" (refused only by a pause) tries again once the pause has run out."""
    read_holder = {
        "Type": "Task",
        "Comment": "Why the start was refused: a pause, or the lock's holder.",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Arguments": {"TableName": lock.table, "Key": lock_key(lock.job_name), "ConsistentRead": True},
        "Retry": retry_dynamodb(),
        "Assign": {
            "holder": (
                f"{{% $exists($states.result.Item.{LOCK_HOLDER}) ? $states.result.Item.{LOCK_HOLDER}.S : '' %}}"
            ),
            "pause": "{% $exists($states.result.Item) ? $states.result.Item : {} %}",
        },
        "Output": "{% $states.input %}",
        "Next": "LockHolderFound",
    }
    choices: list[State] = [
        # A redriven execution neither skips nor stops the holder: it is refused (components/documents/redrive.py).
        refuse_redrive_rule(),
        {"Condition": f"{{% {paused('$pause')} %}}", "Next": "RecordPausedSkip"},
    ]
    if concurrency == "replace":
        # The lock may have been released since the put failed.
        choices.append({"Condition": "{% $holder = '' %}", "Next": "TakeOverLock"})
    default = {"replace": "StopLockHolder", "forbid": "RecordSkip", "allow": first_run_state}[concurrency]
    return {
        "ReadLockHolder": Task(read_holder, (lock.grant("dynamodb:GetItem"),)),
        "LockHolderFound": {
            "Type": "Choice",
            "Comment": "Paused, or held by another run?",
            "Choices": choices,
            "Default": default,
        },
        **paused_states(lock),
    }


def record_skip(lock: JobLock) -> Task:
    """A run that found the lock held records its slot as skipped, for the slot watch to say why a slot was
    missed; whatever happens to that write, the run ends as a skip."""
    state = {
        "Type": "Task",
        "Comment": "Remember that this slot was skipped because another run held the lock.",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Arguments": {
            "TableName": lock.table,
            "Key": lock_key(lock.job_name),
            "UpdateExpression": f"SET {LAST_SKIPPED_SLOT} = :slot",
            "ExpressionAttributeValues": {":slot": {"S": f"{{% {SLOT} %}}"}},
        },
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "SkippedAlreadyRunning"}],
        "Next": "SkippedAlreadyRunning",
    }
    return Task(state, (lock.grant("dynamodb:UpdateItem"),))


def skipped(job_name: str) -> State:
    return {
        "Type": "Succeed",
        "Comment": "Another execution holds the lock: this run is skipped, visibly.",
        "Output": {"outcome": "skipped", "reason": f"already running: another execution holds the lock of {job_name}"},
    }


def paused_states(lock: JobLock) -> dict[str, State | Task]:
    """RecordPausedSkip (the slot was skipped on purpose: the slot watch does not call it missed) and
    SkippedPaused, which reads the reason from `$pause` (the item's attributes, assigned by the reading state)."""
    record: dict[str, Any] = {
        "Type": "Task",
        "Comment": "Remember that this slot was skipped because the job is paused: intended, not missed.",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Arguments": {
            "TableName": lock.table,
            "Key": lock_key(lock.job_name),
            "UpdateExpression": f"SET {LAST_PAUSED_SLOT} = :slot",
            "ExpressionAttributeValues": {":slot": {"S": f"{{% {SLOT} %}}"}},
        },
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "SkippedPaused"}],
        "Next": "SkippedPaused",
    }
    return {
        "RecordPausedSkip": Task(record, (lock.grant("dynamodb:UpdateItem"),)),
        "SkippedPaused": {
            "Type": "Succeed",
            "Comment": "The job is paused: this run is skipped, visibly.",
            "Output": {"outcome": "skipped", "reason": f"{{% {pause_reason('$pause')} %}}"},
        },
    }


def replace_states(
    job: Job,
    lock: JobLock,
    executions_arn: str,
    first_run_state: str,
    assign: dict[str, Any],
    not_executions: list[str] | None = None,
) -> dict[str, State | Task]:
    """concurrency="replace": once ReadLockHolder (`why_not_started`) found who holds the lock, stop that
    execution (Step Functions then stops its ECS task), and take the lock over only if that same execution
    still holds it. Two replacers that read
    the same holder cannot both win: one takes over, the other ends as a skip. A replacer that reads the
    lock after another took it over replaces that one in turn: the newest start wins, as in Kubernetes.

    `executions_arn` is the ARN pattern of the stack's job executions (`execution:<prefix>-*`): the job state
    machines share one role, so the grant is the stack's; the state stops only the holder of this job's lock.
    `not_executions` (the stack's own machines that are no job) are refused by an explicit Deny, which wins over
    any Allow (IAM user guide, "Policy evaluation logic")."""
    stop_grant = {
        "Sid": "StopTheStacksRunningExecutions",
        "Effect": "Allow",
        "Action": "states:StopExecution",
        "Resource": executions_arn,
    }
    never: tuple[dict[str, Any], ...] = (
        (
            {
                "Sid": "NeverTheStacksOwnMachines",
                "Effect": "Deny",
                "Action": "states:StopExecution",
                "Resource": sorted(not_executions),
            },
        )
        if not_executions
        else ()
    )
    return {
        "StopLockHolder": Task(
            {
                "Type": "Task",
                "Comment": "Stop the running execution; an execution that already ended is no obstacle.",
                "Resource": "arn:aws:states:::aws-sdk:sfn:stopExecution",
                "Arguments": {
                    # Never in a redriven execution: it raises there, and FailRun ends it (redrive.py).
                    "ExecutionArn": unless_redriven("$holder", lock.job_name),
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
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"failure": "{% $states.errorOutput %}"},
                        "Next": "FailRun",
                    },
                ],
                "Output": "{% $states.input %}",
                "Next": "TakeOverLock",
            },
            (stop_grant, *never),
        ),
        "TakeOverLock": Task(
            {
                "Type": "Task",
                "Comment": "Take the lock only from the holder that was stopped (or if it is free or expired).",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Arguments": _take_lock(
                    job,
                    lock,
                    f"{FREE_EXPIRED_OR_OURS} OR {LOCK_HOLDER} = :holder",
                    {**_NOW_AND_ME, ":holder": {"S": "{% $holder %}"}},
                ),
                "Retry": retry_dynamodb(),
                "Catch": [
                    {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Output": "{% $states.input %}", "Next": "RecordSkip"}
                ],
                "Assign": {**assign, **remembered("$states.result.Attributes")},
                "Output": "{% $states.input %}",
                "Next": first_run_state,
            },
            (lock.grant("dynamodb:UpdateItem"),),
        ),
    }
