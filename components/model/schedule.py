"""Job schedules: AWS cron/rate expressions and friendly aliases, validated as AWS would, with next runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from aws_croniter import AwsCroniter
from aws_croniter import exceptions as cron_errors

from components.model.rate_slots import EXACT_INTERVALS, SLOTS_TIMEZONE, nearest_exact, rate_cron, rate_text
from components.model.schedule_dialects import every_as_rate, five_field_translation
from components.model.schedule_words import describe_cron, describe_rate

ALIASES: dict[str, str] = {
    "@hourly": "cron(0 * * * ? *)",
    "@daily": "cron(0 0 * * ? *)",
    "@weekly": "cron(0 0 ? * SUN *)",
    "@monthly": "cron(0 0 1 * ? *)",
    "@yearly": "cron(0 0 1 1 ? *)",
    "@annually": "cron(0 0 1 1 ? *)",
}

_RATE = re.compile(r"rate\((?P<count>\S+)\s+(?P<unit>\S+)\)")
_RATE_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_CRON = re.compile(r"cron\((?P<fields>.*)\)")
# Source: EventBridge Scheduler User Guide, "Cron-based schedules" (field, values, wildcards).
_CRON_FIELDS: tuple[tuple[str, int, int, str], ...] = (
    ("minutes", 0, 59, "0-59 with , - * /"),
    ("hours", 0, 23, "0-23 with , - * /"),
    ("day-of-month", 1, 31, "1-31 with , - * ? / L W"),
    ("month", 1, 12, "1-12 or JAN-DEC with , - * /"),
    ("day-of-week", 1, 7, "1-7 or SUN-SAT with , - * ? L #"),
    ("year", 1970, 2199, "1970-2199 with , - * /"),
)
_FIELD_ERRORS = (
    cron_errors.AwsCroniterExpressionMinuteError,
    cron_errors.AwsCroniterExpressionHourError,
    cron_errors.AwsCroniterExpressionDayOfMonthError,
    cron_errors.AwsCroniterExpressionMonthError,
    cron_errors.AwsCroniterExpressionDayOfWeekError,
    cron_errors.AwsCroniterExpressionYearError,
)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_NAMES = {"month": _MONTHS, "day-of-week": _DAYS}
_YEARS = (1970, 2199)
# Names zoneinfo can open on some machines that are no IANA zone names: the machine's own zone, tzcode's
# placeholder, and the POSIX-TZ and leap-second copies of the database under posix/ and right/.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_ZONE_PREFIXES = ("posix/", "right/")


@dataclass(frozen=True)
class Schedule:
    """A validated schedule: the exact expression EventBridge Scheduler gets, and what it means.

    A rate as parsed keeps `rate(...)` until `for_job` gives it its cron (components/model/rate_slots.py); the
    job's schedule (`Job.parsed_schedule`) is always a cron, whose slots are known offline."""

    expression: str
    rate_seconds: int | None = None  # the interval of a schedule written as rate(...); None for a cron
    written: str | None = None  # what the job's module wrote, where it differs from `expression`
    timezone: str | None = None  # the zone the expression is evaluated in, where the job's own zone is not used

    @property
    def cron_fields(self) -> str:
        return self.expression[len("cron(") : -1]

    @property
    def slots_known(self) -> bool:
        """Whether the expression is a cron, whose instants do not depend on when the schedule was created."""
        return self.expression.startswith("cron(")

    def for_job(self, job_name: str) -> Schedule:
        """The schedule the job deploys: a rate becomes its cron at the job's phase, in UTC; a cron is itself."""
        if self.rate_seconds is None or self.slots_known:
            return self
        cron = f"cron({rate_cron(self.rate_seconds // 60, job_name)})"
        return Schedule(cron, self.rate_seconds, written=self.expression, timezone=SLOTS_TIMEZONE)

    def zone(self, job_timezone: str) -> str:
        """The time zone EventBridge Scheduler evaluates this schedule in for a job in `job_timezone`."""
        return self.timezone or job_timezone

    def next_runs(self, tz: str, count: int, after: datetime) -> list[datetime]:
        """The next `count` run times after `after`, in the schedule's zone (`tz`, the job's, unless the
        schedule fixes its own); none for a rate not yet given its cron (`for_job`)."""
        if not self.slots_known:
            return []
        zone = ZoneInfo(self.zone(tz))
        # aws-croniter works on UTC-tagged datetimes; AWS evaluates the fields on the wall clock of
        # the schedule's time zone, so feed it local wall time and re-attach the zone afterwards.
        local = after.astimezone(zone).replace(tzinfo=UTC)
        cron = cron_engine(self.cron_fields)
        runs: list[datetime] = []
        while len(runs) < count and (found := next_wall_time(cron, self.cron_fields, local)) is not None:
            local = found
            zoned = found.replace(tzinfo=zone)
            # A wall-clock time that DST skips does not exist; EventBridge Scheduler skips that run.
            if zoned.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == found.replace(tzinfo=None):
                runs.append(zoned)
        return runs

    def describe(self) -> str:
        """A short plain-words reading of the schedule for tables."""
        if self.rate_seconds is not None:
            return describe_rate(self.rate_seconds)
        return describe_cron(self.cron_fields)

    def shown(self) -> str:
        """The expression as the plan shows it: "rate(15 minutes) as cron(7/15 * * * ? *) in UTC" for a rate."""
        if self.written is None:
            return self.expression
        return f"{self.written} as {self.expression} in {self.timezone}"


