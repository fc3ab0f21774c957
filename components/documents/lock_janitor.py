"""The shared lock janitor: releases the lock of an execution that failed, timed out or was stopped.

A Catch does not run when a whole execution times out or is stopped (AWS's own DynamoDB concurrency
sample adds the same cleanup). It deletes the lock only while that execution still holds it.

It covers every state machine named `<prefix>-<job>` but the stack's own shared ones, not a list of today's
jobs: a job removed from `jobs/` while a run is in flight has its state machine deleted after that run
("A state machine is deleted only when all its executions are completed. On the next state transition, the
state machine's executions are terminated": Step Functions API reference, DeleteStateMachine), so the run
ends without releasing its lock, and the janitor, which no longer knows the job by name, releases it all the
same. Only the stack's own job state machines can hold a lock in the stack's table (no other role may write
it), so an execution of another team's `<prefix>-etl` never holds one and the release changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from components.documents.alert_messages import AlertTarget, publish
from components.documents.grants import Document, Machine, MachineDocuments, State, Task
from components.documents.lock_states import retry_dynamodb
from components.documents.table_machine import TableMachineArgs
from components.model.arns import AwsEnv
from components.model.aws_constants import DYNAMODB_CONDITION_FAILED, SFN_EXECUTION_DOES_NOT_EXIST
from components.model.lock_item import (
    ALERTED_AT,
    CONSECUTIVE_FAILURES,
    LAST_FAILED_AT,
    LAST_FAILED_SLOT,
    LOCK_ATTRIBUTES,
    LOCK_HOLDER,
    LOCK_KEY,
    LOCK_SLOT,
)

ENDED_BADLY = ("FAILED", "TIMED_OUT", "ABORTED")
RELEASE_FAILED = "Janitor.ReleaseFailed"
NOT_ENDED = "Janitor.NotEnded"


def _job_of(name_prefix: str, event: str = "$states.input") -> str:
    """JSONata: the job a status-change event is about (its machine's name less the stack prefix)."""
    return f"$substringAfter({event}.detail.stateMachineArn, ':stateMachine:{name_prefix}-')"


def _is_a_job(name_prefix: str, shared_machines: list[str]) -> State:
    """Any `<prefix>-<name>` machine but the stack's own shared ones (`shared_machines`, less the prefix):
    those end here, visibly and without a write, so the janitor never starts itself again by its own failure."""
    shared = ", ".join(f"'{name}'" for name in sorted(shared_machines))
    return {
        "Type": "Choice",
        "Comment": "Is the execution that ended one of this stack's job state machines (today's or a removed one)?",
        "Choices": [
            {
                "Condition": f"{{% $contains($states.input.detail.stateMachineArn, ':stateMachine:{name_prefix}-') "
                f"and $not({_job_of(name_prefix)} in [{shared}]) %}}",
                "Next": "VerifyItEnded",
            }
        ],
        "Default": "NotAJobOfThisStack",
    }


def _described(field: str) -> str:
    """JSONata: a field of DescribeExecution's answer, by the integration's Pascal case name or the API's own
    (which one AWS SDK integrations answer with is on the self-test list; docs/security.md)."""
    return f"($exists($described.{field}) ? $described.{field} : $lookup($described, '{field[0].lower() + field[1:]}'))"


def _verify_it_ended(executions_arn: str) -> dict[str, State | Task]:
    """The event is only what the janitor was started with, and anyone who may start it could make one up: ask
    Step Functions (DescribeExecution) whether that execution really ended badly, as the event says, and is an
    execution of the machine the event names. One that does not exist holds no lock of a live run (a holder
    exists while it runs), so the conditional release may go on: a removed job's machine may be gone."""
    describe = {
        "Type": "Task",
        "Comment": "Ask Step Functions how that execution really ended: an event started by hand proves nothing.",
        "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
        "Arguments": {"ExecutionArn": "{% $states.input.detail.executionArn %}"},
        "Retry": [{"ErrorEquals": ["Sfn.SfnException"], "IntervalSeconds": 1, "MaxAttempts": 3}],
        "Catch": [
            {
                "ErrorEquals": list(SFN_EXECUTION_DOES_NOT_EXIST),
                "Output": "{% $states.input %}",
                "Next": "ReleaseAbandonedLock",
            },
            {
                "ErrorEquals": ["States.ALL"],
                "Assign": {"failure": "{% $states.errorOutput %}"},
                "Output": "{% $states.input %}",
                "Next": "CouldNotRelease",
            },
        ],
        "Assign": {"described": "{% $states.result %}"},
        "Output": "{% $states.input %}",
        "Next": "HasItEnded",
    }
    grant = {
        "Sid": "DescribeTheStacksExecutions",
        "Effect": "Allow",
        "Action": "states:DescribeExecution",
        "Resource": executions_arn,
    }
    status, machine = _described("Status"), _described("StateMachineArn")
    has_it_ended: State = {
        "Type": "Choice",
        "Comment": "Release only for an execution that ended as the event says, of the machine it names.",
        "Choices": [
            {
                "Condition": f"{{% {status} = $states.input.detail.status "
                f"and {status} in {json.dumps(list(ENDED_BADLY))} "
                f"and {machine} = $states.input.detail.stateMachineArn %}}",
                "Next": "ReleaseAbandonedLock",
            }
        ],
        "Default": "NotEnded",
    }
    not_ended: State = {
        "Type": "Fail",
        "Comment": "The event does not match the execution: no lock is touched, and the janitor's failure alarms.",
        "Error": NOT_ENDED,
        "Cause": (
            f"{{% 'released nothing: ' & $states.input.detail.executionArn & ' is ' & $string({status}) "
            f"& ' (an execution of ' & $string({machine}) & '), not ' & $string($states.input.detail.status) "
            "& ' as the event that started the janitor says' %}"
        ),
    }
    return {"VerifyItEnded": Task(describe, (grant,)), "HasItEnded": has_it_ended, "NotEnded": not_ended}


def _release_abandoned_lock(lock_table: str, lock_table_arn: str, name_prefix: str) -> Task:
    job_name = f"{{% {_job_of(name_prefix)} %}}"
    state = {
        "Type": "Task",
        "Comment": "Release the lock (the item keeps the job's alert state) if that execution still holds it.",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Arguments": {
            "TableName": lock_table,
            "Key": {LOCK_KEY: {"S": job_name}},
            # Count it as a failed run of its slot, and alert (below): no Catch of its own ran.
            "UpdateExpression": (
                f"REMOVE {', '.join(LOCK_ATTRIBUTES)} "
                f"SET {LAST_FAILED_SLOT} = if_not_exists({LOCK_SLOT}, :unknown), {LAST_FAILED_AT} = :at, "
                f"{ALERTED_AT} = :now ADD {CONSECUTIVE_FAILURES} :one"
            ),
            "ConditionExpression": f"{LOCK_HOLDER} = :execution",
            "ExpressionAttributeValues": {
                ":execution": {"S": "{% $states.input.detail.executionArn %}"},
                ":unknown": {"S": "unknown"},
                ":at": {"S": "{% $now() %}"},
                ":now": {"N": "{% $string($floor($millis() / 1000)) %}"},
                ":one": {"N": "1"},
            },
            "ReturnValues": "ALL_NEW",
        },
        "Retry": retry_dynamodb(),
        "Catch": [
            {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "NotHeldByThatExecution"},
            {
                "ErrorEquals": ["States.ALL"],
                "Assign": {"failure": "{% $states.errorOutput %}"},
                "Output": "{% $states.input %}",  # the event, so the failure can name the job and execution
                "Next": "CouldNotRelease",
            },
        ],
        "Assign": {"item": "{% $states.result.Attributes %}", "event": "{% $states.input %}"},
        "Output": {"released": True},
        "Next": "SendEndedBadlyAlert",
    }
    # Any item of the table: a removed job's lock too, whose name no list of today's jobs has.
    grant = {
        "Sid": "ReleaseAbandonedJobLocks",
        "Effect": "Allow",
        "Action": "dynamodb:UpdateItem",
        "Resource": lock_table_arn,
    }
    return Task(state, (grant,))


