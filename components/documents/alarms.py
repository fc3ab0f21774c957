"""The alarms on the stack's own machinery (the jobs alert from their state machines and the slot watch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JanitorAlarm:
    """Metrics (query id, namespace, metric name, dimension name) summed into one alarm on the janitor."""

    metrics: tuple[tuple[str, str, str, str], ...]
    expression: str


def janitor_alarm() -> JanitorAlarm:
    """The janitor failed, timed out, was stopped or throttled (Step Functions execution metrics, dimension
    StateMachineArn), or EventBridge could not start it after its retries (AWS/Events FailedInvocations,
    dimension RuleName): each leaves a lock held until it expires, so someone should hear of it."""
    metrics = (
        ("failed", "AWS/States", "ExecutionsFailed", "StateMachineArn"),
        ("timedout", "AWS/States", "ExecutionsTimedOut", "StateMachineArn"),
        ("aborted", "AWS/States", "ExecutionsAborted", "StateMachineArn"),
        ("throttled", "AWS/States", "ExecutionThrottled", "StateMachineArn"),
        ("notstarted", "AWS/Events", "FailedInvocations", "RuleName"),
    )
    return JanitorAlarm(metrics, " + ".join(f"FILL({query_id}, 0)" for query_id, *_ in metrics))
