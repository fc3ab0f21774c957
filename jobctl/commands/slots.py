"""A job's slots in a time range and what became of each, from its schedule and its slot claims; and running one
slot again as `jobctl run --scheduled-time` does (give back its claim, start it for that slot), waiting for the
lock to be free first and for the run to end after. Shared by `backfill`, `dlq replay` and `redrive`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import monotonic, sleep
from typing import Any

import jobctl.commands.common as common
from components.model.timing import SLOT_CLAIM_RETENTION_SECONDS
from jobctl.aws import StackJobs, manual_execution_name
from jobctl.errors import JobctlError
from jobctl.output import one_line
from jobctl.parallel import Problem, gather
from jobctl.runs import OUTCOME_LABELS, SKIPPED, Run, execution_name

# The most slots one command lists or runs: a larger range is refused (exit 2) rather than read for minutes.
MAX_SLOTS = 1000
CLAIM_DAYS = SLOT_CLAIM_RETENTION_SECONDS // 86400
# The slot as EventBridge Scheduler writes <aws.scheduler.scheduled-time>: "2022-03-22T18:59:43Z" (Scheduler user
# guide, "Adding context attributes"), which is also the slot claim's key (components/model/lock_item.py).
SLOT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

MISSED = "missed"  # no claim: no run ever started for the slot
UNKNOWN = "unknown"  # older than the claims are kept
GONE = "gone"  # claimed, but its execution is no longer in Step Functions' history
NOT_READ = "not_read"  # the claiming execution could not be described
_BADLY = frozenset({"failed", "timed_out", "aborted", "pending_redrive", SKIPPED, GONE})
LABELS = {
    **OUTCOME_LABELS,
    SKIPPED: "skipped",
    MISSED: "missed (no run started)",
    UNKNOWN: f"unknown (older than the claims' {CLAIM_DAYS} days)",
    GONE: "claimed, run gone from the history",
    NOT_READ: "not read",
}
# --only: which slots `backfill --execute` runs.
ONLY = ("missing", "failed", "all")


def slot_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(SLOT_FORMAT)


@dataclass(frozen=True)
class SlotState:
    """One slot: what became of it (a run outcome key, or missed/unknown/gone/not_read) and the claiming run."""

    slot: datetime
    state: str
    execution_arn: str | None = None
    detail: str | None = None  # the run's error and cause, or why it was skipped

    @property
    def key(self) -> str:
        return slot_key(self.slot)

    @property
    def kind(self) -> str:
        """missing, failed, succeeded, running or unknown: what --only chooses by."""
        if self.state == MISSED:
            return "missing"
        if self.state in _BADLY:
            return "failed"
        return self.state if self.state in ("succeeded", "running") else UNKNOWN

    def chosen(self, only: str) -> bool:
        """Whether `--only` runs it: missing (no claim), failed (its run did not succeed), all (every slot but a
        running one, succeeded ones again too)."""
        if self.kind == "running":
            return False
        return only == "all" or self.kind == only

    def to_json(self) -> dict[str, Any]:
        return {
            "slot": self.key,
            "state": self.state,
            "kind": self.kind,
            "execution_arn": self.execution_arn,
            "detail": self.detail,
        }


def slots_between(expression: str, timezone: str, start: datetime, end: datetime) -> list[datetime]:
    """The slots of a cron schedule from `start` to `end` (both included), worked out by the same engine as the
    plan (components.model.schedule, imported only now: it loads aws-croniter). Refuses a rate still deployed as one
    by an earlier release (its phase was set when the schedule was created, so its slots are not known offline) and
    more than MAX_SLOTS slots."""
    from components.model.schedule import parse_schedule

    try:
        parsed = parse_schedule(expression)
    except ValueError as error:
        raise JobctlError(f"the schedule {expression!r} cannot be read: {error}") from error
    if not parsed.slots_known:
        # Only a schedule deployed by a release before rates became crons (components/model/rate_slots.py).
        raise JobctlError(
            f"the schedule is {expression}: a rate's slots depend on when its schedule was created, so they cannot "
            "be worked out; `pulumi up` with this release deploys it as a cron with known slots; until then run "
            "single slots with `jobctl run JOB --scheduled-time UTC_TIME`"
        )
    found = parsed.next_runs(timezone, MAX_SLOTS + 1, start - timedelta(seconds=1))
    slots = [moment.astimezone(UTC) for moment in found if moment <= end]
    if len(slots) > MAX_SLOTS:
        raise JobctlError(
            f"{expression} has more than {MAX_SLOTS} slots from {slot_key(start)} to {slot_key(end)}; "
            f"at most {MAX_SLOTS} at a time: give a shorter range"
        )
    return slots


def slot_states(
    jobs: StackJobs, job: str, slots: list[datetime], now: datetime
) -> tuple[list[SlotState], list[Problem]]:
    """What became of each slot: its claim (BatchGetItem, 100 a call) and the claiming run (DescribeExecution,
    in parallel). A slot older than the claims' retention is unknown: its claim may be gone either way."""
    cutoff = now - timedelta(seconds=SLOT_CLAIM_RETENTION_SECONDS)
    recent = [slot_key(slot) for slot in slots if slot >= cutoff]
    claims = jobs.locks.claims(job, recent, now) if recent else {}
    described = gather(jobs.describe_if_kept, sorted(set(claims.values())))
    states = []
    for slot in slots:
        key = slot_key(slot)
        if slot < cutoff:
            states.append(SlotState(slot, UNKNOWN))
        elif key not in claims:
            states.append(SlotState(slot, MISSED))
        elif claims[key] not in described.values:
            states.append(SlotState(slot, NOT_READ, claims[key]))
        else:
            run = described.values[claims[key]]
            states.append(_from_run(slot, claims[key], run))
    return states, described.problems


