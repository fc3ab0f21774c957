"""Durations as users write them in job modules ("45m", "2h", "1h30m", 90) turned into seconds."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(value: object) -> int:
    """Seconds in `value`: a whole number of seconds or a string like "45m", "2h", "1h30m", "90s"."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '45m', '2h' or a whole number of seconds")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            seconds = int(text)
        else:
            match = _DURATION.fullmatch(text)
            if not text or match is None or not any(match.groups()):
                raise ValueError(
                    f"{value!r} is not a duration: write e.g. '90s', '45m', '2h', '1h30m', '1d' "
                    "or a whole number of seconds"
                )
            seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in zip(match.groups(), "dhms", strict=True) if n)
    else:
        raise ValueError("expected a duration such as '45m', '2h' or a whole number of seconds")
    if seconds <= 0:
        raise ValueError("must be longer than zero seconds, e.g. '30m'")
    return seconds


# A pydantic field type: seconds, written as "45m", "2h", "1h30m" or a whole number of seconds.
Duration = Annotated[int, BeforeValidator(parse_duration)]


def format_duration(seconds: int) -> str:
    """The shortest "1h30m"-style text for `seconds`, for tables and descriptions."""
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