def parse_schedule(text: str) -> Schedule:
    """Validate `text` as AWS would and return the expression to deploy; raises ValueError saying why."""
    text = text.strip()
    if text.startswith("@"):
        every = every_as_rate(text)
        if every is None and text not in ALIASES:
            raise ValueError(f"unknown alias {text!r}; known aliases: {', '.join(ALIASES)}, @every 15m")
        text = every or ALIASES[text]
    if text.startswith("rate("):
        return _parse_rate(text)
    match = _CRON.fullmatch(text)
    if match is None:
        if len(text.split()) == 5:
            raise ValueError(_five_fields(text.split(), text))
        raise ValueError(
            f"{text!r} is not a schedule: use 'cron(m h dom mon dow year)', 'rate(N unit)' "
            f"or one of {', '.join(ALIASES)}, @every 15m"
        )
    fields = match["fields"].strip()
    count = len(fields.split())
    if count == 5:
        raise ValueError(_five_fields(fields.split(), f"cron({fields})"))
    if count != 6:
        raise ValueError(
            f"cron({fields}) has {count} fields; AWS cron needs 6 (minutes hours day-of-month month "
            "day-of-week year), e.g. cron(0 6 * * ? *)"
        )
    fields = " ".join(fields.split())
    parts = fields.split(" ")
    dom, dow = parts[2], parts[4]
    if (dom == "?") == (dow == "?"):
        raise ValueError(
            f"cron({fields}): AWS needs '?' in exactly one of day-of-month ({dom!r}) and day-of-week ({dow!r}), "
            f"e.g. cron({' '.join(parts[:2])} {dom if dom != '?' else '*'} {parts[3]} ? {parts[5]}) "
            f"or cron({' '.join(parts[:2])} ? {parts[3]} {dow if dow != '?' else 'MON'} {parts[5]})"
        )
    for part, (label, low, high, _) in zip(parts, _CRON_FIELDS, strict=True):
        _check_steps_and_ranges(fields, part, label, low, high)
    if dom.upper() == "LW":
        # EventBridge Scheduler User Guide, "Schedule types", cron-based schedules: L in day-of-month is "the last
        # day of the month" and nW "the weekday closest to" day n; L and W together are not documented.
        raise ValueError(
            f"cron({fields}): day-of-month: 'LW' is not allowed: AWS documents L (the last day of the month) and "
            f"nW (the weekday nearest day n), not LW; allowed: {_CRON_FIELDS[2][3]}"
        )
    try:
        cron_engine(fields)
    except _FieldValueError as error:
        label, allowed = _CRON_FIELDS[error.index][0], _CRON_FIELDS[error.index][3]
        given = parts[error.index]
        raise ValueError(f"cron({fields}): {label}: {given!r} is not allowed; allowed: {allowed}") from None
    except ValueError:
        raise ValueError(
            f"cron({fields}) is not an AWS cron expression this tool can read: give minutes hours day-of-month "
            "month day-of-week year, each as the EventBridge Scheduler User Guide allows, e.g. cron(0 6 * * ? *)"
        ) from None
    return Schedule(expression=f"cron({fields})")


class _FieldValueError(ValueError):
    """aws-croniter refused one field (index into _CRON_FIELDS)."""

    def __init__(self, index: int) -> None:
        super().__init__(_CRON_FIELDS[index][0])
        self.index = index


@cache
def cron_engine(fields: str) -> AwsCroniter:
    """aws-croniter for validated AWS cron `fields`, with steps in the year field written out (see
    `_expand_year_steps`). Any error of the library's becomes a ValueError of ours: a `_FieldValueError` naming
    the field it refused, or a plain one without the library's words."""
    parts = fields.split(" ")
    try:
        year = _expand_year_steps(parts[5])
    except ValueError:
        raise _FieldValueError(5) from None
    try:
        return AwsCroniter(" ".join([*parts[:5], year]))
    except _FIELD_ERRORS as error:  # one class per field
        raise _FieldValueError(_FIELD_ERRORS.index(type(error))) from None
    except Exception:  # e.g. int('L') from inside its parser: never the user's message
        raise ValueError(f"aws-croniter cannot read {fields!r}") from None