def _from_run(slot: datetime, claimer: str, run: Run | None) -> SlotState:
    if run is None:
        return SlotState(slot, GONE, claimer)
    detail = ": ".join(part for part in (run.error, one_line(run.cause)) if part) or None
    return SlotState(slot, run.outcome, claimer, detail)


class Progress:
    """One line on stderr that is redrawn in place, only on a terminal (off one, only the result lines show)."""

    def __init__(self) -> None:
        self.on = sys.stderr.isatty()
        self._shown = False

    def show(self, text: str) -> None:
        if self.on:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
            self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._shown = False


def wait_for_free_lock(jobs: StackJobs, job: str, tick: Callable[[str], None]) -> None:
    """Wait while another run holds the job's lock (an expired lock no longer blocks: the next run takes it)."""
    while True:
        lock = jobs.items([job])[job].lock
        if lock is None or lock.state(common.now()) != "held":
            return
        tick(f"waiting for the lock, held by {execution_name(lock.holder)}")
        sleep(common.POLL_SECONDS)


@dataclass(frozen=True)
class Started:
    execution_arn: str
    reopened: str | None  # what was given back (None: the slot was never claimed)


def start_slot(jobs: StackJobs, job: str, slot: str | None, rerun: bool, environment: dict[str, str]) -> Started:
    """A new run for `slot` (None: a run that names no slot), as `jobctl run --scheduled-time`: the slot's claim
    is given back first (refused while its run goes on, or after it succeeded unless `rerun`)."""
    reopened = jobs.reopen_slot(job, slot, rerun) if slot is not None else None
    arn = jobs.start(job, environment, manual_execution_name(common.now()), slot)
    return Started(arn, reopened)


def wait_for_end(jobs: StackJobs, execution_arn: str, tick: Callable[[str], None]) -> Run:
    """DescribeExecution every POLL_SECONDS until the run has ended."""
    began = monotonic()
    while (run := jobs.describe(execution_arn)).outcome == "running":
        tick(f"{execution_name(execution_arn)} running for {int(monotonic() - began)}s")
        sleep(common.POLL_SECONDS)
    return run


def run_label(run: Run) -> str:
    label = run.label if run.described else LABELS.get(run.outcome, run.outcome)
    why = ": ".join(part for part in (run.error, one_line(run.cause)) if part)
    return f"{label} ({why})" if why and run.outcome != "succeeded" else label
