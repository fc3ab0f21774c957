"""Per-slot deadlines of a scheduled job as the offline plan shows them, and the slots DST moves.

Every slot (each time EventBridge Scheduler fires the job's cron or rate) must have succeeded by
`slot + execution timeout + DEADLINE_GRACE_SECONDS`; the shared deadline state machine enforces it at run
time, and this module says offline what it will enforce, from the same schedule engine as the plan's next
runs (`Schedule.next_runs`).

DST follows EventBridge Scheduler User Guide, "Schedule types on EventBridge Scheduler", section
"Daylight savings time on EventBridge Scheduler"
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time): "When
time shifts forward in the Spring, if a cron expression falls on a non-existent date and time, your
schedule invocation is skipped. When time shifts backwards in the Fall, your schedule runs only once and
does not repeat its invocation" (its example runs 2:30 a.m. "before the shift occurs", so a repeated slot
is its first occurrence, `fold=0`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from components.model.duration import format_duration
from components.model.schedule import cron_engine
from components.model.spec import Job
from components.model.timing import SCHEDULE_MAX_EVENT_AGE_SECONDS, START_RETRY_ATTEMPTS, total_attempts

DEADLINE_GRACE_SECONDS = 900  # 15 minutes for the success to be recorded after the longest execution
# A yearly skip is one the zone's rule repeats in each of this many coming springs: a weekday rule
# ("last Sunday of March") moves over the dates 25 to 31 within them, so a fixed date does not pass.
YEARS_FOR_EVERY_YEAR = 8
_SCAN_STEP = timedelta(days=1)  # offset changes are months apart; the exact instant is then bisected
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# English whatever the locale, unlike calendar.month_name and day_name.
_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


@dataclass(frozen=True)
class Deadline:
    """One slot and the time its run must have succeeded by; both tz-aware, in the job's time zone."""

    slot: datetime
    deadline: datetime


@dataclass(frozen=True)
class _Shift:
    """A change of the zone's UTC offset at instant `at` (UTC); `start`..`end` are the naive wall times
    that do not exist (offset grows: spring) or happen twice (offset shrinks: autumn)."""

    at: datetime
    before: timedelta
    after: timedelta

    @property
    def skips(self) -> bool:
        return self.after > self.before

    @property
    def start(self) -> datetime:
        return (self.at + min(self.before, self.after)).replace(tzinfo=None)

    @property
    def end(self) -> datetime:
        return (self.at + max(self.before, self.after)).replace(tzinfo=None)


def deadline_after_slot_seconds(job: Job) -> int:
    """Seconds from a slot to its deadline: the job's jitter (its start may come that late), then its own
    `missed_after`, else the longest execution (all attempts and waits), at least EventBridge Scheduler's retry
    window for the start (a start it retries may arrive that late: a short job is not missed before), and the
    grace."""
    default = max(job.execution_timeout, SCHEDULE_MAX_EVENT_AGE_SECONDS) + DEADLINE_GRACE_SECONDS
    return (job.jitter or 0) + (job.missed_after if job.missed_after is not None else default)


def deadline_origin(job: Job) -> str | None:
    """Where the default deadline comes from, in words, for the plan: a 1h job without retries is missed only
    4h23m30s after its slot, since a task that fails to start is started again up to START_RETRY_ATTEMPTS times,
    each attempt of up to the job's timeout. None when the job sets `missed_after` or has no slots."""
    if job.missed_after is not None or not job.enabled or job.schedule is None:
        return None
    if job.execution_timeout < SCHEDULE_MAX_EVENT_AGE_SECONDS:
        window = format_duration(SCHEDULE_MAX_EVENT_AGE_SECONDS)
        return (
            f"the deadline waits {window}, the time EventBridge Scheduler retries a start it could not deliver, "
            f"then {format_duration(DEADLINE_GRACE_SECONDS)} grace; set missed_after to choose another"
        )
    attempts = total_attempts(job.retries.attempts, job.capacity == "spot")
    kinds = [*(["one on Spot"] if job.capacity == "spot" else []), "the run"]
    if job.retries.attempts:
        kinds.append(f"{job.retries.attempts} retr{'y' if job.retries.attempts == 1 else 'ies'}")
    kinds.append(f"{START_RETRY_ATTEMPTS} start retries")
    rest = job.execution_timeout - attempts * job.timeout
    return (
        f"the deadline waits for the longest execution: {attempts} attempts of up to {format_duration(job.timeout)} "
        f"({', '.join(kinds)}) and {format_duration(rest)} of waits and lock steps, then "
        f"{format_duration(DEADLINE_GRACE_SECONDS)} grace; set missed_after (e.g. "
        f'missed_after="{format_duration(job.timeout * 2)}") to hear sooner'
    )


def late_after_slot_seconds(job: Job) -> int | None:
    """Seconds from a slot until a run not started is late: the jitter plus `late_after` (None: never)."""
    return None if job.late_after is None else (job.jitter or 0) + job.late_after


def warn_after_slot_seconds(job: Job) -> int | None:
    """Seconds from a slot until a run still running gets the long-run warning (None: never)."""
    return None if job.warn_after is None else (job.jitter or 0) + job.warn_after


