"""Schedules AWS documents that the cron library alone gets wrong, and the ones that never fire (issue 13,
kinds 7 and 18): the deployed expression and the next runs, worked out by hand from the calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from components.model.schedule import iana_zone_names, never_runs_reason, parse_schedule

# 2026-11-25 is a Wednesday; 2028-01-01 a Saturday; 1 February 2036, 2064 and 2092 are Fridays of leap years.
AFTER = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # EventBridge Scheduler User Guide, "Schedule types", cron-based schedules: the year field allows , - * /
        ("cron(0 6 ? * * 2028/2)", AFTER, ["2028-01-01 06:00", "2028-01-02 06:00", "2028-01-03 06:00"]),
        (
            "cron(0 6 ? * * 2028/2)",
            datetime(2028, 12, 31, 12, tzinfo=UTC),
            ["2030-01-01 06:00", "2030-01-02 06:00", "2030-01-03 06:00"],
        ),
        # */2 counts from 1970, the field's first year: the even years.
        (
            "cron(0 6 ? * * */2)",
            datetime(2026, 12, 31, 12, tzinfo=UTC),
            ["2028-01-01 06:00", "2028-01-02 06:00", "2028-01-03 06:00"],
        ),
        ("cron(0 6 1 1 ? 2026-2034/4)", AFTER, ["2030-01-01 06:00", "2034-01-01 06:00"]),
        ("cron(0 6 1 1 ? 2027,2030/10)", AFTER, ["2027-01-01 06:00", "2030-01-01 06:00", "2040-01-01 06:00"]),
        # Decades apart: past the ten look-ahead steps after which aws-croniter alone gives up.
        ("cron(0 0 ? 2 6#5 *)", AFTER, ["2036-02-29 00:00", "2064-02-29 00:00", "2092-02-29 00:00"]),
        ("cron(0 0 29 2 ? 2027-2028)", AFTER, ["2028-02-29 00:00"]),
    ],
)
def test_next_runs_of_schedules_the_library_alone_refuses_or_misses(
    expression: str, after: datetime, expected: list[str]
) -> None:
    schedule = parse_schedule(expression)
    assert schedule.expression == expression  # deployed as written: the steps are AWS's, not expanded
    runs = schedule.next_runs("UTC", 3, after)
    assert [run.strftime("%Y-%m-%d %H:%M") for run in runs] == expected


def test_a_year_step_is_read_on_the_jobs_wall_clock() -> None:
    runs = parse_schedule("cron(30 0 1 1 ? 2028/2)").next_runs("Europe/Berlin", 2, AFTER)
    assert [run.isoformat() for run in runs] == ["2028-01-01T00:30:00+01:00", "2030-01-01T00:30:00+01:00"]


def test_a_schedule_whose_last_run_has_passed_never_runs_again() -> None:
    once = parse_schedule("cron(0 0 1 1 ? 2026)")
    assert never_runs_reason(once, "UTC", datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) is None
    assert never_runs_reason(once, "UTC", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == (
        "cron(0 0 1 1 ? 2026) never runs again: every time it names is before now (2026-01-01 00:00 UTC); "
        "allowed: a schedule with a run to come, e.g. year '*' or a year from 2026 to 2199"
    )
    # At 23:30 UTC on 31 December it is already 2026 in Berlin, past the run at midnight there.
    assert never_runs_reason(once, "Europe/Berlin", datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) is not None


def test_a_rate_always_has_runs_to_come() -> None:
    assert never_runs_reason(parse_schedule("rate(5 minutes)"), "UTC", datetime(2199, 12, 31, tzinfo=UTC)) is None


def test_the_time_zone_list_has_iana_names_only() -> None:
    names = iana_zone_names()
    assert {"Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires"} <= names
    assert not {"localtime", "Factory", "posixrules"} & names
    assert not [name for name in names if name.startswith(("posix/", "right/"))]
