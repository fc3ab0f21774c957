"""Jobs of one stack that start in the same minute, shown by the plan before they meet Fargate's launch
quotas in production.

Fargate launches up to FARGATE_TASK_LAUNCH_BURST tasks at once, then FARGATE_TASK_LAUNCH_RATE_PER_SECOND per
second, for the whole account and region (components/model/aws_constants.py). EventBridge Scheduler invokes
within the scheduled minute ("60 second precision", Scheduler user guide, "Schedule types"), so more jobs than
the burst starting on one minute may be throttled; their start retries then start them late. A job with
`jitter` is spread over its window and not counted; a rate job has no fixed minute, but every rate job
without jitter first runs when the deploy that creates it does (with no start date, "your schedule starts
invoking the target immediately": Scheduler user guide, "Schedule types")."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from components.model.aws_constants import FARGATE_TASK_LAUNCH_BURST, FARGATE_TASK_LAUNCH_RATE_PER_SECOND
from components.model.stack import StackJob

HORIZON = timedelta(days=31)  # a month: daily, weekly and monthly tops of the hour all come round
RUNS_PER_JOB = 100  # at most this many runs of each job are counted (a frequent job's first 100)
_SUGGESTION = (
    'spread them: jitter="5m" on the jobs that need not start on the minute (or scheduled-jobs:jitter for the '
    "whole stack); other stacks and services in the account share the same quota"
)
_QUOTA = (
    f"Fargate launches at most {FARGATE_TASK_LAUNCH_BURST} tasks at once, then {FARGATE_TASK_LAUNCH_RATE_PER_SECOND} "
    'per second (ECS developer guide, "AWS Fargate throttling quotas"); starts past that are throttled and retried, '
    "so some start late"
)


@dataclass(frozen=True)
class Pileup:
    """The busiest minute (UTC) in the horizon and the jobs that start on it without jitter."""

    minute: datetime
    jobs: tuple[str, ...]


def busiest_minute(jobs: list[StackJob], now: datetime) -> Pileup | None:
    """The minute within HORIZON after `now` on which the most enabled cron jobs without jitter start (their
    first RUNS_PER_JOB runs), or None when no such job has a run to come. Ties go to the earliest minute."""
    starting: dict[datetime, list[str]] = {}
    counts: Counter[datetime] = Counter()
    end = now + HORIZON
    minutes: dict[tuple[str, str], list[datetime]] = {}  # jobs often share a schedule: work each one out once
    for job in jobs:
        spec, schedule = job.spec, job.spec.parsed_schedule
        if not spec.enabled or schedule is None or not schedule.slots_known or spec.jitter:
            continue
        key = (schedule.expression, spec.schedule_timezone)
        if key not in minutes:
            runs = [run for run in schedule.next_runs(spec.schedule_timezone, RUNS_PER_JOB, now) if run <= end]
            minutes[key] = [run.astimezone(UTC).replace(second=0, microsecond=0) for run in runs]
        for minute in minutes[key]:
            counts[minute] += 1
            starting.setdefault(minute, []).append(job.name)
    if not counts:
        return None
    most = max(counts.values())
    minute = min(m for m, n in counts.items() if n == most)
    return Pileup(minute, tuple(starting[minute]))


def pileup_warnings(jobs: list[StackJob], now: datetime, limit: int = FARGATE_TASK_LAUNCH_BURST) -> list[str]:
    """A warning for more than `limit` jobs starting in one minute, and one for more than `limit` rate jobs
    without jitter, which all first run at the deploy that creates them."""
    warnings: list[str] = []
    pileup = busiest_minute(jobs, now)
    if pileup is not None and len(pileup.jobs) > limit:
        warnings.append(
            f"{len(pileup.jobs)} jobs start in the same minute, {pileup.minute:%Y-%m-%d %H:%M} UTC "
            f"({_names(pileup.jobs)}): {_QUOTA}; {_SUGGESTION}"
        )
    # A rate job is deployed as a cron at its own phase (components/model/rate_slots.py): counted above.
    return warnings


def _names(names: tuple[str, ...] | list[str], shown: int = 3) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")