# What happened to a run, by the status of its "Execution Status Change" event, in words: no Catch runs when a
# whole execution times out or is stopped (Step Functions developer guide, "Handling errors in Step Functions
# workflows": a Catch handles a state's errors). The event's detail carries the error and cause given to
# StopExecution, or the execution's own (EventBridge events reference for Step Functions, "Execution Status Change").
_HAPPENED = {
    "TIMED_OUT": "timed out: the whole execution ran past its time limit (TimeoutSeconds), all attempts included",
    "ABORTED": "was stopped from outside (StopExecution: a person, jobctl stop, a deploy or a replacing run)",
    "FAILED": "failed without releasing its lock",
}


def _ended_badly_alert(alerts: AlertTarget, name_prefix: str, sources: dict[str, str]) -> Task:
    """A run that timed out or was stopped ran no Catch of its own, so no alert of its own either: this one says
    what happened to the run first, and that the janitor released its lock."""
    job = _job_of(name_prefix, "$event")
    status = "$lowercase($replace($event.detail.status, '_', ' '))"
    minutes = "$string($round(($event.detail.stopDate - $event.detail.startDate) / 60000))"
    reason = (
        "($exists($event.detail.error) and $event.detail.error != null ? ': ' & $event.detail.error "
        "& ($exists($event.detail.cause) and $event.detail.cause != null ? ' (' & $event.detail.cause & ')' : '') "
        ": '')"
    )
    happened = f"$lookup({json.dumps(_HAPPENED, sort_keys=True)}, $event.detail.status) & {reason}"
    facts = [
        ("stack", "Stack", f"'{alerts.stack}'"),
        ("job", "Job", job),
        (
            "module",
            "Module",
            f"($m := $lookup({json.dumps(sources, sort_keys=True)}, {job}); "
            "$exists($m) ? $m : 'none: the job was removed from jobs/')",
        ),
        ("slot", "Slot", f"$item.{LAST_FAILED_SLOT}.S"),
        ("outcome", "Outcome", status),
        ("happened", "What happened", happened),
        ("durationSeconds", "Duration (s)", "$round(($event.detail.stopDate - $event.detail.startDate) / 1000)"),
        ("lock", "Lock", "'released by the lock janitor, and counted as a failed run'"),
        ("consecutiveFailures", "Failures in a row", f"$number($item.{CONSECUTIVE_FAILURES}.N)"),
        ("execution", "Execution", "$event.detail.executionArn"),
        ("executionLink", "Execution page", alerts.execution_link("$event.detail.executionArn")),
    ]
    verb = "($event.detail.status = 'ABORTED' ? 'was stopped' : " + status + ")"
    subject = f"'[{alerts.stack}] job ' & {job} & ' ' & {verb} & ' after ' & {minutes} & ' min'"
    return publish(alerts, "ended-badly", subject, facts, {"End": True}, if_not_sent="AlertNotSent")


