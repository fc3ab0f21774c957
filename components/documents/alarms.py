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
