"""When EventBridge Scheduler fires a recurring schedule, as its user guide documents it ("Schedule types"): a cron
on the instants its fields name in its time zone; a rate without a StartDate "immediately" when the schedule is
created (or updated: UpdateSchedule replaces the whole schedule, Scheduler API reference), then every interval.
The scheduled time handed to the target is the instant it fired for, to the second of that start. moto's Scheduler
fires nothing, so tests that need two schedules' slots ask this model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from components.model.schedule import parse_schedule


def fired(expression: str, timezone: str, created: datetime, until: datetime) -> list[datetime]:
    """The instants (UTC) a schedule created (or last updated) at `created` fires for, up to `until`."""
    schedule = parse_schedule(expression)
    if schedule.slots_known:
        runs: list[datetime] = []
        while (found := schedule.next_runs(timezone, 1, runs[-1] if runs else created)) and found[0] <= until:
            runs.append(found[0])
        return [run.astimezone(UTC) for run in runs]
    assert schedule.rate_seconds is not None
    step, found, at = timedelta(seconds=schedule.rate_seconds), [], created
    while at <= until:
        found.append(at.astimezone(UTC))
        at += step
    return found
