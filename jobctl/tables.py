"""Human output: aligned text tables and one-line summaries. `--json` output never passes through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from components.model.text_table import text_table as table
from jobctl.aws import LogStream
from jobctl.runs import OUTCOME_LABELS, Lock, Run, execution_name, utc


def when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{utc(moment):%Y-%m-%d %H:%M:%S}"


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
    return OUTCOME_LABELS.get(run.outcome, run.outcome)


def lock_text(lock: Lock | None, now: datetime) -> str:
    if lock is None:
        return "free"
    holder = execution_name(lock.holder)
    if lock.state(now) == "expired":
        return f"expired (was {holder}, expired {when(lock.expires_at)} UTC)"
    return f"held by {holder} until {when(lock.expires_at)} UTC"


def status_table(rows: Sequence[tuple[str, list[Run], Lock | None]], now: datetime) -> str:
    """One line per job: its latest run, the outcomes of the runs before it, and its lock."""
    lines = []
    for job, runs, lock in rows:
        latest = runs[0] if runs else None
        earlier = ", ".join(outcome(run) for run in runs[1:]) or "-"
        lines.append(
            [
                job,
                when(latest.started_at) if latest else "never run",
                duration(latest.duration_seconds(now)) if latest else "-",
                outcome(latest) if latest else "-",
                earlier,
                lock_text(lock, now),
            ]
        )
    return table(["job", "last start (UTC)", "duration", "outcome", "earlier runs", "lock"], lines)


def runs_table(runs: Sequence[Run], now: datetime) -> str:
    """One line per run, newest first, with the error and cause of a run that did not succeed."""
    if not runs:
        return "no runs yet"
    rows = []
    for run in runs:
        problem = ": ".join(part for part in (run.error, run.cause) if part) if run.outcome != "succeeded" else ""
        rows.append([run.name, when(run.started_at), duration(run.duration_seconds(now)), outcome(run), problem])
    return table(["run", "start (UTC)", "duration", "outcome", "error"], rows)


def lock_details(job: str, lock: Lock, now: datetime) -> str:
    """Who holds the lock and since when: what an operator checks before deleting it."""
    return "\n".join(
        [
            f"lock of {job}: {lock.state(now)}",
            f"  held by      {lock.holder}",
            f"  acquired at  {lock.acquired_at}",
            f"  expires at   {when(lock.expires_at)} UTC",
        ]
    )


def log_lines(stream: LogStream) -> str:
    if stream.events is None:
        return f"no log stream {stream.name} in {stream.log_group} (the container never logged, or the logs expired)"
    if not stream.events:
        return "(no log lines)"
    return "\n".join(f"{when(event.timestamp)}  {event.message.rstrip()}" for event in stream.events)
