"""The dead man's switch: how long may pass without a successful run before someone is told.

CloudWatch evaluates at most 1 day of periods shorter than an hour and at most 7 days in all
(PutMetricAlarm docs); a job whose window is longer gets no missed-run alarm, and the plan says so."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from components.spec import Job

MAX_WINDOW_SECONDS = 7 * 86400
# A success shows up when the run ends, so allow one full run plus a margin after the expected start.
GRACE_MARGIN_SECONDS = 900
# Cron gaps are measured over this many runs from a fixed date, so the alarm does not change per deploy.
CRON_SAMPLE_RUNS = 200
CRON_SAMPLE_FROM = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MissedRunAlarm:
    """Alarm when ExecutionsSucceeded is 0 (or missing) in each of `evaluation_periods` periods."""

    window_seconds: int
    period_seconds: int
    evaluation_periods: int


@dataclass(frozen=True)
class NoMissedRunAlarm:
    reason: str


def longest_gap_seconds(job: Job) -> int | None:
    """The longest time between two scheduled starts, or None for manual-only jobs."""
    schedule = job.parsed_schedule
    if schedule is None:
        return None
    if schedule.rate_seconds is not None:
        return schedule.rate_seconds
    runs = schedule.next_runs(job.timezone, CRON_SAMPLE_RUNS, CRON_SAMPLE_FROM)
    if len(runs) < 2:
        return None  # a cron that fires once (a fixed year) has no interval
    return int(max((b - a).total_seconds() for a, b in pairwise(runs)))


def missed_run_alarm(job: Job) -> MissedRunAlarm | NoMissedRunAlarm:
    """The alarm a job gets, or why it gets none."""
    if not job.enabled:
        return NoMissedRunAlarm("job disabled")
    gap = longest_gap_seconds(job)
    if gap is None:
        return NoMissedRunAlarm("no recurring schedule")
    window = gap + job.execution_timeout + GRACE_MARGIN_SECONDS
    if window > MAX_WINDOW_SECONDS:
        return NoMissedRunAlarm(f"window {math.ceil(window / 3600)}h exceeds CloudWatch's 7 days")
    if window <= 86400 and window < 3600 * 6:
        period = 60 if window <= 3600 else 300
    else:
        period = 3600
    periods = math.ceil(window / period)
    return MissedRunAlarm(window_seconds=periods * period, period_seconds=period, evaluation_periods=periods)
