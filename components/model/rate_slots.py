"""A rate schedule as the cron that fires on the same interval, at a phase fixed by the job's name.

EventBridge Scheduler starts a rate schedule at its StartDate, or "immediately" without one, and hands its target
the time it fired for (Scheduler user guide, "Schedule types", rate-based schedules), so a rate's slots carry the
moment the schedule was created. UpdateSchedule "uses all values, including empty values, specified in the request
and overrides the existing schedule" (Scheduler API reference, UpdateSchedule): every update starts the rate anew,
and a StartDate cannot be sent again once it is older than 5 minutes ("The StartDate you specify cannot be earlier
than 5 minutes ago", getmoto/moto#8172 mirrors it). Two schedules with one rate (the job's and its slot watch's)
therefore never agree on a slot, and nothing offline can know one.

A cron's instants depend on its fields alone ("cron-based schedules", same page). So a rate whose interval divides
an hour or a day (or is a week) is deployed as that cron, evaluated in UTC (no DST moves a UTC instant, so every
interval stays whole), with a phase inside the interval taken from a hash of the job's name, as Jenkins' `H`
does: the same on every update and every machine, and jobs with one rate do not all start at the same minute. A
rate that fits neither has no such cron and is refused, with the nearest rates that have one."""

from __future__ import annotations

import hashlib

MINUTE, HOUR, DAY, WEEK = 1, 60, 1440, 10080  # in minutes
# Every interval (in minutes) that one cron expression repeats exactly: the divisors of an hour, the hours that
# divide a day, a day and a week.
EXACT_INTERVALS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, DAY, WEEK)
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
SLOTS_TIMEZONE = "UTC"


def phase_minutes(key: str, interval_minutes: int) -> int:
    """A whole-minute offset in [0, interval_minutes) fixed by `key` (the job's name): sha256, not hash(), so it
    is the same in every process."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % interval_minutes


def rate_cron(interval_minutes: int, key: str) -> str:
    """The cron fields that fire every `interval_minutes` (one of EXACT_INTERVALS) at `key`'s phase, in UTC;
    e.g. (15, "sync") -> "7/15 * * * ? *". Raises ValueError for an interval no cron repeats exactly."""
    if interval_minutes not in EXACT_INTERVALS:
        raise ValueError(f"no cron repeats every {interval_minutes} minutes exactly")
    phase = phase_minutes(key, interval_minutes)
    if interval_minutes < HOUR:
        minutes = "*" if interval_minutes == 1 else f"{phase}/{interval_minutes}"
        return f"{minutes} * * * ? *"
    minute, hour = phase % 60, phase // 60
    if interval_minutes < DAY:
        hours = interval_minutes // HOUR
        return f"{minute} {'*' if hours == 1 else f'{hour}/{hours}'} * * ? *"
    if interval_minutes == DAY:
        return f"{minute} {hour} * * ? *"
    day, hour = divmod(hour, 24)
    return f"{minute} {hour} ? * {_DAYS[day]} *"


def nearest_exact(interval_minutes: int) -> list[int]:
    """The exact intervals just below and just above `interval_minutes` (one where it is past a week)."""
    below = [i for i in EXACT_INTERVALS if i < interval_minutes]
    above = [i for i in EXACT_INTERVALS if i > interval_minutes]
    return [*below[-1:], *above[:1]]


def rate_text(interval_minutes: int) -> str:
    """The rate expression of an interval in its largest whole unit, e.g. 120 -> "rate(2 hours)"."""
    for unit, size in (("day", DAY), ("hour", HOUR), ("minute", MINUTE)):
        if interval_minutes % size == 0:
            count = interval_minutes // size
            return f"rate({count} {unit}{'' if count == 1 else 's'})"
    raise AssertionError("every whole number of minutes has a unit")  # pragma: no cover
