"""Schedules that cannot be deployed as written, each kind refused in one message of ours that names the file,
the field `schedule` (or `timezone`), the value and what is allowed; nothing registered (issue 13, kinds 7, 8, 19).

Each case runs through the pure loader and the Pulumi program under mocks (tests/support/bad_input.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import plan
from components.loading.stack import load_stack
from tests.support.bad_input import CONFIG_FILE, assert_rejected_everywhere, good, manual, problems
from tests.support.pulumi_mocks import BASE_CONFIG, Project


def with_schedule(expression: str, extra: str = "") -> str:
    return good(extra).replace("cron(0 6 * * ? *)", expression)


NEVER_AGAIN = "never runs again: every time it names is before now ("
NO_SUCH_DATE = "never runs: no date in the calendar has "
DATES_THAT_EXIST = "allowed: dates that exist, e.g. day-of-month L for the last day of the month"

NEVER_FIRES_CASES = [
    (
        "years-all-past",
        with_schedule("cron(0 6 ? * MON-FRI 2020)"),
        [
            "jobs/report.py:3: schedule: cron(0 6 ? * MON-FRI 2020) " + NEVER_AGAIN,
            " UTC); allowed: a schedule with a run to come, e.g. year '*' or a year from ",
            " to 2199 (given: 'cron(0 6 ? * MON-FRI 2020)')",
        ],
    ),
    (
        "year-range-past-in-the-jobs-zone",
        with_schedule("cron(0 0 1 1 ? 1999-2001)", ', timezone="Asia/Tokyo"'),
        ["schedule: cron(0 0 1 1 ? 1999-2001) " + NEVER_AGAIN, " Asia/Tokyo); allowed: a schedule with a run"],
    ),
    (
        "year-list-past",
        with_schedule("cron(0 6 * * ? 2019,2021)"),
        ["schedule: cron(0 6 * * ? 2019,2021) " + NEVER_AGAIN],
    ),
    (
        "year-step-past",
        with_schedule("cron(0 6 * * ? 2000-2010/5)"),
        ["schedule: cron(0 6 * * ? 2000-2010/5) " + NEVER_AGAIN],
    ),
    (
        "30-february",
        with_schedule("cron(0 0 30 2 ? *)"),
        [
            "jobs/report.py:3: schedule: cron(0 0 30 2 ? *) " + NO_SUCH_DATE + "day-of-month '30' in month '2' "
            f"(year '*'); {DATES_THAT_EXIST} (given: 'cron(0 0 30 2 ? *)')"
        ],
    ),
    (
        "31-in-30-day-months-by-name",
        with_schedule("cron(0 0 31 APR,JUN,SEP,NOV ? *)"),
        [NO_SUCH_DATE + "day-of-month '31' in month 'APR,JUN,SEP,NOV' (year '*'); " + DATES_THAT_EXIST],
    ),
    (
        "29-february-in-no-leap-year",
        with_schedule("cron(0 0 29 2 ? 2027,2029-2031)"),
        [NO_SUCH_DATE + "day-of-month '29' in month '2' (year '2027,2029-2031')"],
    ),
    (
        "fifth-monday-of-february-in-no-leap-year",
        with_schedule("cron(0 0 ? 2 2#5 2027)"),
        [NO_SUCH_DATE + "day-of-week '2#5' in month '2' (year '2027')"],
    ),
]


@pytest.mark.parametrize(
    ("source", "fragments"), [c[1:] for c in NEVER_FIRES_CASES], ids=[c[0] for c in NEVER_FIRES_CASES]
)
def test_a_schedule_that_never_fires_again_is_refused(project: Project, source: str, fragments: list[str]) -> None:
    project.add_job("report.py", source)
    assert_rejected_everywhere(project, BASE_CONFIG, fragments)


def test_a_date_that_exists_only_in_some_years_is_accepted(project: Project) -> None:
    # 29 February 2028 and the fifth Saturday of February 2048 (1 February 2048 is a Saturday) exist.
    for expression in ("cron(0 0 29 2 ? 2027-2028)", "cron(0 0 ? 2 7#5 2048)"):
        project.add_job("report.py", with_schedule(expression))
        assert problems(project, BASE_CONFIG) == []


LIBRARY_WORDS = ("invalid literal", "int()", "base 10", "aws-croniter", "Invalid day-of-month")

LW_CASES = [
    (
        "last-weekday",
        "cron(0 22 LW * ? *)",
        [
            "jobs/report.py:3: schedule: cron(0 22 LW * ? *): day-of-month: 'LW' is not allowed: AWS documents L "
            "(the last day of the month) and nW (the weekday nearest day n), not LW; allowed: 1-31 with , - * ? / L W "
            "(given: 'cron(0 22 LW * ? *)')"
        ],
    ),
    ("last-weekday-in-some-months", "cron(0 22 LW 1-6 ? 2030)", ["day-of-month: 'LW' is not allowed"]),
    ("lw-in-a-list", "cron(0 22 LW,15 * ? *)", ["day-of-month: 'LW,15' is not allowed; allowed: 1-31 with"]),
    ("w-before-l", "cron(0 22 WL * ? *)", ["day-of-month: 'WL' is not allowed; allowed: 1-31 with"]),
    ("l-offset-with-w", "cron(0 22 L-2W * ? *)", ["day-of-month: 'L-2W' is not allowed; allowed: 1-31 with"]),
]


@pytest.mark.parametrize(("expression", "fragments"), [c[1:] for c in LW_CASES], ids=[c[0] for c in LW_CASES])
def test_l_and_w_together_are_refused_in_our_words(project: Project, expression: str, fragments: list[str]) -> None:
    project.add_job("report.py", with_schedule(expression))
    [message] = assert_rejected_everywhere(project, BASE_CONFIG, fragments)
    assert not any(words in message for words in LIBRARY_WORDS), message


@pytest.mark.parametrize("expression", ["cron(0 6 ? * * 2028/x)", "cron(0 6 ? * * 1960/2)", "cron(0 6 ? * * */-1)"])
def test_a_bad_year_step_names_the_year_field(project: Project, expression: str) -> None:
    project.add_job("report.py", with_schedule(expression))
    year = expression.split()[-1].rstrip(")")
    assert_rejected_everywhere(
        project,
        BASE_CONFIG,
        [f"schedule: {expression}: year: {year!r} is ", "allowed: 1970-2199 with , - * /"],
    )


@pytest.mark.parametrize(
    "zone",
    [
        "localtime",
        "posix/Europe/Berlin",
        "right/Europe/Berlin",
        "posixrules",
        "Factory",
        "europe/berlin",
        "/etc/localtime",
    ],
)
def test_a_time_zone_that_is_no_iana_name_is_refused_on_every_machine(project: Project, zone: str) -> None:
    project.add_job("report.py", good(f", timezone={zone!r}"))
    assert_rejected_everywhere(
        project,
        BASE_CONFIG,
        [f"jobs/report.py:3: timezone: unknown time zone {zone!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'"],
    )


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5", "US/Eastern"])
def test_iana_time_zone_names_are_accepted(project: Project, zone: str) -> None:
    project.add_job("report.py", good(f", timezone={zone!r}"))
    assert problems(project, BASE_CONFIG) == []


def test_the_plan_says_a_cron_has_no_runs_to_come_and_shows_a_rates_runs_at_its_phase(
    project: Project,
) -> None:
    project.add_job("yearly.py", with_schedule("cron(0 12 25 12 ? 2199)"))
    project.add_job("every_hour.py", manual(', schedule="rate(1 hour)"'))
    stack = load_stack(project.jobs, BASE_CONFIG, "scheduled-jobs", "test", CONFIG_FILE)
    rows = {line.split()[0]: line for line in plan.table(stack, datetime(2199, 12, 26, tzinfo=UTC)).splitlines()}
    assert "none: no runs to come" in rows["yearly"]
    assert "[rate(1 hour) as cron(40 * * * ? *) in UTC]" in rows["every-hour"]
    assert "2199-12-26 00:40, 2199-12-26 01:40, 2199-12-26 02:40" in rows["every-hour"]
