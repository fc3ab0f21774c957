"""What an operator sees of a run and of a lock, read from plain Step Functions and DynamoDB responses.

Pure functions on response dicts, so the rules (what counts as skipped, where a task ARN hides) are
testable without AWS."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from components.model.lock_item import LEGACY_LOCK_EXPIRES_AT, LOCK_ACQUIRED_AT, LOCK_EXPIRES_AT, LOCK_HOLDER
from jobctl.run_words import SKIP_LABELS, end_words, exit_of_cause, is_signal, is_timeout, skip_kind

# Step Functions execution status -> outcome key (the `--json` value).
_STATUS_OUTCOME = {
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "timed_out",
    "ABORTED": "aborted",
    "PENDING_REDRIVE": "pending_redrive",
}
# A skip state's output (components.documents: SkippedAlreadyRunning, SkippedPaused, SkippedSlotAlreadyRan) marks
# a run that did not run: {"outcome": "skipped", "reason": ...}; why is read by run_words.skip_kind.
SKIPPED = "skipped"
# A run known only from ListExecutions that SUCCEEDED: a success or a skip, which only its output tells apart
# (DescribeExecution); ListExecutions returns no output (Step Functions API reference, ExecutionListItem).
SUCCEEDED_OR_SKIPPED = "succeeded_or_skipped"
ENDED_BADLY = frozenset({"failed", "timed_out", "aborted", "pending_redrive"})
OUTCOME_LABELS = {
    "running": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "timed_out": "timed out",
    "aborted": "aborted",
    "pending_redrive": "failed, redrive pending",
    SKIPPED: "skipped (already running)",
    SUCCEEDED_OR_SKIPPED: "ok",
}

# Where an item keeps its expiry (epoch seconds): the model's name first, then "ExpiresAt", which items written by
# a stack deployed before the lock's expiry moved off the table's TTL attribute carry, so jobctl reads a lock
# written by either version of the machines.
EXPIRY_ATTRIBUTES = (LOCK_EXPIRES_AT, LEGACY_LOCK_EXPIRES_AT)


def expiry(item: Mapping[str, Mapping[str, str]]) -> datetime | None:
    """The item's expiry from the first of EXPIRY_ATTRIBUTES it has; None when it has none."""
    for name in EXPIRY_ATTRIBUTES:
        value = item.get(name, {}).get("N")
        if value is not None:
            return datetime.fromtimestamp(int(float(value)), UTC)
    return None


# ECS task ARNs, old (task/<id>) and new (task/<cluster>/<id>) format, in any partition.
_TASK_ARN = re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task/[A-Za-z0-9_/-]+")
# History events whose details carry the ECS task: runTask's response, the stopped task, or a failure
# whose cause is the stopped task as JSON.
_TASK_EVENT_DETAILS = {
    "TaskSubmitted": ("taskSubmittedEventDetails", "output"),
    "TaskSucceeded": ("taskSucceededEventDetails", "output"),
    "TaskFailed": ("taskFailedEventDetails", "cause"),
}


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Run:
    """One execution of a job's state machine."""

    name: str
    execution_arn: str
    outcome: str
    started_at: datetime
    stopped_at: datetime | None
    error: str | None
    cause: str | None
    task_arn: str | None  # only known from a successful run's output; see task_arns_from_history
    described: bool = True  # False: known from ListExecutions only (no error, cause, task or skip)
    skip: str | None = None  # a skip's kind: run_words.SKIP_LABELS (already_running, paused, slot_already_ran)
    exit_code: int | None = None  # a failed run's container exit code, from its cause
    container_reason: str | None = None  # ECS's reason for that container (the cause, or the execution history)
    timeout_seconds: int | None = None  # the limit it ran past: the run state's, or the execution's (timed_out)

    @property
    def summary(self) -> str | None:
        """How it ended in plain words (run_words.end_words); None while running or known only from a listing."""
        if not self.described:
            return None
        return end_words(
            self.outcome,
            self.error,
            self.cause,
            self.skip,
            task_timeout=self.timeout_seconds,
            execution_timeout=self.timeout_seconds,
            container_reason=self.container_reason,
        )

    @property
    def label(self) -> str:
        """The outcome as a table shows it: a skip by its reason, a timeout and a kill by a signal in plain words
        (`timed out after 1h`, `exited 137: killed (SIGKILL), likely out of memory`), else the outcome."""
        if self.outcome == SKIPPED:
            return SKIP_LABELS.get(self.skip or "", OUTCOME_LABELS[SKIPPED])
        if self.timed_out() or (self.outcome == "failed" and is_signal(self.exit_code)):
            return self.summary or OUTCOME_LABELS.get(self.outcome, self.outcome)
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    def timed_out(self) -> bool:
        """The run, or its task, ran past its limit (an execution TIMED_OUT, or the machine's timeout error)."""
        return self.outcome == "timed_out" or (self.outcome == "failed" and is_timeout(self.error))

    def needs_timeout(self) -> bool:
        """A timeout whose limit neither the cause nor jobctl knows: the definition the run used has it."""
        return self.timed_out() and self.timeout_seconds is None and "timed out after" not in (self.cause or "")

    def needs_container_reason(self) -> bool:
        """Killed by a signal, and ECS's container reason not in the cause: the execution history has it."""
        return self.outcome == "failed" and is_signal(self.exit_code) and self.container_reason is None

    def duration_seconds(self, now: datetime) -> float | None:
        """Time so far for a running run; None when AWS reports no end (moto's timed-out runs)."""
        if self.outcome == "running":
            return (now - self.started_at).total_seconds()
        return None if self.stopped_at is None else (self.stopped_at - self.started_at).total_seconds()

    def to_json(self, now: datetime) -> dict[str, Any]:
        duration = self.duration_seconds(now)
        return {
            "name": self.name,
            "execution_arn": self.execution_arn,
            "outcome": self.outcome,
            "started_at": iso(self.started_at),
            "stopped_at": iso(self.stopped_at),
            "duration_seconds": None if duration is None else round(duration, 3),
            "error": self.error,
            "cause": self.cause,
            "task_arn": self.task_arn,
            "described": self.described,
            "skip_reason": self.skip,
            "summary": self.summary,
            "container_exit_code": self.exit_code,
            "container_reason": self.container_reason,
        }


