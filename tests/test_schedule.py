"""Schedule expressions as EventBridge Scheduler gets them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from components.schedule import parse_schedule


@pytest.mark.parametrize(
    ("written", "deployed"),
    [
        ("@hourly", "cron(0 * * * ? *)"),
        ("@daily", "cron(0 0 * * ? *)"),
        ("@weekly", "cron(0 0 ? * SUN *)"),
        ("@monthly", "cron(0 0 1 * ? *)"),
        ("@yearly", "cron(0 0 1 1 ? *)"),
        ("cron(0  6 * * ? *)", "cron(0 6 * * ? *)"),
        ("rate(1 minute)", "rate(1 minute)"),
        ("rate(15 minutes)", "rate(15 minutes)"),
        ("rate(2 days)", "rate(2 days)"),
    ],
)
def test_schedule_is_deployed_as_the_aws_expression(written: str, deployed: str) -> None:
    assert parse_schedule(written).expression == deployed


def test_rate_knows_its_interval_and_cron_does_not() -> None:
    assert parse_schedule("rate(6 hours)").rate_seconds == 6 * 3600
    assert parse_schedule("@daily").rate_seconds is None


def test_next_runs_are_in_the_jobs_time_zone() -> None:
    after = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    runs = parse_schedule("cron(0 6 * * ? *)").next_runs("Europe/Berlin", 2, after)
    assert [r.isoformat() for r in runs] == ["2026-11-26T06:00:00+01:00", "2026-11-27T06:00:00+01:00"]


def test_plain_words_for_the_plan_table() -> None:
    assert parse_schedule("rate(1 hour)").describe() == "every 1 hour"
    assert parse_schedule("cron(30 7 ? * MON *)").describe() == "at 07:30 on MON"
    assert parse_schedule("cron(0 3 1 * ? *)").describe() == "at 03:00 on day 1 of the month"
