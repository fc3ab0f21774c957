"""Per-slot deadlines as the plan shows them, and the slots DST skips or repeats. Every expected time is worked
out by hand: a 30m job without retries may take 2h8m30s per execution (4 attempts of 30m: the run and 3 start
retries, 3m30s of start waits, 5m lock steps), so its deadline is 2h23m30s after the slot; a 1h job's is
4h23m30s (4h8m30s + 15m)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.model.deadlines import (
    DEADLINE_GRACE_SECONDS,
    deadline_after_slot_seconds,
    deadline_origin,
    deadline_rule,
    deadline_summary,
    dst_notes,
    next_deadlines,
    yearly_skip_warning,
)
from components.model.spec import Job


def _job(schedule: str | None = "cron(0 6 * * ? *)", timezone: str = "UTC", **fields: Any) -> Job:
    fields.setdefault("timeout", "30m")
    if schedule is not None:
        fields["schedule"], fields["timezone"] = schedule, timezone
    return Job(command=["python", "-m", "app.task"], **fields)


def _deadlines(job: Job, now: str, count: int = 3) -> list[tuple[str, str]]:
    found = next_deadlines(job, datetime.fromisoformat(now), count)
    return [(d.slot.isoformat(), d.deadline.isoformat()) for d in found]


def test_a_slot_must_succeed_within_the_execution_timeout_plus_15_minutes_grace() -> None:
    assert DEADLINE_GRACE_SECONDS == 900
    assert deadline_after_slot_seconds(_job(timeout="30m")) == 7710 + 900
    assert deadline_after_slot_seconds(_job(timeout="1h")) == 14910 + 900


def test_a_daily_utc_job_has_one_deadline_per_slot() -> None:
    assert _deadlines(_job("cron(0 6 * * ? *)"), "2026-11-30T12:00:00+00:00") == [
        ("2026-12-01T06:00:00+00:00", "2026-12-01T08:23:30+00:00"),
        ("2026-12-02T06:00:00+00:00", "2026-12-02T08:23:30+00:00"),
        ("2026-12-03T06:00:00+00:00", "2026-12-03T08:23:30+00:00"),
    ]


def test_the_spring_forward_day_has_no_slot_and_no_deadline_in_berlin() -> None:
    # 2027-03-28: Berlin's clocks jump from 02:00 CET to 03:00 CEST, so 02:30 does not exist that day.
    assert _deadlines(_job("cron(30 2 * * ? *)", "Europe/Berlin"), "2027-03-26T12:00:00+00:00") == [
        ("2027-03-27T02:30:00+01:00", "2027-03-27T04:53:30+01:00"),
        ("2027-03-29T02:30:00+02:00", "2027-03-29T04:53:30+02:00"),
        ("2027-03-30T02:30:00+02:00", "2027-03-30T04:53:30+02:00"),
    ]


def test_a_deadline_is_elapsed_time_after_its_slot_even_across_the_clock_change() -> None:
    # 01:30 CET is 00:30 UTC; 2h23m30s later is 02:53:30 UTC, 04:53:30 CEST (wall-clock sums would say 03:53:30).
    assert _deadlines(_job("cron(30 1 * * ? *)", "Europe/Berlin"), "2027-03-27T12:00:00+00:00", 2) == [
        ("2027-03-28T01:30:00+01:00", "2027-03-28T04:53:30+02:00"),
        ("2027-03-29T01:30:00+02:00", "2027-03-29T03:53:30+02:00"),
    ]


def test_a_repeated_autumn_slot_counts_from_its_first_occurrence() -> None:
    # 2026-10-25 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET); AWS runs the first: 02:53:30 UTC = 03:53:30 CET.
    assert _deadlines(_job("cron(30 2 * * ? *)", "Europe/Berlin"), "2026-10-24T12:00:00+00:00", 2) == [
        ("2026-10-25T02:30:00+02:00", "2026-10-25T03:53:30+01:00"),
        ("2026-10-26T02:30:00+01:00", "2026-10-26T04:53:30+01:00"),
    ]


def test_uneven_gaps_give_each_slot_its_own_deadline() -> None:
    assert _deadlines(_job("cron(0 9,17 * * ? *)", timeout="1h"), "2026-12-01T10:00:00+00:00") == [
        ("2026-12-01T17:00:00+00:00", "2026-12-01T21:23:30+00:00"),
        ("2026-12-02T09:00:00+00:00", "2026-12-02T13:23:30+00:00"),
        ("2026-12-02T17:00:00+00:00", "2026-12-02T21:23:30+00:00"),
    ]


def test_a_weekday_job_has_no_deadline_at_the_weekend() -> None:
    # 2026-12-04 is a Friday, already past its 06:00 slot.
    assert _deadlines(_job("cron(0 6 ? * MON-FRI *)"), "2026-12-04T07:00:00+00:00") == [
        ("2026-12-07T06:00:00+00:00", "2026-12-07T08:23:30+00:00"),
        ("2026-12-08T06:00:00+00:00", "2026-12-08T08:23:30+00:00"),
        ("2026-12-09T06:00:00+00:00", "2026-12-09T08:23:30+00:00"),
    ]


def test_a_monthly_job_has_a_deadline_on_each_first_of_the_month() -> None:
    assert _deadlines(_job("cron(0 6 1 * ? *)"), "2026-11-15T00:00:00+00:00") == [
        ("2026-12-01T06:00:00+00:00", "2026-12-01T08:23:30+00:00"),
        ("2027-01-01T06:00:00+00:00", "2027-01-01T08:23:30+00:00"),
        ("2027-02-01T06:00:00+00:00", "2027-02-01T08:23:30+00:00"),
    ]


def test_a_yearly_job_has_a_deadline_each_new_year_in_its_time_zone() -> None:
    assert _deadlines(_job("cron(0 0 1 1 ? *)", "America/New_York"), "2026-06-01T00:00:00+00:00") == [
        ("2027-01-01T00:00:00-05:00", "2027-01-01T02:23:30-05:00"),
        ("2028-01-01T00:00:00-05:00", "2028-01-01T02:23:30-05:00"),
        ("2029-01-01T00:00:00-05:00", "2029-01-01T02:23:30-05:00"),
    ]


def test_the_rule_in_words_names_the_budget_the_late_alert_and_the_long_run_warning() -> None:
    assert deadline_rule(_job(timeout="30m")) == (
        "each slot must succeed within 2h23m30s (execution timeout 2h8m30s + 15m grace); "
        "late if not started 5m after the slot"
    )
    assert deadline_rule(_job(timeout="1h", warn_after="45m")) == (
        "each slot must succeed within 4h23m30s (execution timeout 4h8m30s + 15m grace); "
        "late if not started 5m after the slot; long-run warning 45m after the slot"
    )
    assert deadline_rule(_job(timeout="1h", late_after=None)) == (
        "each slot must succeed within 4h23m30s (execution timeout 4h8m30s + 15m grace)"
    )
    assert deadline_summary(_job(timeout="1h", warn_after="45m")) == "slot + 4h23m30s, late 5m, warn 45m"


def test_manual_and_disabled_jobs_have_no_deadlines_and_say_why() -> None:
    manual, disabled = _job(None), _job(enabled=False)
    now = datetime(2026, 10, 1, tzinfo=UTC)
    for job in (manual, disabled):
        assert next_deadlines(job, now) == []
        assert dst_notes(job, now) == []
        assert yearly_skip_warning(job, now) is None
    assert deadline_rule(manual) == deadline_summary(manual) == "none: manual runs only"
    assert deadline_rule(disabled) == deadline_summary(disabled) == "none: job disabled"


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kolkata"])
def test_a_rate_jobs_deadlines_are_its_crons_slots_in_utc_whatever_its_zone(zone: str) -> None:
    job = Job.model_validate({**_job("rate(6 hours)").model_dump(exclude_unset=True), "name": "sync", "timezone": zone})
    schedule = job.parsed_schedule
    assert schedule is not None and schedule.expression.startswith("cron(") and schedule.timezone == "UTC"
    now = datetime(2026, 10, 24, 23, tzinfo=UTC)  # Berlin's autumn shift is on the 25th: no slot may move
    deadlines = next_deadlines(job, now, count=8)
    slots = [d.slot.astimezone(UTC) for d in deadlines]
    assert all(b - a == timedelta(hours=6) for a, b in itertools.pairwise(slots))
    assert all(d.deadline - d.slot == timedelta(hours=2, minutes=23, seconds=30) for d in deadlines)
    assert dst_notes(job, now) == [] and yearly_skip_warning(job, now) is None
    assert deadline_rule(job).startswith("each slot must succeed within 2h23m30s")


def test_dst_notes_name_the_autumn_repeat_and_the_spring_gap_of_the_coming_year() -> None:
    job = _job("cron(30 2 * * ? *)", "Europe/Berlin")
    assert dst_notes(job, datetime(2026, 10, 1, tzinfo=UTC)) == [
        "the 02:30 run on 2026-10-25 happens twice on the wall clock in Europe/Berlin; AWS runs it once",
        "the 02:30 run on 2027-03-28 does not exist in Europe/Berlin; AWS skips it",
    ]
    assert dst_notes(job, datetime(2027, 6, 1, tzinfo=UTC)) == [
        "the 02:30 run on 2027-10-31 happens twice on the wall clock in Europe/Berlin; AWS runs it once",
        "the 02:30 run on 2028-03-26 does not exist in Europe/Berlin; AWS skips it",
    ]


def test_slots_clear_of_the_clock_change_get_no_dst_notes() -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    assert dst_notes(_job("cron(30 2 * * ? *)", "UTC"), now) == []  # UTC has no DST
    assert dst_notes(_job("cron(30 3 * * ? *)", "Europe/Berlin"), now) == []  # after the changed hour
    assert dst_notes(_job("cron(30 2 ? * MON-FRI *)", "Europe/Berlin"), now) == []  # Berlin changes on Sundays


def test_an_every_minute_job_gets_one_dst_note_per_clock_change() -> None:
    assert dst_notes(_job("cron(* * * * ? *)", "Europe/Berlin"), datetime(2026, 10, 1, tzinfo=UTC)) == [
        "the 60 runs from 02:00 to 02:59 on 2026-10-25 happen twice on the wall clock in Europe/Berlin; "
        "AWS runs each once",
        "the 60 runs from 02:00 to 02:59 on 2027-03-28 do not exist in Europe/Berlin; AWS skips them",
    ]


def test_a_daily_run_in_the_skipped_hour_is_warned_about_as_lost_every_spring() -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    assert yearly_skip_warning(_job("cron(30 2 * * ? *)", "Europe/Berlin"), now) == (
        "the 02:30 run falls in the hour Europe/Berlin skips every spring (last Sunday of March): that day has no run"
    )
    assert yearly_skip_warning(_job("cron(30 2 ? * SUN *)", "America/New_York"), now) == (
        "the 02:30 run falls in the hour America/New_York skips every spring (second Sunday of March): "
        "that day has no run"
    )
    assert yearly_skip_warning(_job("cron(30 2,14 * * ? *)", "Europe/Berlin"), now) == (
        "the 02:30 run falls in the hour Europe/Berlin skips every spring (last Sunday of March): "
        "that day has no 02:30 run"
    )


def test_a_slot_skipped_only_in_some_years_or_never_gets_no_yearly_warning() -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    march_28 = _job("cron(30 2 28 3 ? *)", "Europe/Berlin")  # the last Sunday of March only in some years
    assert yearly_skip_warning(march_28, now) is None
    assert dst_notes(march_28, now) == ["the 02:30 run on 2027-03-28 does not exist in Europe/Berlin; AWS skips it"]
    assert yearly_skip_warning(_job("cron(30 3 * * ? *)", "Europe/Berlin"), now) is None
    assert yearly_skip_warning(_job("cron(30 2 * * ? *)", "UTC"), now) is None


def test_a_short_jobs_slot_is_not_missed_before_eventbridge_scheduler_stops_retrying_its_start() -> None:
    # A 5m job without retries may take 28m30s (4 x 5m, 3m30s waits, 5m lock steps), but Scheduler retries a start
    # it could not deliver for up to 1h: the deadline is 1h + 15m grace, and the plan says why.
    short = _job(timeout="5m")
    assert deadline_after_slot_seconds(short) == 3600 + 900
    assert deadline_rule(short).startswith(
        "each slot must succeed within 1h15m (EventBridge Scheduler's retry window 1h + 15m grace)"
    )
    assert deadline_origin(short) == (
        "the deadline waits 1h, the time EventBridge Scheduler retries a start it could not deliver, then 15m "
        "grace; set missed_after to choose another"
    )


def test_missed_after_sets_the_deadline_and_the_rule_says_so() -> None:
    job = _job(timeout="1h", missed_after="90m", jitter="10m")
    assert deadline_after_slot_seconds(job) == 600 + 5400
    assert deadline_rule(job).startswith("each slot must succeed within 1h40m (jitter 10m + missed_after 1h30m)")
    assert deadline_origin(job) is None
    assert deadline_origin(_job(timeout="1h")) == (
        "the deadline waits for the longest execution: 4 attempts of up to 1h (the run, 3 start retries) and 8m30s "
        'of waits and lock steps, then 15m grace; set missed_after (e.g. missed_after="2h") to hear sooner'
    )
