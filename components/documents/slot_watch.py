"""The slot watch: one shared state machine that keeps each scheduled slot's deadline.

Every scheduled job gets a second EventBridge Scheduler schedule with the same expression and time zone (in
the schedule group `<prefix>-slot-watch`), so EventBridge Scheduler itself says when a slot is: daylight saving
time included (a local time that does not exist is skipped, a repeated one runs once: Scheduler user guide,
"Schedule types", daylight saving time), for every interval from a minute to a year, and a disabled job has
no slots. At each slot it starts this machine with {"job", "slot": <aws.scheduler.scheduled-time>}, which
waits (a Standard workflow waiting costs nothing but its transitions) and reads the job's item:

- `late_after` after the slot: no run has started for this slot -> a "late" alert;
- `warn_after` after the slot: the slot's run is still running -> a "long run" alert;
- the deadline (slot + the execution's timeout + 15 min): no run succeeded or failed for this slot (or a later
  one) -> a "missed" alert saying what is known: still running, skipped because another run held the lock,
  or no run started (the start may be in the dead-letter queue, or the schedule was deleted).
A failed run alerts by itself (components/documents/job_state.py), so a failed slot is not "missed" again.

Its first state claims the slot for this watch (`<job>#watch#<slot>`, conditional, as a job claims its slot:
components/documents/slot_claims.py): EventBridge Scheduler delivers at least once, and a second delivery of the
same watch start ends there, so every alert of a slot is sent once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from components.documents.alert_messages import AlertTarget, jsonata_string, publish
from components.documents.grants import Machine, MachineDocuments, State, Statement, Task, fit_inline, item_grant
from components.documents.lock_states import lock_key, retry_dynamodb
from components.documents.table_machine import TableMachineArgs
from components.model.aws_constants import DYNAMODB_CONDITION_FAILED, STEP_FUNCTIONS_MAX_EXECUTION_SECONDS
from components.model.deadlines import deadline_after_slot_seconds, late_after_slot_seconds, warn_after_slot_seconds
from components.model.duration import format_duration
from components.model.lock_item import (
    CLAIMED_AT,
    ITEM_EXPIRES_AT,
    LAST_FAILED_SLOT,
    LAST_PAUSED_SLOT,
    LAST_SKIPPED_SLOT,
    LAST_SUCCEEDED_AT,
    LAST_SUCCEEDED_SLOT,
    LOCK_HOLDER,
    LOCK_KEY,
    LOCK_SLOT,
    WATCH_CLAIM_MARK,
)
from components.model.stack import Stack, StackJob
from components.model.timing import SLOT_CLAIM_RETENTION_SECONDS

_ITEM = "$item"


def watched(stack: Stack) -> list[StackJob]:
    """The jobs whose slots are watched: every scheduled job (a disabled one's watch schedule is disabled too)."""
    return [job for job in stack.jobs if job.spec.schedule is not None]


def _settings(job: StackJob) -> dict[str, Any]:
    spec = job.spec
    return {
        "module": job.source,
        "late": late_after_slot_seconds(spec),
        "warn": warn_after_slot_seconds(spec),
        "deadline": deadline_after_slot_seconds(spec),
        "deadlineText": format_duration(deadline_after_slot_seconds(spec)),
    }


def _at(seconds: str) -> str:
    """JSONata: the slot plus `seconds` (a JSONata number), as an ISO timestamp for a Wait state."""
    return f"{{% $fromMillis($toMillis($slot) + ({seconds}) * 1000) %}}"


def _read(table: str, table_arn: str, jobs: list[str], then: str) -> Task:
    """Read the job's item (consistently: a release just before must show)."""
    state: State = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Arguments": {"TableName": table, "Key": lock_key("{% $job %}"), "ConsistentRead": True},
        "Retry": retry_dynamodb(),
        "Assign": {"item": "{% $exists($states.result.Item) ? $states.result.Item : {} %}"},
        "Next": then,
    }
    grant = item_grant("ReadTheWatchedJobsItems", "dynamodb:GetItem", table_arn, jobs)
    return Task(state, (grant,))


