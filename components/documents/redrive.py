"""What a job's machine does with a redriven execution (the console's Redrive button, RedriveExecution): it never
runs the task again; it releases the lock if this execution still holds it, alerts, and fails saying to run
`jobctl redrive JOB`, which starts a new run of the slot through the slot's claim and the lock.

Why refuse rather than run: a redrive "continues the failed execution from the unsuccessful step and uses the same
input"; the steps that succeeded are not run again, and it keeps the execution's ARN and definition (Step
Functions API reference, RedriveExecution; developer guide, "Restarting state machine executions with
redrive"). An execution stopped or timed out in RunJob, or in a Wait before another attempt, is redriven
straight into the run: ClaimSlot and AcquireLock are behind it, and the lock janitor released its lock when it
ended. Running the task then would run it beside the next slot's run, past the lock.

How: every path to a task goes through RunJob (or RunJobOnSpot), so the guard is in those states' Arguments:
with `$states.context.Execution.RedriveCount` above 0 (the Context object's Execution.RedriveCount, 0 until an
execution is redriven) the container's environment override raises an error before ECS is called, which the state's
Catch hands to ClassifyAttempt, whose first rule sends every redriven execution to RefuseRedrive. A redrive that
re-enters ClassifyAttempt itself (or a state after it) takes the same first rule or ends where the failure
already ended. States before the lock (ClaimSlot, AcquireLock, ReadLockHolder ...) run again as they would for
a new start: they take the claim and the lock or skip, and the run that follows is then refused like any other
redriven one."""

from __future__ import annotations

from typing import Any

from components.documents.alert_messages import AlertTarget, jsonata_string, publish
from components.documents.grants import State, Task
from components.model.lock_item import LOCK_ATTRIBUTES
from components.model.stack import StackJob

# The Context object's count of redrives of this execution (Step Functions developer guide, "Accessing execution
# data from the Context object": Execution.RedriveCount). JSONata's `>` with an absent operand is undefined, not
# false, and a Choice condition must be a boolean, so its presence is tested first (`and` stops at false).
_COUNT = "$states.context.Execution.RedriveCount"
REDRIVEN = f"($exists({_COUNT}) and {_COUNT} > 0)"
REDRIVE_REFUSED = "Job.RedriveRefused"
REFUSE_REDRIVE = "RefuseRedrive"


def refusal_words(job_name: str) -> str:
    """The refusal in words: the Fail state's cause and the alert's."""
    return (
        "a redrive continues from the step that failed, past the slot's claim and the lock, so the task was not "
        f"started again; run `jobctl redrive {job_name}` to run the slot again through the lock"
    )


def unless_redriven(expression: str, job_name: str) -> str:
    """A run state's argument: the JSONata `expression` (its body, without the `{% %}`), or, in a redriven
    execution, an error raised before the call is made (`$error`, JSONata's function for it); the state's Catch
    takes it to ClassifyAttempt."""
    refused = jsonata_string(f"{REDRIVE_REFUSED}: {refusal_words(job_name)}")
    return f"{{% {REDRIVEN} ? $error({refused}) : {expression} %}}"


def wait_unless_redriven(seconds: str) -> str:
    """A Wait state's Seconds before another attempt: the JSONata `seconds` (its body), or 1 in a redriven
    execution, whose counters ($jobRetries, $startRetries) a redrive may not bring back; RunJob, next, refuses."""
    return f"{{% {REDRIVEN} ? 1 : {seconds} %}}"


def refuse_redrive_rule() -> State:
    """ClassifyAttempt's first rule: a redriven execution runs nothing more."""
    return {"Condition": f"{{% {REDRIVEN} %}}", "Next": REFUSE_REDRIVE}


def lock_release() -> dict[str, Any]:
    """RefuseRedrive's update (lock_states.release_lock adds the condition that this execution holds it): the
    lock's attributes only; no failure is counted, as the execution's first ending already was (by the run's
    own states or by the lock janitor)."""
    return {"UpdateExpression": f"REMOVE {', '.join(LOCK_ATTRIBUTES)}", "ExpressionAttributeValues": {}}


# RefuseRedrive's way on: whether it released the lock or found it not this execution's (a condition failure:
# the janitor released it, another run holds it), the refusal is alerted next.
RELEASE_CATCH: list[State] = [
    {"ErrorEquals": ["States.ALL"], "Output": "{% $states.input %}", "Next": "SendRedriveRefusedAlert"}
]
RELEASE_THEN: dict[str, Any] = {
    "Comment": "A redriven execution: release the lock if it still holds it, then refuse.",
    "Output": "{% $states.input %}",
    "Next": "SendRedriveRefusedAlert",
}


def refusal_states(job: StackJob, alerts: AlertTarget, release: Task | None) -> dict[str, State | Task]:
    """RefuseRedrive (`release`, built from lock_release, RELEASE_CATCH and RELEASE_THEN; None without a lock),
    SendRedriveRefusedAlert, and RedriveRefused (Fail, error Job.RedriveRefused)."""
    execution = "$states.context.Execution.Id"
    slot = (
        "$exists($states.context.Execution.Input.scheduledTime) ? $states.context.Execution.Input.scheduledTime "
        ": $states.context.Execution.StartTime"
    )
    facts = [
        ("stack", "Stack", f"'{alerts.stack}'"),
        ("job", "Job", f"'{job.name}'"),
        ("module", "Module", f"'{job.source}'"),
        ("slot", "Slot", slot),
        ("outcome", "Outcome", "'redrive refused'"),
        ("cause", "Cause", jsonata_string(refusal_words(job.name))),
        ("redriveCount", "Redrives", "$states.context.Execution.RedriveCount"),
        ("execution", "Execution", execution),
        ("executionLink", "Execution page", alerts.execution_link(execution)),
    ]
    subject = f"'[{alerts.stack}] job {job.name}: a redrive was refused; run jobctl redrive {job.name}'"
    return {
        REFUSE_REDRIVE: release
        if release is not None
        else {"Type": "Pass", "Comment": "No lock to release.", "Next": "SendRedriveRefusedAlert"},
        "SendRedriveRefusedAlert": publish(
            alerts, "redrive-refused", subject, facts, {"Next": "RedriveRefused"}, if_not_sent="RedriveRefused"
        ),
        "RedriveRefused": {
            "Type": "Fail",
            "Comment": "A redriven execution runs nothing (components/documents/redrive.py).",
            "Error": REDRIVE_REFUSED,
            "Cause": refusal_words(job.name),
        },
    }
