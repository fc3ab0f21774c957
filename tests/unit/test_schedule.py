"""Schedule expressions as EventBridge Scheduler gets them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from components.model.schedule import parse_schedule
from components.model.schedule_words import describe_cron


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
        ("rate(1 hours)", "rate(1 hour)"),
        ("rate(7 days)", "rate(7 days)"),
        ("@every 15m", "rate(15 minutes)"),
        ("@every 1h", "rate(1 hour)"),
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
    assert parse_schedule("rate(1 hour)").describe() == "every hour"
    # AWS's day-of-week counts from 1 = SUN; L and W and steps in hours read as AWS means them.
    assert parse_schedule("cron(0 6 ? * 2-6 *)").describe() == "at 06:00, Monday through Friday"
    assert describe_cron("0 22 LW * ? *") == "at 22:00, on the last weekday of the month"
    assert parse_schedule("cron(0 0/2 * * ? *)").describe() == "every 2 hours"
    assert parse_schedule("cron(30 7 ? * MON *)").describe() == "at 07:30, only on Monday"
    assert parse_schedule("cron(0 3 1 * ? *)").describe() == "at 03:00, on day 1 of the month"


# Examples from the EventBridge Scheduler / EventBridge cron documentation, with the next runs worked
# out by hand from the calendar (2026-11-25 is a Wednesday; 2026-12-01 a Tuesday; 2027-01-01 a Friday).
AFTER = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "words", "after", "expected"),
    [
        ("cron(0 10 * * ? *)", "at 10:00", AFTER, ["2026-11-26 10:00", "2026-11-27 10:00"]),
        ("cron(15 12 * * ? *)", "at 12:15", AFTER, ["2026-11-25 12:15", "2026-11-26 12:15"]),
        (
            "cron(0 18 ? * MON-FRI *)",
            "at 18:00, Monday through Friday",
            datetime(2026, 11, 27, 19, 0, tzinfo=UTC),
            ["2026-11-30 18:00", "2026-12-01 18:00"],
        ),
        ("cron(0 8 1 * ? *)", "at 08:00, on day 1 of the month", AFTER, ["2026-12-01 08:00", "2027-01-01 08:00"]),
        ("cron(0/15 * * * ? *)", "every 15 minutes", AFTER, ["2026-11-25 12:15", "2026-11-25 12:30"]),
        (
            "cron(0/5 8-17 ? * MON-FRI *)",
            "every 5 minutes, between 08:00 and 17:59, Monday through Friday",
            datetime(2026, 11, 27, 17, 50, tzinfo=UTC),
            ["2026-11-27 17:55", "2026-11-30 08:00"],
        ),
        (
            "cron(0 9 ? * 2#1 *)",
            "at 09:00, on the first Monday of the month",
            AFTER,
            ["2026-12-07 09:00", "2027-01-04 09:00"],
        ),
        (
            "cron(0 0 L * ? *)",
            "at 00:00, on the last day of the month",
            AFTER,
            ["2026-11-30 00:00", "2026-12-31 00:00"],
        ),
        (
            "cron(0 0 ? * 6L *)",
            "at 00:00, on the last Friday of the month",
            AFTER,
            ["2026-11-27 00:00", "2026-12-25 00:00"],
        ),
        (
            "cron(0 6 15W * ? *)",
            "at 06:00, on the weekday nearest day 15 of the month",
            datetime(2026, 11, 1, tzinfo=UTC),
            ["2026-11-16 06:00", "2026-12-15 06:00"],
        ),
        (
            "cron(0 12 25 12 ? 2027)",
            "at 12:00, on day 25 of the month, only in December, only in 2027",
            AFTER,
            ["2027-12-25 12:00"],
        ),
    ],
)
def test_documented_aws_cron_examples_run_when_aws_says(
    expression: str, words: str, after: datetime, expected: list[str]
) -> None:
    schedule = parse_schedule(expression)
    assert schedule.describe() == words
    runs = schedule.next_runs("UTC", 2, after)
    assert [run.strftime("%Y-%m-%d %H:%M") for run in runs] == expected