def _claim_watch(table: str, table_arn: str, jobs: list[str]) -> Task:
    """Claim the slot for this watch; a second delivery of the same start finds the claim and ends. "Or ours":
    DynamoDB may apply a put and still answer 5xx, and the retried put must then pass."""
    me = "{% $states.context.Execution.Id %}"
    state: State = {
        "Type": "Task",
        "Comment": "Watch each slot once, whatever EventBridge Scheduler delivers twice.",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Arguments": {
            "TableName": table,
            "Item": {
                LOCK_KEY: {"S": f"{{% $job & '{WATCH_CLAIM_MARK}' & $slot %}}"},
                LOCK_HOLDER: {"S": me},
                CLAIMED_AT: {"S": "{% $states.context.State.EnteredTime %}"},
                ITEM_EXPIRES_AT: {
                    "N": f"{{% $string($floor($toMillis($slot) / 1000) + {SLOT_CLAIM_RETENTION_SECONDS}) %}}"
                },
            },
            "ConditionExpression": f"attribute_not_exists({LOCK_KEY}) OR {LOCK_HOLDER} = :me",
            "ExpressionAttributeValues": {":me": {"S": me}},
        },
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Next": "AlreadyWatched"}],
        "Output": "{% $states.input %}",
        "Next": "LateCheck",
    }
    grant: Statement = {
        "Sid": "ClaimTheWatchedSlots",
        "Effect": "Allow",
        "Action": "dynamodb:PutItem",
        "Resource": table_arn,
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{j}{WATCH_CLAIM_MARK}*" for j in jobs]}},
    }
    return Task(state, (grant,))


def _field(attribute: str) -> str:
    return f"({_ITEM}.{attribute}.S ? {_ITEM}.{attribute}.S : '')"


def _running_this_slot() -> str:
    return f"($exists({_ITEM}.{LOCK_HOLDER}) and {_field(LOCK_SLOT)} = $slot)"


def _ended_this_slot() -> str:
    """A run succeeded or failed for this slot, or a later one succeeded (a later success counts), or the slot
    was skipped because the job is paused (intended, not missed: `jobctl pause`)."""
    return (
        f"({_field(LAST_SUCCEEDED_SLOT)} >= $slot or {_field(LAST_FAILED_SLOT)} >= $slot "
        f"or {_field(LAST_PAUSED_SLOT)} = $slot)"
    )


def _started() -> str:
    return f"({_running_this_slot()} or {_ended_this_slot()} or {_field(LAST_SKIPPED_SLOT)} >= $slot)"


def _known(dead_letter_queue: str | None) -> str:
    """JSONata: what the item says about a slot that has no success."""
    not_started = "no run started for this slot"
    if dead_letter_queue:
        not_started += f": EventBridge Scheduler may not have delivered it (look in SQS queue {dead_letter_queue})"
    not_started += ", or the job's schedule was changed or deleted"
    quoted = jsonata_string(not_started)
    return (
        f"{_running_this_slot()} ? 'still running: ' & {_ITEM}.{LOCK_HOLDER}.S "
        f": ({_field(LAST_SKIPPED_SLOT)} = $slot ? 'skipped: another run held the lock' "
        f": ($exists({_ITEM}.{LOCK_HOLDER}) ? {quoted} & '; another run (slot ' & {_field(LOCK_SLOT)} "
        f"& ') holds the lock' : {quoted}))"
    )


def _facts(alerts: AlertTarget, outcome: str, extra: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [
        ("stack", "Stack", f"'{alerts.stack}'"),
        ("job", "Job", "$job"),
        ("module", "Module", "$info.module"),
        ("slot", "Slot", "$slot"),
        ("outcome", "Outcome", f"'{outcome}'"),
        *extra,
        (
            "lastSuccessAt",
            "Last success",
            f"{_field(LAST_SUCCEEDED_AT)} != '' ? {_field(LAST_SUCCEEDED_AT)} : 'none recorded'",
        ),
    ]


def _alerts(alerts: AlertTarget, dead_letter_queue: str | None) -> tuple[Task, Task, Task]:
    """The late, long-run and missed alerts, each going on to the next check whether or not it was sent."""
    machine_link = alerts.execution_link("$item.ExecutionArn.S")
    late = publish(
        alerts,
        "late",
        f"'[{alerts.stack}] job ' & $job & ' has not started ' & $string($info.late / 60) & ' min after its slot ' "
        "& $slot",
        _facts(alerts, "late", [("known", "What is known", _known(dead_letter_queue))]),
        {"Next": "LongRunCheck"},
        if_not_sent="LongRunCheck",
    )
    long_run = publish(
        alerts,
        "long-run",
        f"'[{alerts.stack}] job ' & $job & ' is still running ' & $string($info.warn / 60) & ' min after its slot ' "
        "& $slot",
        _facts(
            alerts,
            "long-run",
            [("execution", "Execution", f"{_ITEM}.{LOCK_HOLDER}.S"), ("executionLink", "Execution page", machine_link)],
        ),
        {"Next": "WaitUntilDeadline"},
        if_not_sent="WaitUntilDeadline",
    )
    missed = publish(
        alerts,
        "missed",
        f"'[{alerts.stack}] job ' & $job & ' missed its slot ' & $slot & ': no success by ' & $info.deadlineText "
        "& ' after it'",
        _facts(alerts, "missed", [("known", "What is known", _known(dead_letter_queue))]),
        {"Next": "Done"},
        if_not_sent="Done",
    )
    return late, long_run, missed


def _entry(settings: str, claim: Task) -> dict[str, State | Task]:
    """Which job and slot, whether this stack still watches it, and this watch's claim of the slot."""
    return {
        "Watch": {
            "Type": "Pass",
            "Comment": "Which job and slot; its settings as deployed.",
            "Assign": {
                "job": "{% $states.input.job %}",
                "slot": "{% $states.input.slot %}",
                "info": f"{{% $lookup({settings}, $states.input.job) %}}",
            },
            "Next": "IsAWatchedJob",
        },
        "IsAWatchedJob": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $exists($info) %}", "Next": "ClaimSlotWatch"}],
            "Default": "NotAWatchedJob",
        },
        "NotAWatchedJob": {"Type": "Succeed", "Comment": "A job this stack no longer has: nothing to watch."},
        "ClaimSlotWatch": claim,
        "AlreadyWatched": {
            "Type": "Succeed",
            "Comment": "A second delivery of this slot's watch start: the first one keeps it and alerts.",
            "Output": {"watched": False, "reason": "{% 'slot ' & $slot & ' of ' & $job & ' is already watched' %}"},
        },
    }


