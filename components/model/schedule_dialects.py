"""Schedules as other tools write them, read into EventBridge Scheduler's own syntax.

- Copilot's `@every <duration>` (AWS Copilot manifest reference, scheduled job, `on.schedule`: "@every 10m",
  a Go duration): the rate of that interval.
- The five-field cron of crontab and Kubernetes (`*/15 * * * *`: minute hour day-of-month month day-of-week, with
  day-of-week 0-7 where 0 and 7 are Sunday): EventBridge Scheduler's cron has six fields, a year, day-of-week 1-7
  from SUN, and '?' in one of the two day fields ("Cron-based schedules", Scheduler user guide). Its translation is
  offered in the error rather than deployed silently, since crontab reads a day-of-month and a day-of-week given
  together as either (crontab(5)) and AWS has no such form."""

from __future__ import annotations

import re

_EVERY = re.compile(r"@every\s+(?P<duration>\S+)")
_GO_DURATION = re.compile(r"((?P<h>\d+)h)?((?P<m>\d+)m)?((?P<s>\d+)s)?")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def every_as_rate(text: str) -> str | None:
    """`@every 15m` -> "rate(15 minutes)"; None if `text` is no @every; ValueError for a duration that is not
    a whole number of minutes from 1."""
    match = _EVERY.fullmatch(text)
    if match is None:
        return None
    duration = _GO_DURATION.fullmatch(match["duration"])
    if duration is None or not any(duration.groupdict().values()):
        raise ValueError(f"{text!r}: write the interval as Copilot does, e.g. @every 15m, @every 1h, @every 6h")
    seconds = sum(int(duration[unit] or 0) * size for unit, size in (("h", 3600), ("m", 60), ("s", 1)))
    if seconds < 60 or seconds % 60:
        raise ValueError(f"{text!r}: EventBridge Scheduler's interval is whole minutes from 1; e.g. @every 15m")
    minutes = seconds // 60
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            count = minutes // size
            return f"rate({count} {unit}{'' if count == 1 else 's'})"
    raise AssertionError("unreachable")  # pragma: no cover


def five_field_translation(fields: list[str]) -> str | None:
    """The AWS cron of a five-field crontab expression, or None where AWS has no equivalent (both day fields
    restricted: crontab runs on either)."""
    minute, hour, dom, month, dow = fields
    if dom not in ("*", "?") and dow not in ("*", "?"):
        return None
    if dow in ("*", "?"):
        return f"cron({minute} {hour} {'*' if dom == '?' else dom} {month} ? *)"
    days = _aws_days(dow)
    return None if days is None else f"cron({minute} {hour} ? {month} {days} *)"


def _aws_days(dow: str) -> str | None:
    """crontab's day-of-week (0-7, 0 and 7 Sunday) as AWS's, by name so it reads the same in both; None where a
    step or an unknown form makes a translation a guess."""
    items = []
    for item in dow.split(","):
        if "/" in item:
            return None
        start, dash, end = item.partition("-")
        names = [_name(start), _name(end) if dash else None]
        if names[0] is None or (dash and names[1] is None):
            return None
        if not dash:
            items.append(names[0])
        elif _DAY_NAMES.index(str(names[0])) <= _last_index(end):
            first, last = _DAY_NAMES.index(str(names[0])), _last_index(end)
            # A range to 7 (Sunday) ends the week: SAT and SUN written apart, as AWS counts SUN first.
            items.append(f"{names[0]}-SAT,SUN" if last == 7 and first <= 6 else f"{names[0]}-{names[1]}")
        else:
            return None
    return ",".join(items)


def _name(text: str) -> str | None:
    if text.isdigit() and int(text) <= 7:
        return _DAY_NAMES[int(text)]
    return text.upper() if text.upper() in _DAY_NAMES else None


def _last_index(text: str) -> int:
    return int(text) if text.isdigit() else _DAY_NAMES.index(text.upper())
