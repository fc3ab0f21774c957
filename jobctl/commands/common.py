"""What the commands share: the clock, the layout, a job's time zone, confirmation, picking jobs, and the
details of runs that the list lacks."""

from __future__ import annotations

import argparse
import fnmatch
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from jobctl import output
from jobctl.aws import StackJobs
from jobctl.errors import (
    EXIT_OK,
    EXIT_RUN_FAILED,
    EXIT_SKIPPED,
    EXIT_SKIPPED_PAUSED,
    EXIT_SKIPPED_SLOT_RAN,
    THROTTLING_CODES,
    JobctlError,
    NoJobs,
    NotFound,
)
from jobctl.output import note, zone
from jobctl.parallel import Gathered, Problem, gather
from jobctl.run_words import SKIP_ALREADY_RUNNING, SKIP_PAUSED, SKIP_SLOT_ALREADY_RAN
from jobctl.runs import SKIPPED, Run, needs_details
from jobctl.tables import Layout

# How often `run --wait` and `logs --follow` ask AWS whether the run has ended or logged more.
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Context:
    jobs: StackJobs
    args: argparse.Namespace


def now() -> datetime:
    return datetime.now(UTC)


def utc_time(text: str) -> datetime | None:
    """`text` as a time in UTC, or None when it is not an ISO 8601 time with a zone (such as ...Z)."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo is not None else None


def parse_utc_time(option: str, text: str, example: str, why: str = "") -> datetime:
    """An option's time, in UTC; one clear error (exit 2) naming the option, what was given and what is allowed."""
    when = utc_time(text)
    if when is None:
        raise JobctlError(f"{option} {text!r}: expected a time in UTC such as {example}{why}")
    return when


def layout(args: argparse.Namespace) -> Layout:
    """Fit the terminal unless --wide (or not on a terminal, where lines are never cut)."""
    return Layout(width=None if getattr(args, "wide", False) else output.terminal_width(), now=now())


def job_zone(jobs: StackJobs, job: str, args: argparse.Namespace) -> tzinfo:
    """The time zone of the job's schedule (one GetSchedule), or UTC with --utc or for a job run only by hand."""
    if getattr(args, "utc", False):
        return UTC
    schedule = jobs.schedule(job)
    return zone(schedule.timezone if schedule else None)


def confirm(question: str, args: argparse.Namespace) -> bool:
    """Yes with --yes; asks on a terminal; refuses (exit 2) without one, where nobody could answer."""
    if args.yes:
        return True
    if not output.stdin_is_terminal():
        raise JobctlError(f"{question.rstrip('?')}: not on a terminal, so nobody can answer; add --yes to go ahead")
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return input().strip().lower() in ("y", "yes")


def is_pattern(text: str) -> bool:
    return any(char in text for char in "*?[")


def select_jobs(jobs: StackJobs, pattern: str | None) -> list[str]:
    """The prefix's jobs (one listing), those matching the glob `pattern` when given. No jobs at all is an
    error (a wrong prefix or region), and so is a pattern that matches none."""
    names = list(jobs.machines())
    if not names:
        raise NoJobs(jobs.prefix, jobs.region, jobs.prefixes_in_region())
    if pattern is None:
        return names
    chosen = [name for name in names if fnmatch.fnmatchcase(name, pattern)]
    if not chosen:
        raise NotFound(f"no job under prefix {jobs.prefix!r} matches {pattern!r}; known jobs: {', '.join(names)}")
    return chosen


def with_details(jobs: StackJobs, runs: list[Run], count: int | None = None) -> Gathered[int, Run]:
    """The first `count` runs (all: None) described where the list lacks what is shown (an ended run's skip,
    task, error and cause), in parallel; a run whose describe fails stays as listed, and the failure is kept."""
    wanted = [i for i, run in enumerate(runs[:count] if count is not None else runs) if needs_details(run)]
    described = gather(lambda i: jobs.describe(runs[i].execution_arn), wanted)
    problems = [
        Problem(runs[int(p.subject)].name, p.operation, p.code, p.message, p.exit_code) for p in described.problems
    ]
    merged: Gathered[int, Run] = Gathered(problems=problems)
    merged.values = {i: described.values.get(i, run) for i, run in enumerate(runs)}
    return merged


def completeness(problems: list[Problem]) -> dict[str, Any]:
    """The keys every `--json` document of a command that may read partly carries: whether it read everything,
    and what it could not read."""
    return {"complete": not problems, "problems": [p.to_json() for p in problems]}


def report_problems(problems: list[Problem], total: int, what: str) -> None:
    """One note per kind of failure, after the output that was read: which jobs, which call, why."""
    if not problems:
        return
    by_kind: dict[tuple[str, str], list[str]] = {}
    for problem in problems:
        by_kind.setdefault((problem.operation, problem.code), []).append(problem.subject)
    for (operation, code), subjects in sorted(by_kind.items()):
        shown = ", ".join(subjects[:5]) + (f" and {len(subjects) - 5} more" if len(subjects) > 5 else "")
        why = f"{code}, throttled past every retry" if code in THROTTLING_CODES else code
        note(f"jobctl: incomplete: {operation} for {len(subjects)} of {total} {what} failed ({why}): {shown}")
    note("jobctl: the rows marked 'not read' lack that data; the rest is complete. Run the command again later.")


# A skip's exit code says why: 3 the job was already running, 8 it is paused, 9 its slot already ran.
_SKIP_EXIT_CODES = {
    SKIP_ALREADY_RUNNING: EXIT_SKIPPED,
    SKIP_PAUSED: EXIT_SKIPPED_PAUSED,
    SKIP_SLOT_ALREADY_RAN: EXIT_SKIPPED_SLOT_RAN,
}


def exit_code(run: Run) -> int:
    if run.outcome == "succeeded":
        return EXIT_OK
    if run.outcome == SKIPPED:
        return _SKIP_EXIT_CODES.get(run.skip or SKIP_ALREADY_RUNNING, EXIT_SKIPPED)
    return EXIT_RUN_FAILED


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