def _checks(read: Callable[[str], Task], alerts: tuple[Task, Task, Task]) -> dict[str, State | Task]:
    """Late, long run and deadline, in that order: wait until each time, read the job's item, alert if due."""
    late, long_run, missed = alerts
    return {
        "LateCheck": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $info.late != null %}", "Next": "WaitUntilLate"}],
            "Default": "LongRunCheck",
        },
        "WaitUntilLate": {"Type": "Wait", "Timestamp": _at("$info.late"), "Next": "ReadWhenLate"},
        "ReadWhenLate": read("StartedInTime"),
        "StartedInTime": {
            "Type": "Choice",
            "Choices": [{"Condition": f"{{% {_started()} %}}", "Next": "LongRunCheck"}],
            "Default": "SendLateAlert",
        },
        "SendLateAlert": late,
        "LongRunCheck": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $info.warn != null %}", "Next": "WaitUntilWarn"}],
            "Default": "WaitUntilDeadline",
        },
        "WaitUntilWarn": {"Type": "Wait", "Timestamp": _at("$info.warn"), "Next": "ReadWhenWarn"},
        "ReadWhenWarn": read("StillRunning"),
        "StillRunning": {
            "Type": "Choice",
            "Choices": [{"Condition": f"{{% {_running_this_slot()} %}}", "Next": "SendLongRunAlert"}],
            "Default": "WaitUntilDeadline",
        },
        "SendLongRunAlert": long_run,
        "WaitUntilDeadline": {"Type": "Wait", "Timestamp": _at("$info.deadline"), "Next": "ReadAtDeadline"},
        "ReadAtDeadline": read("EndedInTime"),
        "EndedInTime": {
            "Type": "Choice",
            "Choices": [{"Condition": f"{{% {_ended_this_slot()} %}}", "Next": "Done"}],
            "Default": "SendMissedAlert",
        },
        "SendMissedAlert": missed,
        "Done": {"Type": "Succeed"},
    }


def slot_watch_machine(args: TableMachineArgs, *, stack: Stack, dead_letter_queue: str | None) -> MachineDocuments:
    """The shared slot watch's definition and its role's policy: claim each slot once, read the watched jobs'
    items, publish alerts. `dead_letter_queue`: the schedules' queue by name, for the "missed" alert (None: none)."""
    jobs = watched(stack)
    names = [job.name for job in jobs]
    settings = json.dumps({job.name: _settings(job) for job in jobs}, sort_keys=True)
    machine = Machine()
    machine.add(_entry(settings, _claim_watch(args.table, args.table_arn, names)))
    machine.add(
        _checks(
            lambda then: _read(args.table, args.table_arn, names, then),
            _alerts(args.alerts, dead_letter_queue),
        )
    )
    longest = max((_settings(job)["deadline"] for job in jobs), default=0)
    documents = machine.documents(
        Comment=f"Deadlines of the scheduled slots of stack {args.alerts.stack}",
        QueryLanguage="JSONata",
        StartAt="Watch",
        # Past the longest deadline, with an hour to send the alert; a Standard execution may last a year.
        TimeoutSeconds=min(longest + 3600, STEP_FUNCTIONS_MAX_EXECUTION_SECONDS),
    )
    return fit_inline(documents)
