"""The dead man's switch: how long may pass without a successful run before someone is told.

CloudWatch evaluates at most 1 day of periods shorter than an hour and at most 7 days in all
(PutMetricAlarm docs); a job whose window is longer gets no missed-run alarm, and the plan says so."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise

from aws_croniter import AwsCroniter

from components.model.spec import Job

MAX_WINDOW_SECONDS = 7 * 86400
# A success shows up when the run ends, so allow one full run plus a margin after the expected start.
GRACE_MARGIN_SECONDS = 900
# A DST change stretches one gap by an hour in zones that have one.
DST_SLACK_SECONDS = 3600
# Gaps of day-, week- and month-dependent crons are measured from a fixed date, so the alarm does not
# change from one deploy to the next, over at least one full cycle of the fields that vary.
SAMPLE_FROM = datetime(2026, 1, 1, tzinfo=UTC)
SAMPLE_CHUNK = 200
SAMPLE_MAX_RUNS = 3000


@dataclass(frozen=True)
class MissedRunAlarm:
    """Alarm when ExecutionsSucceeded is 0 (or missing) in each of `evaluation_periods` periods."""

    window_seconds: int
    period_seconds: int
    evaluation_periods: int


@dataclass(frozen=True)
class NoMissedRunAlarm:
    reason: str


@lru_cache(maxsize=4096)
def _cron_gap_seconds(fields: str) -> int | None:
    """The longest time between two starts of an AWS cron, on its own wall clock; None if it cannot
    be bounded within the sample (it then gets no alarm rather than a wrong one)."""
    _, _, dom, month, dow, year = fields.split(" ")
    cron = AwsCroniter(fields)
    if dom in ("*", "?") and dow in ("*", "?") and month == "*" and year == "*":
        # Only minutes and hours vary: the pattern repeats daily, so read the gap off one day.
        times = sorted(h * 60 + m for h in cron.hours for m in cron.minutes)
        gaps = [b - a for a, b in pairwise(times)] + [times[0] + 1440 - times[-1]]
        return int(max(gaps)) * 60
    cycle = timedelta(days=366 if month != "*" or year != "*" else 35)
    runs: list[datetime] = []
    start = SAMPLE_FROM
    while len(runs) < SAMPLE_MAX_RUNS:
        chunk = [run for run in cron.get_next(start, SAMPLE_CHUNK) if run is not None]
        if not chunk:
            break
        runs.extend(chunk)
        gaps = [(b - a).total_seconds() for a, b in pairwise(runs)]
        if gaps and max(gaps) > MAX_WINDOW_SECONDS:
            return int(max(gaps))  # too long for any alarm: no need to look further
        if runs[-1] - SAMPLE_FROM >= cycle:
            return int(max(gaps)) if gaps else None
        start = chunk[-1]
    return None


def longest_gap_seconds(job: Job) -> int | None:
    """The longest time between two scheduled starts, or None if there is none or it is unbounded."""
    schedule = job.parsed_schedule
    if schedule is None:
        return None
    if schedule.rate_seconds is not None:
        return schedule.rate_seconds
    gap = _cron_gap_seconds(schedule.cron_fields)
    if gap is not None and job.timezone != "UTC":
        gap += DST_SLACK_SECONDS
    return gap


def missed_run_alarm(job: Job) -> MissedRunAlarm | NoMissedRunAlarm:
    """The alarm a job gets, or why it gets none."""
    if not job.enabled:
        return NoMissedRunAlarm("job disabled")
    if job.parsed_schedule is None:
        return NoMissedRunAlarm("manual runs only")
    gap = longest_gap_seconds(job)
    if gap is None:
        return NoMissedRunAlarm("the gap between runs could not be bounded from a sample")
    window = gap + job.execution_timeout + GRACE_MARGIN_SECONDS
    if window > MAX_WINDOW_SECONDS:
        return NoMissedRunAlarm(f"window {math.ceil(window / 3600)}h exceeds CloudWatch's 7 days")
    if window <= 6 * 3600:
        period = 60 if window <= 3600 else 300  # CloudWatch: periods under 1h may span 1 day at most
    else:
        period = 3600
    periods = math.ceil(window / period)
    return MissedRunAlarm(window_seconds=periods * period, period_seconds=period, evaluation_periods=periods)
