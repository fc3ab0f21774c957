"""The plan's warning for jobs that start in the same minute: more than Fargate's launch burst (100 tasks,
ECS developer guide, "AWS Fargate throttling quotas") on one UTC minute, whatever time zone each job names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from components.model.aws_constants import FARGATE_TASK_LAUNCH_BURST
from components.model.spec import Job
from components.model.stack import StackJob
from components.model.start_pileups import busiest_minute, pileup_warnings
from tests.support.builders import stack_job

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _jobs(count: int, start: int = 0, **fields: Any) -> list[StackJob]:
    fields.setdefault("schedule", "cron(0 6 * * ? *)")
    return [
        stack_job(Job(name=f"job-{n:03}", command=["x"], timeout="10m", **fields)) for n in range(start, start + count)
    ]


def test_the_burst_itself_is_fine_and_one_more_on_the_same_minute_warns() -> None:
    assert FARGATE_TASK_LAUNCH_BURST == 100
    assert pileup_warnings(_jobs(100), NOW) == []
    [warning] = pileup_warnings(_jobs(101), NOW)
    assert warning.startswith(
        "101 jobs start in the same minute, 2026-12-01 06:00 UTC (job-000, job-001, job-002 and 98 more): Fargate "
        'launches at most 100 tasks at once, then 20 per second (ECS developer guide, "AWS Fargate throttling '
        'quotas"); starts past that are throttled and retried, so some start late; spread them: jitter="5m"'
    )


def test_jobs_in_different_time_zones_that_meet_on_one_utc_minute_count_together() -> None:
    # 07:00 in Berlin (CET, UTC+1) and 01:00 in New York (EST, UTC-5) are both 06:00 UTC in December.
    jobs = [*_jobs(40), *_jobs(40, 40, schedule="cron(0 7 * * ? *)", timezone="Europe/Berlin")]
    jobs += _jobs(21, 80, schedule="cron(0 1 * * ? *)", timezone="America/New_York")
    found = busiest_minute(jobs, NOW)
    assert found is not None and (found.minute, len(found.jobs)) == (datetime(2026, 12, 1, 6, 0, tzinfo=UTC), 101)
    assert len(pileup_warnings(jobs, NOW)) == 1


def test_a_monthly_top_of_the_hour_meets_the_hourly_jobs_within_the_month() -> None:
    jobs = [*_jobs(60, schedule="cron(0 * * * ? *)"), *_jobs(41, 60, schedule="cron(0 0 1 * ? *)")]
    found = busiest_minute(jobs, NOW)
    assert found is not None and (found.minute, len(found.jobs)) == (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 101)


def test_jobs_with_jitter_disabled_jobs_and_manual_jobs_are_not_counted() -> None:
    jobs = [*_jobs(100), *_jobs(1, 100, jitter="5m"), *_jobs(1, 101, enabled=False), *_jobs(1, 102, schedule=None)]
    assert pileup_warnings(jobs, NOW) == []


def test_rate_jobs_start_at_their_own_phase_so_a_fleet_of_them_spreads_over_the_interval() -> None:
    jobs = _jobs(500, schedule="rate(1 hour)")
    pileup = busiest_minute(jobs, NOW)
    assert pileup is not None
    # 500 names hashed over 60 minutes: about 8 a minute; none near Fargate's burst of 100.
    assert len(pileup.jobs) < 25
    assert pileup_warnings(jobs, NOW) == []
    # The same rate at every minute is one cron for all: counted like 101 crons at one minute.
    [warning] = pileup_warnings(_jobs(101, schedule="rate(1 minute)"), NOW)
    assert warning.startswith("101 jobs start in the same minute")
