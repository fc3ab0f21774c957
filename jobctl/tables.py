"""Human output: aligned text tables that fit the terminal, and one-line summaries. `--json` never passes here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from jobctl.lock_table import JobItem
from jobctl.output import age, at, one_line, outcome_colour, paint, zone_label
from jobctl.runs import Lock, Run, execution_name

ELLIPSIS = "…"
_MIN_WIDTH = 8  # a shortened column keeps at least this many characters


@dataclass(frozen=True)
class Layout:
    """Where a table goes: the width to fit (None: no limit, as when piped or with --wide)."""

    width: int | None
    now: datetime


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    layout: Layout,
    shrink: Sequence[int] = (),
    coloured: int | None = None,
) -> str:
    """Columns two spaces apart, no trailing spaces. When the rows are wider than the layout, the columns in
    `shrink` (most expendable first) are cut, each to no less than _MIN_WIDTH, ending in '…'. The cells of
    column `coloured` are painted by their outcome (on a terminal only)."""
    cells = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(cell) for cell in column) for column in zip(*cells, strict=True)]
    if layout.width is not None:
        excess = sum(widths) + 2 * (len(widths) - 1) - layout.width
        for column in shrink:
            if excess <= 0:
                break
            floor = max(_MIN_WIDTH, len(headers[column]))
            cut = min(excess, max(0, widths[column] - floor))
            widths[column] -= cut
            excess -= cut
    lines = []
    for number, line in enumerate(cells):
        shown = [_cut(cell, width) for cell, width in zip(line, widths, strict=True)]
        padded = [cell.ljust(width) for cell, width in zip(shown, widths, strict=True)]
        if coloured is not None and number > 0:
            padded[coloured] = paint(padded[coloured], outcome_colour(shown[coloured]))
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def _cut(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: max(0, width - 1)] + ELLIPSIS


def duration(seconds: float | None) -> str:
    """`42s`, `3m05s`, `2h01m`: precise where it matters, short where it does not."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def outcome(run: Run) -> str:
    return run.label


def lock_text(lock: Lock | None, layout: Layout, tz: tzinfo) -> str:
    if lock is None:
        return "free"
    holder = execution_name(lock.holder)
    until = f"{at(lock.expires_at, tz)} {zone_label(tz)}"
    if lock.state(layout.now) == "expired":
        return f"expired (was {holder}, expired {until})"
    return f"held by {holder} until {until}"


def problem_text(run: Run) -> str:
    if run.outcome in ("succeeded", "succeeded_or_skipped", "running"):
        return ""
    return one_line(": ".join(part for part in (run.error, run.cause) if part))


def status_table(rows: Sequence[tuple[str, list[Run] | None, JobItem | None]], layout: Layout, tz: tzinfo) -> str:
    """One line per job: its latest run (with its age), the outcomes of the runs before it, and its lock. A
    job whose runs or item could not be read says so in those columns."""
    lines = []
    for job, runs, item in rows:
        latest = runs[0] if runs else None
        if runs is None:
            started, took, result, earlier = "not read", "-", "not read", "-"
        elif latest is None:
            started, took, result, earlier = "never run", "-", "-", "-"
        else:
            started = f"{at(latest.started_at, tz)} ({age(latest.started_at, layout.now)})"
            took, result = duration(latest.duration_seconds(layout.now)), outcome(latest)
            earlier = ", ".join(outcome(run) for run in runs[1:]) or "-"
        lock = "not read" if item is None else lock_text(item.lock, layout, tz)
        lines.append([job, started, took, result, earlier, lock])
    headers = ["job", f"last start ({zone_label(tz)})", "duration", "outcome", "earlier runs", "lock"]
    return table(headers, lines, layout, shrink=(4, 5, 0), coloured=3)


def runs_table(runs: Sequence[Run], layout: Layout, tz: tzinfo) -> str:
    """One line per run, newest first, with the error and cause of a run that did not succeed."""
    if not runs:
        return "no runs yet"
    rows = [
        [
            run.name,
            f"{at(run.started_at, tz)} ({age(run.started_at, layout.now)})",
            duration(run.duration_seconds(layout.now)),
            outcome(run),
            problem_text(run),
        ]
        for run in runs
    ]
    return table(["run", f"start ({zone_label(tz)})", "duration", "outcome", "error"], rows, layout, (4, 0), 3)


def run_details(run: Run, layout: Layout, tz: tzinfo) -> str:
    """One run whole: every field, the cause on as many lines as it has."""
    lines = [
        f"run          {run.name}",
        f"execution    {run.execution_arn}",
        f"outcome      {paint(outcome(run), outcome_colour(outcome(run)))}",
        f"started      {at(run.started_at, tz)} {zone_label(tz)} ({age(run.started_at, layout.now)})",
        f"stopped      {at(run.stopped_at, tz)}" + (f" {zone_label(tz)}" if run.stopped_at else ""),
        f"duration     {duration(run.duration_seconds(layout.now))}",
        f"task         {run.task_arn or '-'}",
        f"ended        {run.summary or '-'}",
        f"error        {run.error or '-'}",
    ]
    cause = (run.cause or "-").splitlines() or ["-"]
    lines.append(f"cause        {cause[0]}")
    lines.extend(f"             {line}" for line in cause[1:])
    return "\n".join(lines)


def lock_details(job: str, lock: Lock, layout: Layout, tz: tzinfo) -> str:
    """Who holds the lock and since when: what an operator checks before deleting it."""
    return "\n".join(
        [
            f"lock of {job}: {lock.state(layout.now)}",
            f"  held by      {lock.holder}",
            f"  acquired at  {lock.acquired_at}",
            f"  expires at   {at(lock.expires_at, tz)} {zone_label(tz)} ({age(lock.expires_at, layout.now)})",
        ]
    )
