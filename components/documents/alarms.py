"""Which Step Functions metrics make a job's failure alarm, as plain values for the component."""

from __future__ import annotations

from dataclasses import dataclass

from components.model.spec import Job


@dataclass(frozen=True)
class FailureAlarm:
    metrics: tuple[tuple[str, str], ...]  # (query id, AWS/States metric name)
    expression: str
    what: str  # for the alarm's description


def failure_alarm(job: Job) -> FailureAlarm:
    """Failed, timed out and stopped executions; a `concurrency="replace"` job stops its own older runs on
    purpose, so for it a stopped execution is not a failure."""
    metrics = [("failed", "ExecutionsFailed"), ("timedout", "ExecutionsTimedOut")]
    what = "failed or timed out"
    if job.concurrency != "replace":
        metrics.append(("aborted", "ExecutionsAborted"))
        what = "failed, timed out or was stopped"
    # Step Functions publishes a metric only when it happens: fill each with 0 so the sum is never missing.
    expression = " + ".join(f"FILL({query_id}, 0)" for query_id, _ in metrics)
    return FailureAlarm(metrics=tuple(metrics), expression=expression, what=what)


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
