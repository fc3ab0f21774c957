"""How jobctl speaks: JSON in one versioned envelope, notes on stderr, and for a person on a terminal, times in
the job's time zone with their age, colour, and tables that fit the window."""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Every --json document carries this; a key is only ever added within a version, never renamed or removed.
SCHEMA = "jobctl/v1"

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "dim": "2"}
_OUTCOME_COLOURS = {
    "succeeded": "green",
    "ok": "green",
    "failed": "red",
    "timed out": "red",
    "aborted": "red",
    "failed, redrive pending": "red",
    "running": "yellow",
    "skipped (already running)": "yellow",
}


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def terminal_width() -> int | None:
    """The window's width when stdout is a terminal (COLUMNS wins, as shutil reads it); None when piped."""
    return shutil.get_terminal_size().columns if stdout_is_terminal() else None


def colour_on() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org)."""
    return stdout_is_terminal() and not os.environ.get("NO_COLOR")


def paint(text: str, colour: str | None) -> str:
    if colour is None or not colour_on():
        return text
    return f"\033[{_COLOURS[colour]}m{text}\033[0m"


def outcome_colour(label: str) -> str | None:
    """A skip by any reason is yellow; a timeout or a container's exit in words red."""
    if label.startswith("skipped ("):
        return "yellow"
    if label.startswith(("timed out", "exited ")):
        return "red"
    return _OUTCOME_COLOURS.get(label)


def print_json(command: str, body: dict[str, Any]) -> None:
    print(json.dumps({"schema": SCHEMA, "command": command, **body}, indent=2, sort_keys=True))


def note(text: str) -> None:
    """Progress, warnings and prompts go to stderr, so stdout stays the result (and valid JSON with --json)."""
    print(text, file=sys.stderr, flush=True)


def zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_label(tz: tzinfo) -> str:
    return "UTC" if tz is UTC else str(tz)


def at(moment: datetime | None, tz: tzinfo) -> str:
    """`2026-11-25 09:09:45` on the wall clock of `tz`; `-` for no time."""
    return "-" if moment is None else f"{moment.astimezone(tz):%Y-%m-%d %H:%M:%S}"


def age(moment: datetime | None, now: datetime) -> str:
    """How long ago (or from now): `45s ago`, `3h ago`, `2d ago`, `in 5m`."""
    if moment is None:
        return "-"
    seconds = int((now - moment).total_seconds())
    ahead, seconds = seconds < 0, abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            amount = f"{seconds // size}{unit}"
            break
    else:
        amount = f"{seconds}s"
    return f"in {amount}" if ahead else f"{amount} ago"


def one_line(text: str | None) -> str:
    """A multi-line cause (a stack trace, JSON) on one line: its lines joined with ' | '."""
    if not text:
        return ""
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())