def janitor_machine(
    args: TableMachineArgs, *, name_prefix: str, shared_machines: Iterable[str], sources: dict[str, str]
) -> MachineDocuments:
    """ASL that takes a "Step Functions Execution Status Change" event and releases that execution's lock,
    and its role's policy: update any item of this stack's table (the release is conditional on the holder).

    `shared_machines`: the stack's own state machines that are no job (the janitor, the slot watch), by name
    less the prefix. The job name is the state machine name less the stack prefix (see naming.job_names). A
    release that fails for any other reason than "not held by that execution" ends as `Janitor.ReleaseFailed`,
    naming the job and execution. The event is checked first: a release happens only for an execution that
    Step Functions says ended as the event says (or that does not exist), else the janitor fails as
    `Janitor.NotEnded` and touches nothing. A release counts a failed run of the job and alerts `alerts`: the execution
    timed out, was stopped (by an operator: one stopped by its replacer no longer holds the lock) or its job was
    removed. `sources`: job -> module, for the alert."""
    lock_table, table_arn, alerts = args.table, args.table_arn, args.alerts
    machine = Machine()
    machine.add(
        {
            "IsAJobOfThisStack": _is_a_job(name_prefix, sorted(shared_machines)),
            **_verify_it_ended(args.env.arn("states", f"execution:{name_prefix}-*")),
            "ReleaseAbandonedLock": _release_abandoned_lock(lock_table, table_arn, name_prefix),
            "SendEndedBadlyAlert": _ended_badly_alert(alerts, name_prefix, sources),
            "AlertNotSent": {"Type": "Succeed", "Comment": "The lock was released; only the alert could not be sent."},
            "NotHeldByThatExecution": {
                "Type": "Succeed",
                "Comment": "The execution had released its lock, or another execution holds it now.",
                "Output": {"released": False},
            },
            "NotAJobOfThisStack": {
                "Type": "Succeed",
                "Comment": "Not a job: nothing to release.",
                "Output": {
                    "released": False,
                    "ignored": f"{{% $states.input.detail.stateMachineArn & ' is not a job of stack {name_prefix}' %}}",
                },
            },
            "CouldNotRelease": {
                "Type": "Fail",
                "Error": RELEASE_FAILED,
                "Cause": (
                    f"{{% 'could not release the lock of job ' & {_job_of(name_prefix)} & ' held by ' "
                    "& $states.input.detail.executionArn & ': ' & $string($failure.Error) & ': ' "
                    "& $string($failure.Cause) %}"
                ),
            },
        }
    )
    documents = machine.documents(
        Comment=f"Release job locks held by executions that ended without releasing them ({name_prefix})",
        QueryLanguage="JSONata",
        StartAt="IsAJobOfThisStack",
        TimeoutSeconds=300,
    )
    return documents


def janitor_event_pattern(env: AwsEnv, name_prefix: str) -> dict[str, Any]:
    """EventBridge pattern for executions of every state machine named `<prefix>-...` that ended without
    success (today's jobs and removed ones; the janitor's first state sorts out the stack's shared machines).
    Step Functions sends these events for Standard workflows on its own, best effort (Step Functions dev
    guide, "Automating Step Functions event delivery with EventBridge"; EventBridge events reference,
    "Delivery type: Best effort")."""
    return {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "status": list(ENDED_BADLY),
            "stateMachineArn": [{"prefix": env.arn("states", f"stateMachine:{name_prefix}-")}],
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
