"""A rate as the cron of the same interval (components/model/rate_slots.py): every interval it accepts repeats
exactly, at a phase its job's name fixes; an interval no cron repeats is refused with the nearest."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from components.model.rate_slots import EXACT_INTERVALS, phase_minutes, rate_cron, rate_text
from components.model.schedule import parse_schedule
from tests.support.scheduler_model import fired

NAMES = ("nightly-report", "sync", "purge-stale-data", "a", "billing-export-eu-1")
# A span with both of Europe's and America's DST shifts in it: a UTC cron must not feel them.
START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize("minutes", EXACT_INTERVALS)
@pytest.mark.parametrize("name", NAMES)
def test_every_accepted_interval_fires_exactly_that_often_at_the_names_phase(minutes: int, name: str) -> None:
    schedule = parse_schedule(rate_text(minutes)).for_job(name)
    assert schedule.expression == f"cron({rate_cron(minutes, name)})" and schedule.timezone == "UTC"
    until = START + min(END - START, timedelta(minutes=minutes * 60))
    slots = fired(schedule.expression, "UTC", START, until)
    assert len(slots) >= 2
    assert all(b - a == timedelta(minutes=minutes) for a, b in itertools.pairwise(slots))
    first_since_epoch = int((slots[0] - datetime(1970, 1, 4, tzinfo=UTC)).total_seconds()) // 60  # a Sunday
    assert first_since_epoch % minutes == phase_minutes(name, minutes)


def test_the_phase_is_the_same_on_every_machine_and_differs_between_jobs() -> None:
    # sha256 of the name, not Python's salted hash(): literal values, worked out once.
    assert [phase_minutes(name, 60) for name in ("nightly-report", "every-hour")] == [23, 40]
    phases = {phase_minutes(f"job-{n}", 60) for n in range(200)}
    assert len(phases) > 50  # 200 jobs of one rate spread over most of the hour's minutes


@pytest.mark.parametrize(
    ("written", "nearest"),
    [
        ("rate(7 minutes)", "rate(6 minutes) or rate(10 minutes)"),
        ("rate(90 minutes)", "rate(1 hour) or rate(2 hours)"),
        ("rate(5 hours)", "rate(4 hours) or rate(6 hours)"),
        ("rate(2 days)", "rate(1 day) or rate(7 days)"),
        ("rate(30 days)", "rate(7 days)"),
        ("@every 45m", "rate(30 minutes) or rate(1 hour)"),
    ],
)
def test_an_interval_no_cron_repeats_is_refused_with_the_nearest_that_do(written: str, nearest: str) -> None:
    with pytest.raises(ValueError, match="no cron repeats every") as refused:
        parse_schedule(written)
    assert f"(nearest: {nearest})" in str(refused.value)


def test_singular_and_plural_units_are_one_interval_since_only_the_cron_reaches_aws() -> None:
    crons = {parse_schedule(text).for_job("x").expression for text in ("rate(1 hour)", "rate(1 hours)", "@every 1h")}
    assert len(crons) == 1
    assert parse_schedule("rate(60 minutes)").for_job("x") == parse_schedule("rate(1 hour)").for_job("x")


def test_a_job_and_its_watch_agree_on_every_slot_however_far_apart_they_were_created_or_updated() -> None:
    """What broke: two schedules with rate(15 minutes) created 7 s apart never agree (Scheduler starts each at its
    creation); the cron both get instead fires on the same instants whenever either was created or updated."""
    created, until = datetime(2026, 12, 7, 12, 0, 3, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC)
    as_rate = [fired("rate(15 minutes)", "UTC", created + timedelta(seconds=s), until) for s in (0, 7)]
    assert not set(as_rate[0]) & set(as_rate[1])
    deployed = parse_schedule("rate(15 minutes)").for_job("sync")
    job = fired(deployed.expression, "UTC", created, until)
    watch = fired(deployed.expression, "UTC", created + timedelta(seconds=7), until)
    job_updated = fired(deployed.expression, "UTC", created + timedelta(hours=3, seconds=41), until)
    assert job == watch and job_updated == [slot for slot in job if slot > created + timedelta(hours=3, seconds=41)]
    assert all(slot.second == 0 for slot in job)
