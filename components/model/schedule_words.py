"""AWS schedule expressions read out in plain words, for the plan's table."""

from __future__ import annotations

import re

_DAYS = {"1": "SUN", "2": "MON", "3": "TUE", "4": "WED", "5": "THU", "6": "FRI", "7": "SAT"}
_ORDINALS = {"1": "1st", "2": "2nd", "3": "3rd", "4": "4th", "5": "5th"}


def describe_rate(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"


def _day_name(value: str) -> str:
    return re.sub(r"\b[1-7]\b", lambda m: _DAYS[m.group(0)], value)


def _time_of_day(minute: str, hour: str) -> str:
    step = re.fullmatch(r"(\*|0)/(\d+)", minute)
    if minute.isdigit() and re.fullmatch(r"\d+(,\d+)*", hour):
        return "at " + ", ".join(f"{int(h):02d}:{int(minute):02d}" for h in hour.split(","))
    if minute.isdigit() and hour == "*":
        return f"hourly at :{int(minute):02d}"
    if step and hour == "*":
        return f"every {step.group(2)} minutes"
    if step and re.fullmatch(r"\d+-\d+", hour):
        first, last = hour.split("-")
        return f"every {step.group(2)} minutes from {int(first):02d}:00 to {int(last):02d}:59"
    if minute == "*" and hour == "*":
        return "every minute"
    return f"at minute {minute} of hour {hour}"


def _days(dom: str, dow: str) -> str:
    if dow not in ("?", "*"):
        if "#" in dow:
            day, nth = dow.split("#")
            return f"on the {_ORDINALS.get(nth, nth + 'th')} {_day_name(day)} of the month"
        if dow.endswith("L"):
            return f"on the last {_day_name(dow[:-1] or '7')} of the month"
        return f"on {_day_name(dow)}"
    if dom == "L":
        return "on the last day of the month"
    if dom.endswith("W"):
        return f"on the weekday nearest day {dom[:-1]} of the month"
    if dom not in ("?", "*"):
        return f"on day {dom} of the month"
    return "every day"


def describe_cron(fields: str) -> str:
    """E.g. "0 6 ? * MON-FRI *" -> "at 06:00 on MON-FRI"."""
    minute, hour, dom, month, dow, year = fields.split(" ")
    when, days = _time_of_day(minute, hour), _days(dom, dow)
    words = when if days == "every day" and when.startswith(("every", "hourly")) else f"{when} {days}"
    if month != "*":
        words += f" in month {month}"
    if year != "*":
        words += f" in {year}"
    return words