def next_deadlines(job: Job, now: datetime, count: int = 3) -> list[Deadline]:
    """The deadlines of the next `count` slots after `now` (tz-aware); none for a disabled or manual-only job
    (a rate's slots are its cron's). The deadline is the slot plus the budget in elapsed time, so a DST shift
    between them moves its wall-clock time."""
    schedule = job.parsed_schedule
    if not job.enabled or schedule is None or not schedule.slots_known:
        return []
    zone = ZoneInfo(job.schedule_timezone)
    budget = timedelta(seconds=deadline_after_slot_seconds(job))
    slots = schedule.next_runs(job.timezone, count, now)
    # Aware arithmetic within one zone is wall-clock arithmetic in Python: add the budget in UTC.
    return [Deadline(slot, (slot.astimezone(UTC) + budget).astimezone(zone)) for slot in slots]


def deadline_rule(job: Job) -> str:
    """The job's deadline rule in words, for the plan, e.g. "each slot must succeed within 2h23m30s
    (execution timeout 2h8m30s + 15m grace); late if not started 5m after the slot"."""
    schedule = job.parsed_schedule
    if not job.enabled:
        return "none: job disabled"
    if schedule is None:
        return "none: manual runs only"
    jitter = f"jitter {format_duration(job.jitter)} + " if job.jitter else ""
    grace = format_duration(DEADLINE_GRACE_SECONDS)
    if job.missed_after is not None:
        origin = f"missed_after {format_duration(job.missed_after)}"
    elif job.execution_timeout < SCHEDULE_MAX_EVENT_AGE_SECONDS:
        origin = (
            f"EventBridge Scheduler's retry window {format_duration(SCHEDULE_MAX_EVENT_AGE_SECONDS)} + {grace} grace"
        )
    else:
        origin = f"execution timeout {format_duration(job.execution_timeout)} + {grace} grace"
    budget = f"{format_duration(deadline_after_slot_seconds(job))} ({jitter}{origin})"
    parts = [f"each slot must succeed within {budget}"]
    late, warn = late_after_slot_seconds(job), warn_after_slot_seconds(job)
    if late is not None:
        parts.append(f"late if not started {format_duration(late)} after the slot")
    if warn is not None:
        parts.append(f"long-run warning {format_duration(warn)} after the slot")
    return "; ".join(parts)


def deadline_summary(job: Job) -> str:
    """The rule in a few words for the plan's table, e.g. "slot + 2h23m30s, late 5m, warn 45m"."""
    if not job.enabled or job.parsed_schedule is None:
        return deadline_rule(job)
    parts = [f"slot + {format_duration(deadline_after_slot_seconds(job))}"]
    late, warn = late_after_slot_seconds(job), warn_after_slot_seconds(job)
    if late is not None:
        parts.append(f"late {format_duration(late)}")
    if warn is not None:
        parts.append(f"warn {format_duration(warn)}")
    return ", ".join(parts)


def dst_notes(job: Job, now: datetime, months: int = 12) -> list[str]:
    """Each DST shift in the `months` after `now` that hits slots of an enabled cron job, in words: a slot
    in a spring gap does not exist and AWS skips it; one in an autumn overlap happens twice on the wall
    clock and AWS runs it once. One line per shift, oldest first."""
    fields = _cron_fields(job)
    if fields is None:
        return []
    zone = ZoneInfo(job.timezone)
    notes = []
    for shift in _shifts(job.timezone, now.astimezone(UTC), _add_months(now.astimezone(UTC), months)):
        hit = [wall for wall in _wall_slots(fields, shift.start, shift.end) if _moved(wall, zone, now)]
        if not hit:
            continue
        day, tz = hit[0].date().isoformat(), job.timezone
        if _exists(hit[0], zone):  # an overlap: the wall times exist, twice
            if len(hit) == 1:
                notes.append(
                    f"the {_hm(hit[0])} run on {day} happens twice on the wall clock in {tz}; AWS runs it once"
                )
            else:
                notes.append(f"the {_runs(hit)} on {day} happen twice on the wall clock in {tz}; AWS runs each once")
        elif len(hit) == 1:
            notes.append(f"the {_hm(hit[0])} run on {day} does not exist in {tz}; AWS skips it")
        else:
            notes.append(f"the {_runs(hit)} on {day} do not exist in {tz}; AWS skips them")
    return notes


