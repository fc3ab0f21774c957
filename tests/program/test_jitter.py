"""`jitter`: a job (or every scheduled job of a stack) that need not start on the minute starts within a window
after its slot, chosen by EventBridge Scheduler (its flexible time window); its SCHEDULED_TIME stays the slot,
and its slot watch moves its late, long-run and missed times by the same window."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.bad_input import CONFIG_FILE, P, assert_rejected_everywhere, configured, good, manual, module
from tests.support.pulumi_mocks import Project, RecordingMocks, run_program

SCHEDULE = "aws:scheduler/schedule:Schedule"
RATE = 'schedule="rate(10 minutes)", command=["python", "-m", "app.report"], timeout="5m"'


def _window(mocks: RecordingMocks, job: str, kind: str = "schedule") -> Any:
    return mocks.one(SCHEDULE, f"{job}-{kind}").inputs["flexibleTimeWindow"]


def _watch(mocks: RecordingMocks) -> dict[str, Any]:
    machine = mocks.one("aws:sfn/stateMachine:StateMachine", "shared-slot-watch")
    info: str = json.loads(machine.inputs["definition"])["States"]["Watch"]["Assign"]["info"]
    return dict(json.loads(info.removeprefix("{% $lookup(").removesuffix(", $states.input.job) %}")))


def test_a_jobs_jitter_is_the_flexible_window_of_its_schedule_and_not_of_its_watch(project: Project) -> None:
    project.add_job("report.py", good(', jitter="10m", warn_after="20m"'))
    mocks = run_program(project, configured({}))
    assert _window(mocks, "report") == {"mode": "FLEXIBLE", "maximumWindowInMinutes": 10}
    assert _window(mocks, "report", "watch") == {"mode": "OFF"}
    # The run still gets the slot, not the moment it was started.
    assert json.loads(mocks.one(SCHEDULE, "report-schedule").inputs["target"]["input"]) == {
        "scheduledTime": "<aws.scheduler.scheduled-time>"
    }
    # late 5m, long run 20m, deadline 2h23m30s: each 10m later, since the run may start 10m after the slot.
    watched = _watch(mocks)["report"]
    assert (watched["late"], watched["warn"], watched["deadline"]) == (300 + 600, 1200 + 600, 8610 + 600)


def test_the_stacks_jitter_applies_to_scheduled_jobs_that_set_none(project: Project) -> None:
    project.add_job("report.py", good())
    project.add_job("exact.py", good(", jitter=None"))
    project.add_job("own.py", good(', jitter="2m"'))
    project.add_job("by_hand.py", manual(""))
    project.add_job("every_ten.py", module(RATE + ', jitter="5m"'))
    mocks = run_program(project, configured({P + "jitter": "15m"}))
    assert _window(mocks, "report") == {"mode": "FLEXIBLE", "maximumWindowInMinutes": 15}
    assert _window(mocks, "exact") == {"mode": "OFF"}
    assert _window(mocks, "own") == {"mode": "FLEXIBLE", "maximumWindowInMinutes": 2}
    assert _window(mocks, "every-ten") == {"mode": "FLEXIBLE", "maximumWindowInMinutes": 5}
    assert "by-hand" not in _watch(mocks)


def test_a_stack_override_sets_one_jobs_jitter(project: Project) -> None:
    project.add_job("report.py", good())
    mocks = run_program(project, configured({P + "jobs": {"report": {"jitter": "3m"}}}))
    assert _window(mocks, "report") == {"mode": "FLEXIBLE", "maximumWindowInMinutes": 3}


BAD_JITTER = [
    ("seconds", '"90s"', "1m30s: allowed: whole minutes from 1m to 24h (EventBridge Scheduler's flexible time window)"),
    ("over-a-day", '"25h"', "1d1h: allowed: whole minutes from 1m to 24h"),
    ("zero", "0", "must be longer than zero seconds"),
]


@pytest.mark.parametrize(("given", "problem"), [pytest.param(g, p, id=n) for n, g, p in BAD_JITTER])
def test_a_jitter_that_is_not_a_window_of_whole_minutes_is_refused(project: Project, given: str, problem: str) -> None:
    project.add_job("report.py", good(f", jitter={given}"))
    assert_rejected_everywhere(project, configured({}), [f"jobs/report.py:3: jitter: {problem}"])


@pytest.mark.parametrize(("given", "problem"), [pytest.param(g, p, id=n) for n, g, p in BAD_JITTER])
def test_a_stack_jitter_that_is_not_a_window_of_whole_minutes_is_refused_at_its_key(
    project: Project, given: str, problem: str
) -> None:
    project.add_job("report.py", good())
    value = json.loads(given) if given != "0" else "0"
    found = assert_rejected_everywhere(project, configured({P + "jitter": value}), [problem.split(":")[-1].strip()])
    assert found[0].startswith(f"{CONFIG_FILE}: scheduled-jobs:")


def test_jitter_on_a_job_without_a_schedule_is_refused(project: Project) -> None:
    project.add_job("report.py", manual(', jitter="5m"'))
    assert_rejected_everywhere(
        project, configured({}), ["jobs/report.py:3: jitter: set, but the job has no schedule (manual runs only)"]
    )


def test_a_jitter_as_long_as_a_rate_is_refused_in_the_job_and_at_the_stack_setting(project: Project) -> None:
    project.add_job("report.py", module(RATE + ', jitter="10m"'))
    assert_rejected_everywhere(
        project,
        configured({}),
        ["jobs/report.py:3: jitter: 10m is not shorter than the schedule's interval (10m): a run could start after"],
    )
    project.add_job("report.py", module(RATE))
    assert_rejected_everywhere(
        project,
        configured({P + "jitter": "15m"}),
        [
            f"{CONFIG_FILE}: scheduled-jobs:jitter: 15m is not shorter than the interval of job report (10m); "
            "allowed: set that job's own jitter (jitter=None for none)"
        ],
    )