def run_from_execution(execution: Mapping[str, Any]) -> Run:
    """A Run from a DescribeExecution response; a success whose output says "skipped" is a skip."""
    outcome = _STATUS_OUTCOME.get(execution["status"], execution["status"].lower())
    output = _json_object(execution.get("output"))
    if outcome == "succeeded" and output.get("outcome") == SKIPPED:
        outcome = SKIPPED
    skip = skip_kind(output) if outcome == SKIPPED else None
    code, reason = exit_of_cause(execution.get("cause")) if outcome == "failed" else (None, None)
    task_arn = output.get("taskArn")
    cause = execution.get("cause") or (output.get("reason") if outcome == SKIPPED else None)
    return Run(
        name=execution["name"],
        execution_arn=execution["executionArn"],
        outcome=outcome,
        started_at=utc(execution["startDate"]),
        stopped_at=utc(execution["stopDate"]) if execution.get("stopDate") else None,
        error=execution.get("error"),
        cause=cause,
        task_arn=task_arn if isinstance(task_arn, str) else None,
        skip=skip,
        exit_code=code,
        container_reason=reason,
    )


def run_from_listing(item: Mapping[str, Any]) -> Run:
    """A Run from a ListExecutions item: status and times, nothing of the output."""
    outcome = _STATUS_OUTCOME.get(item["status"], item["status"].lower())
    return Run(
        name=item["name"],
        execution_arn=item["executionArn"],
        outcome=SUCCEEDED_OR_SKIPPED if outcome == "succeeded" else outcome,
        started_at=utc(item["startDate"]),
        stopped_at=utc(item["stopDate"]) if item.get("stopDate") else None,
        error=None,
        cause=None,
        task_arn=None,
        described=False,
    )


def needs_details(run: Run) -> bool:
    """Whether DescribeExecution adds anything: an ended run's output (skip, task) or error and cause."""
    return not run.described and run.outcome != "running"


def task_arns_from_history(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every ECS task a run started, oldest first (one per attempt when the job retries)."""
    found: list[str] = []
    for event in sorted(events, key=lambda e: int(e["id"])):
        details_key, field = _TASK_EVENT_DETAILS.get(event["type"], ("", ""))
        text = event.get(details_key, {}).get(field, "") if details_key else ""
        for arn in _TASK_ARN.findall(text or ""):
            if arn not in found:
                found.append(arn)
    return found


def task_id(task_arn: str) -> str:
    return task_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Lock:
    """The job's lock item, as components.documents.job_machine's AcquireLock writes it."""

    holder: str
    acquired_at: str
    expires_at: datetime

    def state(self, now: datetime) -> str:
        """ "held", or "expired": an expired lock no longer blocks a run (AcquireLock takes it over)."""
        return "held" if self.expires_at > now else "expired"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "state": self.state(now),
            "execution_arn": self.holder,
            "acquired_at": self.acquired_at,
            "expires_at": iso(self.expires_at),
        }


def lock_from_item(item: Mapping[str, Mapping[str, str]]) -> Lock:
    """A Lock from a DynamoDB GetItem `Item` (typed attribute values)."""
    return Lock(
        holder=item[LOCK_HOLDER]["S"],
        acquired_at=item.get(LOCK_ACQUIRED_AT, {}).get("S", "unknown"),
        # A lock with no expiry at all is taken as held: the machine would not take it over either.
        expires_at=expiry(item) or datetime.max.replace(tzinfo=UTC),
    )


def execution_name(execution_arn: str) -> str:
    return execution_arn.rsplit(":", 1)[-1]


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