def yearly_skip_warning(job: Job, now: datetime) -> str | None:
    """Why an enabled cron job loses slots every spring, when its slots fall in the zone's spring-forward
    gap in each of the next YEARS_FOR_EVERY_YEAR years (e.g. daily at 02:30 in Europe/Berlin), else None.
    The text follows "warning: jobs/x.py: " in the plan."""
    fields = _cron_fields(job)
    if fields is None:
        return None
    zone, start = ZoneInfo(job.timezone), now.astimezone(UTC)
    springs = [s for s in _shifts(job.timezone, start, _add_months(start, 12 * YEARS_FOR_EVERY_YEAR)) if s.skips]
    if len({s.start.year for s in springs}) < YEARS_FOR_EVERY_YEAR:
        return None  # no DST, or not every year (a zone that stops observing it)
    skipped = [[w for w in _wall_slots(fields, s.start, s.end) if not _exists(w, zone)] for s in springs]
    if not all(skipped):
        return None
    first, hit = springs[0], skipped[0]
    gap = first.after - first.before
    span = "the hour" if gap == timedelta(hours=1) else f"the {int(gap.total_seconds()) // 60} minutes"
    rule = _yearly_rule([s.start.date() for s in springs])
    when = f"every spring ({rule})" if rule else "every spring"
    day_start = first.start.replace(hour=0, minute=0, second=0)
    alone = len(_wall_slots(fields, day_start, day_start + timedelta(days=1))) == len(hit)
    if len(hit) == 1:
        loss = "that day has no run" if alone else f"that day has no {_hm(hit[0])} run"
        return f"the {_hm(hit[0])} run falls in {span} {job.timezone} skips {when}: {loss}"
    loss = "that day has no run" if alone else "they do not happen that day"
    return f"the {_runs(hit)} fall in {span} {job.timezone} skips {when}: {loss}"


def _cron_fields(job: Job) -> str | None:
    """The cron fields of an enabled cron job; None for a disabled, manual-only or rate job."""
    schedule = job.parsed_schedule
    if not job.enabled or schedule is None or schedule.rate_seconds is not None:
        return None
    return schedule.cron_fields


@lru_cache(maxsize=4096)
def _wall_slots(fields: str, start: datetime, end: datetime) -> tuple[datetime, ...]:
    """The cron's naive wall-clock times in [start, end). aws-croniter only says which days match (asked with
    UTC-tagged wall times, which have no DST); the times of day are its hour and minute lists, so a job at every
    minute costs no more than a daily one. What a zone does to these times is decided by zoneinfo, here."""
    cron = cron_engine(fields)
    times = [time(hour, minute) for hour in sorted(cron.hours) for minute in sorted(cron.minutes)]
    found: list[datetime] = []
    day = start.date()
    while (midnight := datetime.combine(day, time())) < end:
        # The day matches the day-of-month, month, day-of-week and year fields iff the cron's first time
        # from its midnight on falls on it (None pads past a cron's last year).
        first = cron.get_next(midnight.replace(tzinfo=UTC), 1, inclusive=True)[0]
        if first is not None and first.date() == day:
            found.extend(wall for at in times if start <= (wall := datetime.combine(day, at)) < end)
        day += timedelta(days=1)
    return tuple(found)


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive wall time `wall` happens in `zone` (a spring-forward gap's times do not)."""
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _moved(wall: datetime, zone: ZoneInfo, now: datetime) -> bool:
    """Whether DST skips or repeats the wall time, in a slot after `now` (a repeat: its first occurrence)."""
    if not _exists(wall, zone):
        return True
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset() and first >= now


@lru_cache(maxsize=256)
def _shifts(tz: str, start: datetime, end: datetime) -> tuple[_Shift, ...]:
    """Every change of `tz`'s UTC offset in (start, end], from zoneinfo (cached: every job of a plan asks with
    the same `now`). Scanned a day at a time, then bisected to the second."""
    zone = ZoneInfo(tz)
    shifts: list[_Shift] = []
    cursor, offset = start, _offset(start, zone)
    while cursor < end:
        step = min(cursor + _SCAN_STEP, end)
        if _offset(step, zone) != offset:
            low, high = cursor, step
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(middle, zone) == offset else (low, middle)
            after = _offset(high, zone)
            shifts.append(_Shift(at=high.replace(microsecond=0), before=offset, after=after))
            offset = after
        cursor = step
    return tuple(shifts)


def _offset(moment: datetime, zone: ZoneInfo) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, the day clamped to the month's length (Jan 31 + 1 = Feb 28)."""
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    next_first = date(year + month // 12, month % 12 + 1, 1)
    return moment.replace(year=year, month=month, day=min(moment.day, (next_first - timedelta(days=1)).day))


def _yearly_rule(days: list[date]) -> str | None:
    """The rule a list of yearly shift dates follows, e.g. "last Sunday of March", or None if unclear."""
    if len({d.month for d in days}) != 1:
        return None
    month = _MONTHS[days[0].month]
    if len({d.weekday() for d in days}) == 1:
        weekday = _WEEKDAYS[days[0].weekday()]
        if all((d + timedelta(days=7)).month != d.month for d in days):
            return f"last {weekday} of {month}"
        nth = {(d.day - 1) // 7 for d in days}
        if len(nth) == 1:
            return f"{_ORDINALS[nth.pop()]} {weekday} of {month}"
    if len({d.day for d in days}) == 1:
        return f"{month} {days[0].day}"
    return None


def _hm(wall: datetime) -> str:
    return wall.strftime("%H:%M")


def _runs(walls: list[datetime]) -> str:
    return f"{len(walls)} runs from {_hm(walls[0])} to {_hm(walls[-1])}"