def _expand_year_steps(year: str) -> str:
    """The year field with each stepped item (`2028/2`, `*/2`, `2026-2040/5`) written out as a list of years.

    EventBridge Scheduler User Guide, "Schedule types", cron-based schedules: the year field (1970-2199) allows
    the wildcards `, - * /`. aws-croniter 2.1.1 refuses `/` there (its year pattern wants a year after the
    slash, not a step), so the steps are expanded here before it sees them; the deployed expression keeps them."""
    if "/" not in year:
        return year
    low, high = _YEARS
    years: set[int] = set()
    for item in year.split(","):
        base, slash, step = item.partition("/")
        start, dash, end = base.partition("-")
        if base == "*":
            first, last = low, high
        elif start.isdigit() and (not dash or end.isdigit()):
            # A plain year is itself; a year before a step starts a run to the field's last year.
            first, last = int(start), int(end) if dash else (high if slash else int(start))
        else:
            raise ValueError(item)
        if slash and not step.isdigit():
            raise ValueError(item)
        if not (low <= first <= last <= high) or (slash and int(step) == 0):
            raise ValueError(item)
        years.update(range(first, last + 1, int(step) if slash else 1))
    return ",".join(map(str, sorted(years)))


def next_wall_time(cron: AwsCroniter, fields: str, after: datetime) -> datetime | None:
    """The cron's first wall-clock time after `after` (UTC-tagged wall time), or None if it has none.

    aws-croniter gives up after ten look-ahead steps (`Occurrence.__find_once`), e.g. on the fifth Friday of
    February, which may be years away; so where it finds nothing, ask again from each later month the cron's
    month and year fields allow."""
    try:
        found: datetime | None = cron.get_next(after, 1)[0]
        if found is not None:
            return found
        for year in (y for y in cron.years if y >= after.year):
            for month in cron.months:
                start = datetime(year, month, 1, tzinfo=UTC)
                if start > after:
                    found = cron.get_next(start - timedelta(minutes=1), 1)[0]
                    if found is not None:
                        return found
    except Exception:  # a library's internal error must not reach the user as it is
        raise ValueError(f"cron({fields}): next runs cannot be worked out") from None
    return None


def never_runs_reason(schedule: Schedule, tz: str, now: datetime) -> str | None:
    """Why a cron schedule has no run after `now` in time zone `tz` (it never fires again), or None if it has one
    (a rate always has)."""
    if schedule.rate_seconds is not None:
        return None
    fields = schedule.cron_fields
    cron = cron_engine(fields)
    local = now.astimezone(ZoneInfo(tz)).replace(tzinfo=UTC)
    if next_wall_time(cron, fields, local) is not None:
        return None
    dom, month, dow, year = fields.split(" ")[2:]
    if next_wall_time(cron, fields, datetime(_YEARS[0], 1, 1, tzinfo=UTC) - timedelta(minutes=1)) is not None:
        return (
            f"{schedule.expression} never runs again: every time it names is before now ({local:%Y-%m-%d %H:%M} "
            f"{tz}); allowed: a schedule with a run to come, e.g. year '*' or a year from {local.year} to {_YEARS[1]}"
        )
    days = f"day-of-month {dom!r}" if dow == "?" else f"day-of-week {dow!r}"
    return (
        f"{schedule.expression} never runs: no date in the calendar has {days} in month {month!r} (year {year!r}); "
        "allowed: dates that exist, e.g. day-of-month L for the last day of the month"
    )


def _number(text: str, label: str) -> int | None:
    """The number a cron value stands for (names of months and days included), or None if unclear."""
    names = _NAMES.get(label, ())
    if text.upper() in names:
        return names.index(text.upper()) + 1
    return int(text) if text.isdigit() else None


def _allowed(label: str) -> str:
    return next(allowed for name, _, _, allowed in _CRON_FIELDS if name == label)


