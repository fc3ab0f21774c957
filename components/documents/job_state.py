"""What a job's machine remembers between runs, on the job's item in the lock table (components/model/
lock_item.py), and the alerts it sends from it: the first failure of a run of failures (or after
`failure_alerts.after` of them), again every `again_every` more or after `again_after`, and "recovered" on the
first success after an alert. The counters are read by the state that takes the lock (ReturnValues ALL_OLD)
and written by the state that releases it, so a run costs no extra state for them; the lock keeps two runs of
one job from counting at once (for `concurrency="allow"` two runs may race, and a count can be lost)."""

from __future__ import annotations

from typing import Any

from components.documents.alert_messages import AlertTarget, publish
from components.documents.grants import Task
from components.model.lock_item import (
    ALERTED_AT,
    CONSECUTIVE_FAILURES,
    LAST_FAILED_AT,
    LAST_FAILED_SLOT,
    LAST_SUCCEEDED_AT,
    LAST_SUCCEEDED_SLOT,
    LOCK_ATTRIBUTES,
)
from components.model.stack import StackJob

# The slot this execution runs for: EventBridge Scheduler's <aws.scheduler.scheduled-time> in the input, or
# for a run started by hand, its start (ISO 8601, UTC).
SLOT = "$exists($states.input.scheduledTime) ? $states.input.scheduledTime : $states.context.Execution.StartTime"
NOW_SECONDS = "$floor($millis() / 1000)"


def remembered(item: str) -> dict[str, Any]:
    """Assign: what the job's item said before this run (`item`: a JSONata path to its attributes)."""
    failures = f"{item}.{CONSECUTIVE_FAILURES}"
    return {
        "slot": f"{{% {SLOT} %}}",
        "failuresBefore": f"{{% $exists({failures}) ? $number({failures}.N) : 0 %}}",
        "alertedAt": f"{{% $exists({item}.{ALERTED_AT}) ? $number({item}.{ALERTED_AT}.N) : 0 %}}",
        "lastSucceededAt": f"{{% $exists({item}.{LAST_SUCCEEDED_AT}) ? {item}.{LAST_SUCCEEDED_AT}.S : '' %}}",
    }


def alert_now(job: StackJob) -> str:
    """JSONata, true when this failure must alert (see the module docstring)."""
    rule = job.spec.failure_alerts
    again = f" or ($n > {rule.after} and ($n - {rule.after}) % {rule.again_every} = 0)" if rule.again_every else ""
    return (
        f"($n := $failuresBefore + 1; $n = {rule.after}{again} "
        f"or ($alertedAt > 0 and {NOW_SECONDS} - $alertedAt >= {rule.again_after}))"
    )


def success_update(locked: bool) -> dict[str, Any]:
    """updateItem arguments (less table and key) that record a success and, with a lock, release it."""
    removed = ", ".join([*(LOCK_ATTRIBUTES if locked else ()), ALERTED_AT])
    arguments: dict[str, Any] = {
        "UpdateExpression": (
            f"REMOVE {removed} SET {CONSECUTIVE_FAILURES} = :zero, {LAST_SUCCEEDED_SLOT} = :slot, "
            f"{LAST_SUCCEEDED_AT} = :at"
        ),
        "ExpressionAttributeValues": {
            ":zero": {"N": "0"},
            ":slot": {"S": "{% $slot %}"},
            ":at": {"S": "{% $now() %}"},
        },
    }
    return arguments


def failure_update(job: StackJob, locked: bool) -> dict[str, Any]:
    """updateItem arguments that record a failure (and whether it alerted) and, with a lock, release it."""
    removed = f"REMOVE {', '.join(LOCK_ATTRIBUTES)} " if locked else ""
    return {
        "UpdateExpression": (
            f"{removed}SET {CONSECUTIVE_FAILURES} = :failures, {LAST_FAILED_SLOT} = :slot, {LAST_FAILED_AT} = :at, "
            f"{ALERTED_AT} = :alertedAt"
        ),
        "ExpressionAttributeValues": {
            ":failures": {"N": "{% $string($failuresBefore + 1) %}"},
            ":slot": {"S": "{% $slot %}"},
            ":at": {"S": "{% $now() %}"},
            ":alertedAt": {"N": f"{{% $string(({alert_now(job)}) ? {NOW_SECONDS} : $alertedAt) %}}"},
        },
    }


def _common_facts(job: StackJob, target: AlertTarget) -> list[tuple[str, str, str]]:
    return [
        ("stack", "Stack", f"'{target.stack}'"),
        ("job", "Job", f"'{job.name}'"),
        ("module", "Module", f"'{job.source}'"),
        ("slot", "Slot", "$slot"),
    ]


def failure_alert(job: StackJob, target: AlertTarget, log_group: str) -> Task:
    """The alert of a failed run: what failed, why, after how many attempts, and where to look."""
    execution = "$states.context.Execution.Id"
    facts = [
        *_common_facts(job, target),
        ("outcome", "Outcome", "'failed'"),
        ("error", "Error", "$failure.Error"),
        ("cause", "Cause", "$failure.Cause"),
        ("attempts", "Attempts", "$attempt"),
        (
            "durationSeconds",
            "Duration (s)",
            "$round(($millis() - $toMillis($states.context.Execution.StartTime)) / 1000)",
        ),
        ("consecutiveFailures", "Failures in a row", "$failuresBefore + 1"),
        ("lastSuccessAt", "Last success", "$lastSucceededAt != '' ? $lastSucceededAt : 'none recorded'"),
        ("execution", "Execution", execution),
        ("executionLink", "Execution page", target.execution_link(execution)),
        ("logsLink", "Container log", target.logs_link(log_group, "$outcome.taskArn")),
    ]
    subject = f"'[{target.stack}] job {job.name} failed: ' & $failure.Error"
    # Not sent or sent: the run has failed either way, with its own error.
    return publish(target, "failed", subject, facts, {"Next": "FailRun"}, if_not_sent="FailRun")


def recovered_alert(job: StackJob, target: AlertTarget) -> Task:
    execution = "$states.context.Execution.Id"
    facts = [
        *_common_facts(job, target),
        ("outcome", "Outcome", "'recovered'"),
        ("failuresBefore", "Failed runs before it", "$failuresBefore"),
        ("execution", "Execution", execution),
        ("executionLink", "Execution page", target.execution_link(execution)),
    ]
    subject = (
        f"'[{target.stack}] job {job.name} recovered: it succeeded after ' & $string($failuresBefore) & ' failed runs'"
    )
    return publish(target, "recovered", subject, facts, {"End": True}, if_not_sent="RecoveredAlertNotSent")
