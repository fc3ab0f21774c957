"""Every shipped schedule and alias, checked by aws-croniter (which knows AWS's cron dialect), and our next
run times compared with its, across DST changes."""

from __future__ import annotations

import runpy
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

try:
    from aws_croniter import AwsCroniter
except ImportError as missing:  # pragma: no cover - the message is the point
    raise ImportError(f"{missing}: run `pip install -e '.[test]'`") from missing

import plan
from components.model.schedule import ALIASES, parse_schedule

REPO = Path(__file__).resolve().parents[2]


def _module_schedules() -> dict[str, str]:
    """Each shipped job module's own schedule (before any stack override)."""
    schedules = {}
    for path in sorted((REPO / "jobs").glob("*.py")):
        job = runpy.run_path(str(path))["job"]
        if job.schedule is not None:
            schedules[f"jobs/{path.name}"] = job.schedule
    return schedules


SCHEDULES = {
    **_module_schedules(),
    **{
        f"Pulumi.dev.yaml:{job.name}": job.spec.schedule
        for job in plan.load("dev").jobs
        if job.spec.schedule is not None
    },
    **{f"alias {alias}": alias for alias in ALIASES},
}


@pytest.mark.parametrize("where", sorted(SCHEDULES))
def test_schedule_is_accepted_by_aws_croniter(where: str) -> None:
    schedule = parse_schedule(SCHEDULES[where])
    if schedule.rate_seconds is not None:
        assert schedule.rate_seconds and schedule.rate_seconds > 0
        return
    AwsCroniter(schedule.cron_fields)  # raises on what AWS would refuse


def test_aws_croniter_refuses_what_aws_refuses() -> None:
    with pytest.raises(Exception, match="question mark"):
        AwsCroniter("0 6 * * * *")  # day-of-month and day-of-week both '*'


def test_utc_next_runs_agree_with_aws_croniter() -> None:
    after = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)
    schedule = parse_schedule("cron(15 */6 ? * MON-FRI *)")
    ours = schedule.next_runs("UTC", 6, after)
    assert ours == AwsCroniter("15 */6 ? * MON-FRI *").get_next(after, 6)
    assert [run.strftime("%a %d %H:%M") for run in ours] == [
        "Fri 28 12:15",
        "Fri 28 18:15",
        "Mon 31 00:15",
        "Mon 31 06:15",
        "Mon 31 12:15",
        "Mon 31 18:15",
    ]


BERLIN = ZoneInfo("Europe/Berlin")


def test_berlin_schedule_keeps_its_wall_clock_time_across_spring_forward() -> None:
    # Europe/Berlin goes from CET (+01:00) to CEST (+02:00) at 02:00 on Sunday 30 March 2025.
    runs = parse_schedule("cron(0 6 * * ? *)").next_runs("Europe/Berlin", 3, datetime(2025, 3, 28, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).isoformat() for run in runs] == [
        "2025-03-29T06:00:00+01:00",
        "2025-03-30T06:00:00+02:00",
        "2025-03-31T06:00:00+02:00",
    ]
    assert [run.astimezone(UTC).strftime("%d %H:%M") for run in runs] == ["29 05:00", "30 04:00", "31 04:00"]


def test_berlin_schedule_keeps_its_wall_clock_time_across_fall_back() -> None:
    # CEST back to CET at 03:00 on Sunday 26 October 2025.
    runs = parse_schedule("cron(0 6 * * ? *)").next_runs("Europe/Berlin", 2, datetime(2025, 10, 24, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).isoformat() for run in runs] == [
        "2025-10-25T06:00:00+02:00",
        "2025-10-26T06:00:00+01:00",
    ]
    assert [run.astimezone(UTC).strftime("%d %H:%M") for run in runs] == ["25 04:00", "26 05:00"]


def test_berlin_schedule_in_the_repeated_hour_runs_once_on_fall_back_day() -> None:
    # 02:30 happens twice on 26 October 2025; EventBridge Scheduler runs such a schedule once.
    runs = parse_schedule("cron(30 2 * * ? *)").next_runs("Europe/Berlin", 3, datetime(2025, 10, 24, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).strftime("%d %H:%M") for run in runs] == ["25 02:30", "26 02:30", "27 02:30"]


def test_berlin_schedule_in_the_skipped_hour_does_not_run_on_spring_forward_day() -> None:
    runs = parse_schedule("cron(30 2 * * ? *)").next_runs("Europe/Berlin", 3, datetime(2025, 3, 28, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).isoformat() for run in runs] == [
        "2025-03-29T02:30:00+01:00",
        "2025-03-31T02:30:00+02:00",
        "2025-04-01T02:30:00+02:00",
    ]