def _check_steps_and_ranges(fields: str, part: str, label: str, low: int, high: int) -> None:
    """Reject zero steps and backward ranges (`22-2`): AWS documents ranges only from low to high, and
    a wrapping range is read differently by different cron dialects, so the explicit form is asked for."""
    # Each item of a list on its own, so the message names the one that is wrong (a step is no value).
    outside = [
        item
        for item in part.split(",")
        if any(
            (n := _number(value, label)) is not None and not low <= n <= high
            for value in item.partition("/")[0].split("-")
        )
    ]
    if outside:
        listed = ", ".join(repr(item) for item in outside)
        raise ValueError(
            f"cron({fields}): {label}: {listed} {'is' if len(outside) == 1 else 'are'} outside {low}-{high}; "
            f"allowed: {_allowed(label)}"
        )
    for item in part.split(","):
        base, _, step = item.partition("/")
        if step.isdigit() and int(step) == 0:
            raise ValueError(f"cron({fields}): {label}: step 0 in {item!r}; a step is a whole number from 1")
        start, dash, end = base.partition("-")
        first, last = _number(start, label), _number(end, label)
        if dash and first is not None and last is not None and first > last and low <= last and first <= high:
            names = _NAMES.get(label, ())
            top, bottom = (names[-1], names[0]) if start.upper() in names else (high, low)
            split = f"{start}-{top},{bottom}-{end}" if label != "year" else f"{end}-{start}"
            raise ValueError(
                f"cron({fields}): {label}: the range {base!r} runs backwards; AWS documents ranges only from "
                f"low to high: write {split}"
            )


def _five_fields(fields: list[str], text: str) -> str:
    """The error for a five-field crontab expression, with its AWS form where there is one."""
    aws = five_field_translation(fields)
    every = _every_minutes(fields)
    offer = f"write {aws}" if aws else "AWS cron cannot say 'this day of the month or this weekday': write two jobs"
    if every:
        offer += f" (or {every})"
    return (
        f"{text!r} is a five-field crontab expression; AWS cron has six fields (minutes hours day-of-month month "
        f"day-of-week year), day-of-week 1-7 from SUN, and '?' in one day field: {offer}"
    )


def _every_minutes(fields: list[str]) -> str | None:
    """`*/N * * * *` reads as rate(N minutes) too."""
    minute, *rest = fields
    if rest == ["*", "*", "*", "*"] and minute.startswith("*/") and minute[2:].isdigit() and int(minute[2:]) > 0:
        count = int(minute[2:])
        return f"rate({count} minute{'' if count == 1 else 's'})"
    return None


def _parse_rate(text: str) -> Schedule:
    """A rate whose interval one cron repeats exactly (components/model/rate_slots.py), else a ValueError with the
    nearest that do.

    The unit may be singular or plural whatever the count: EventBridge Scheduler's user guide ("Schedule types",
    rate-based) lists `minutes | hours | days` and its API reference (CreateSchedule, ScheduleExpression) `minute |
    minutes | hour | hours | day | days`, without the singular-for-1 rule of the EventBridge *rules* reference; and
    the text never reaches AWS as it is: the job deploys the rate's cron (`Schedule.for_job`)."""
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate: write e.g. rate(5 minutes), rate(1 hour)")
    count_text, unit = match["count"], match["unit"]
    if not count_text.isdigit() or int(count_text) <= 0:
        raise ValueError(f"{text!r}: the count must be a whole number from 1, e.g. rate(5 minutes)")
    count = int(count_text)
    singular = unit.removesuffix("s")
    if singular not in _RATE_UNIT_SECONDS:
        raise ValueError(f"{text!r}: unit must be minute(s), hour(s) or day(s), got {unit!r}")
    seconds = count * _RATE_UNIT_SECONDS[singular]
    minutes = seconds // 60
    if minutes not in EXACT_INTERVALS:
        nearest = " or ".join(rate_text(i) for i in nearest_exact(minutes))
        raise ValueError(
            f"{text!r}: a rate's slots start when EventBridge Scheduler creates or updates the schedule, so its slot "
            "watch could never agree with it; this program deploys a rate as the cron of the same interval, and "
            f"no cron repeats every {describe_rate(seconds).removeprefix('every ')} exactly; allowed: an interval "
            f"that divides an hour or a day, or a week (nearest: {nearest}), or a cron of the times you want, "
            "e.g. cron(0 */6 * * ? *)"
        )
    return Schedule(expression=rate_text(minutes), rate_seconds=seconds)


@cache
def iana_zone_names() -> frozenset[str]:
    """The IANA time zone names: the tzdata package's list where it is installed (the same on every machine),
    else this machine's zoneinfo files less those that are no zone names (posix/, right/, localtime, Factory)."""
    try:
        listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    except (ModuleNotFoundError, FileNotFoundError):
        listed = list(available_timezones())
    return frozenset(name for name in listed if name not in _NOT_ZONES and not name.startswith(_NOT_ZONE_PREFIXES))


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone name that zoneinfo can open; raises ValueError otherwise."""
    message = f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'"
    if name not in iana_zone_names():
        raise ValueError(message)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(message) from None
    return name
