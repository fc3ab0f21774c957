"""Job schedules: AWS cron/rate expressions and friendly aliases, validated as AWS would, with next runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_croniter import AwsCroniter

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


@dataclass(frozen=True)
class Schedule:
    """A validated schedule: the exact expression EventBridge Scheduler gets, and what it means."""

    expression: str
    kind: str  # "cron" or "rate"
    rate_seconds: int | None = None

    @property
    def cron_fields(self) -> str:
        return self.expression[len("cron(") : -1]

    def next_runs(self, tz: str, count: int, after: datetime) -> list[datetime]:
        """The next `count` run times after `after`, in time zone `tz` (cron only: a rate's phase is
        set when the schedule is created, so it cannot be known offline)."""
        if self.kind != "cron":
            return []
        zone = ZoneInfo(tz)
        # aws-croniter works on UTC-tagged datetimes; AWS evaluates the fields on the wall clock of
        # the schedule's time zone, so feed it local wall time and re-attach the zone afterwards.
        local = after.astimezone(zone).replace(tzinfo=timezone.utc)
        runs = AwsCroniter(self.cron_fields).get_next(local, count)
        return [run.replace(tzinfo=zone) for run in runs]

    def describe(self) -> str:
        """A short plain-words reading of the schedule for tables."""
        if self.kind == "rate" and self.rate_seconds is not None:
            return f"every {_plain_seconds(self.rate_seconds)}"
        minute, hour, dom, month, dow, year = self.cron_fields.split(" ")
        when = f"at {int(hour):02d}:{int(minute):02d}" if minute.isdigit() and hour.isdigit() else (
            f"minute {minute} of hour {hour}"
        )
        days = "every day"
        if dow != "?" and dow != "*":
            days = f"on {dow}"
        elif dom not in ("?", "*"):
            days = f"on day {dom} of the month"
        if month != "*":
            days += f" in month {month}"
        if year != "*":
            days += f" in {year}"
        return f"{when} {days}"


def _plain_seconds(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


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
    try:
        AwsCroniter(fields)
    except Exception as error:  # aws-croniter raises its own errors and bare ValueError
        raise ValueError(f"cron({fields}) is not valid AWS cron: {error}") from None
    return Schedule(expression=f"cron({fields})", kind="cron")


def _parse_rate(text: str) -> Schedule:
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate: write e.g. rate(5 minutes), rate(1 hour)")
    count_text, unit = match["count"], match["unit"]
    if not count_text.isdigit() or int(count_text) <= 0:
        raise ValueError(f"{text!r}: the value must be a positive whole number")
    count = int(count_text)
    singular = unit.removesuffix("s")
    if singular not in _RATE_UNIT_SECONDS:
        raise ValueError(f"{text!r}: unit must be minute(s), hour(s) or day(s), got {unit!r}")
    expected = singular if count == 1 else f"{singular}s"
    if unit != expected:
        raise ValueError(f"{text!r}: AWS wants rate({count} {expected}) (singular for 1, plural otherwise)")
    return Schedule(expression=f"rate({count} {unit})", kind="rate", rate_seconds=count * _RATE_UNIT_SECONDS[singular])


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone known to this machine's zoneinfo; raises ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'") from None
    return name

