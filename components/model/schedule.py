"""Job schedules: AWS cron/rate expressions and friendly aliases, validated as AWS would, with next runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_croniter import AwsCroniter
from aws_croniter import exceptions as cron_errors

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


@dataclass(frozen=True)
class Schedule:
    """A validated schedule: the exact expression EventBridge Scheduler gets, and what it means."""

    expression: str
    rate_seconds: int | None = None  # set for rate(...), None for cron(...)

    @property
    def cron_fields(self) -> str:
        return self.expression[len("cron(") : -1]

    def next_runs(self, tz: str, count: int, after: datetime) -> list[datetime]:
        """The next `count` run times after `after`, in time zone `tz` (cron only: a rate's phase is
        set when the schedule is created, so it cannot be known offline)."""
        if self.rate_seconds is not None:
            return []
        zone = ZoneInfo(tz)
        # aws-croniter works on UTC-tagged datetimes; AWS evaluates the fields on the wall clock of
        # the schedule's time zone, so feed it local wall time and re-attach the zone afterwards.
        local = after.astimezone(zone).replace(tzinfo=UTC)
        runs: list[datetime] = []
        cron = AwsCroniter(self.cron_fields)
        while len(runs) < count:
            # aws-croniter pads with None past a cron's last run (e.g. one limited to some years).
            found = cron.get_next(local, count)
            batch = [run for run in found if run is not None]
            if not batch:
                break
            for run in batch:
                local = run
                zoned = run.replace(tzinfo=zone)
                # A wall-clock time that DST skips does not exist; EventBridge Scheduler skips that run.
                if zoned.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == run.replace(tzinfo=None):
                    runs.append(zoned)
            if len(batch) < len(found):
                break
        return runs[:count]

    def describe(self) -> str:
        """A short plain-words reading of the schedule for tables."""
        if self.rate_seconds is not None:
            return describe_rate(self.rate_seconds)
        return describe_cron(self.cron_fields)


def parse_schedule(text: str) -> Schedule:
    """Validate `text` as AWS would and return the expression to deploy; raises ValueError saying why."""
    text = text.strip()
    if text.startswith("@"):
        if text not in ALIASES:
            raise ValueError(f"unknown alias {text!r}; known aliases: {', '.join(ALIASES)}")
        text = ALIASES[text]
    if text.startswith("rate("):
        return _parse_rate(text)
    match = _CRON.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a schedule: use 'cron(m h dom mon dow year)', 'rate(N unit)' "
            f"or one of {', '.join(ALIASES)}"
        )
    fields = match["fields"].strip()
    count = len(fields.split())
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
    try:
        AwsCroniter(fields)
    except ValueError as error:  # aws-croniter's errors are ValueErrors, one class per field
        if type(error) in _FIELD_ERRORS:
            index = _FIELD_ERRORS.index(type(error))
            label, allowed = _CRON_FIELDS[index][0], _CRON_FIELDS[index][3]
            part = parts[index]
            raise ValueError(f"cron({fields}): {label}: {part!r} is not allowed; allowed: {allowed}") from None
        raise ValueError(f"cron({fields}) is not valid AWS cron: {error}") from None
    return Schedule(expression=f"cron({fields})")


def _number(text: str, label: str) -> int | None:
    """The number a cron value stands for (names of months and days included), or None if unclear."""
    names = _NAMES.get(label, ())
    if text.upper() in names:
        return names.index(text.upper()) + 1
    return int(text) if text.isdigit() else None


def _check_steps_and_ranges(fields: str, part: str, label: str, low: int, high: int) -> None:
    """Reject zero steps and backward ranges (`22-2`): AWS documents ranges only from low to high, and
    a wrapping range is read differently by different cron dialects, so the explicit form is asked for."""
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


def _parse_rate(text: str) -> Schedule:
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
    expected = singular if count == 1 else f"{singular}s"
    if unit != expected:
        raise ValueError(f"{text!r}: AWS wants rate({count} {expected}) (singular for 1, plural otherwise)")
    return Schedule(expression=f"rate({count} {unit})", rate_seconds=count * _RATE_UNIT_SECONDS[singular])


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone known to this machine's zoneinfo; raises ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'") from None
    return name
