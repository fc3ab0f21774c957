"""The attempt classifier, evaluated: every class of outcome, raised by runTask.sync or returned by it, goes
where it must and spends the budget it must. The JSONata is evaluated by jsonata-python (an independent
implementation of JSONata), the same way the rendered Choice state would be, so a wrong condition fails here."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.documents.job_machine import job_definition
from components.model.aws_constants import HISTORY_CAUSE_MAX_CHARACTERS
from tests.support import step_functions_jsonata
from tests.support.builders import ALERTS, TARGET, job

TABLE = "prod-job-locks"
STATES = job_definition(job(retries=2), TARGET, TABLE, ALERTS)["States"]
SPOT_STATES = job_definition(job(retries=2, capacity="spot"), TARGET, TABLE, ALERTS)["States"]
EXPRESSION = re.compile(r"^\{%(.*)%\}$", re.DOTALL)


def _evaluate(template: Any, variables: dict[str, Any]) -> Any:
    if isinstance(template, str) and (match := EXPRESSION.match(template)):
        expression = step_functions_jsonata.compiled(match.group(1))
        for name, value in variables.items():
            expression.assign(name, value)
        return expression.evaluate(None)
    return template


def _decide(states: dict[str, Any], outcome: dict[str, Any], **counters: Any) -> tuple[str, dict[str, Any]]:
    """Where ClassifyAttempt sends this outcome, and the variables it assigns on the way."""
    variables = {"attempt": 1, "startRetries": 0, "jobRetries": 0, "onSpot": False, **counters, "outcome": outcome}
    for rule in states["ClassifyAttempt"]["Choices"]:
        matched = _evaluate(rule["Condition"], variables)
        assert isinstance(matched, bool), (rule["Condition"], matched)  # a Choice condition must be a boolean
        if matched:
            return rule["Next"], {k: _evaluate(v, variables) for k, v in rule.get("Assign", {}).items()}
    return states["ClassifyAttempt"]["Default"], {}


def _returned(exit_code: int | None, stop_code: str, reason: str) -> dict[str, Any]:
    outcome: dict[str, Any] = {"taskArn": "arn:aws:ecs:eu-central-1:123456789012:task/prod-jobs/abc"}
    if exit_code is not None:
        outcome["exitCode"] = exit_code
    return {**outcome, "stopCode": stop_code, "stoppedReason": reason}


def _raised(error: str, cause: str) -> dict[str, Any]:
    return {"error": error, "cause": cause}


SUCCESS = _returned(0, "EssentialContainerExited", "Essential container in task exited")
NON_ZERO = _returned(3, "EssentialContainerExited", "Essential container in task exited")
STOPPED_BY_SOMEONE = _returned(None, "UserInitiated", "Task stopped by user")
FAILED_TO_START = _returned(None, "TaskFailedToStart", "ResourceInitializationError: ENI provisioning timed out")
PULL_FAILED = _returned(None, "TaskFailedToStart", "CannotPullContainerError: pull rate limit")
PULL_FAILED_NO_STOP_CODE = {"stoppedReason": "CannotPullContainerError: pull rate limit"}
SPOT_EXIT_0 = _returned(0, "SpotInterruption", "Your Spot Task was interrupted.")
RAISED_EXIT = _raised("States.TaskFailed", '{"StopCode":"EssentialContainerExited","Containers":[{"ExitCode":3}]}')
RAISED_NOT_STARTED = _raised("States.TaskFailed", '{"StopCode":"TaskFailedToStart","StoppedReason":"..."}')
RAISED_SPOT = _raised("States.TaskFailed", '{"StopCode":"SpotInterruption"}')
NO_CAPACITY = _raised("AmazonECS.Unknown", "RESOURCE:FARGATE")
THROTTLED = _raised("ECS.ThrottlingException", "Rate exceeded")
ACCESS_DENIED = _raised("ECS.AccessDeniedException", "not authorized to perform: ecs:TagResource")
TIMED_OUT = _raised("States.Timeout", "State timed out")


def test_success_releases_the_lock() -> None:
    assert _decide(STATES, SUCCESS) == ("ReleaseLock", {})


@pytest.mark.parametrize("outcome", [NON_ZERO, STOPPED_BY_SOMEONE, RAISED_EXIT], ids=["returned", "stopped", "raised"])
def test_a_job_failure_spends_one_of_the_jobs_retries_in_either_form(outcome: dict[str, Any]) -> None:
    assert _decide(STATES, outcome) == ("WaitBeforeRetry", {"attempt": 2, "jobRetries": 1})
    assert _decide(STATES, outcome, attempt=3, jobRetries=2) == ("RunFailed", {})  # retries=2 spent


@pytest.mark.parametrize(
    "outcome",
    [FAILED_TO_START, PULL_FAILED, PULL_FAILED_NO_STOP_CODE, RAISED_NOT_STARTED, NO_CAPACITY, THROTTLED],
    ids=[
        "returned-TaskFailedToStart",
        "returned-pull",
        "reason-only",
        "raised-TaskFailedToStart",
        "Failures",
        "throttled",
    ],
)
def test_a_start_failure_spends_the_start_budget_never_the_jobs_retries(outcome: dict[str, Any]) -> None:
    assert _decide(STATES, outcome) == ("WaitBeforeStartRetry", {"attempt": 2, "startRetries": 1})
    # Its budget spent, it fails: it does not fall through to the job's retries.
    assert _decide(STATES, outcome, attempt=4, startRetries=3) == ("RunFailed", {})
    no_retries = job_definition(job(retries=0), TARGET, TABLE, ALERTS)["States"]
    assert _decide(no_retries, outcome)[0] == "WaitBeforeStartRetry"  # even for a job with retries=0


@pytest.mark.parametrize("outcome", [TIMED_OUT, ACCESS_DENIED, _raised("States.Runtime", "bad JSONata")])
def test_a_timeout_or_an_error_no_retry_fixes_fails_at_once(outcome: dict[str, Any]) -> None:
    assert _decide(STATES, outcome) == ("RunFailed", {})
    assert _decide(SPOT_STATES, outcome, onSpot=True) == ("RunFailed", {})


@pytest.mark.parametrize(
    "outcome", [SPOT_EXIT_0, RAISED_SPOT, NO_CAPACITY, FAILED_TO_START], ids=["exit-0", "raised", "capacity", "start"]
)
def test_spot_taking_the_task_back_or_having_no_capacity_runs_on_demand_at_once(outcome: dict[str, Any]) -> None:
    assert _decide(SPOT_STATES, outcome, onSpot=True) == ("RunJob", {"attempt": 2})  # no budget spent, no wait


def test_on_demand_after_spot_is_classified_as_any_run() -> None:
    assert _decide(SPOT_STATES, SUCCESS, onSpot=False) == ("ReleaseLock", {})
    assert _decide(SPOT_STATES, NON_ZERO, onSpot=True)[0] == "WaitBeforeRetry"  # a real failure on Spot
    assert _decide(SPOT_STATES, NO_CAPACITY, onSpot=False)[0] == "WaitBeforeStartRetry"


def _failure(outcome: dict[str, Any], **counters: Any) -> Any:
    variables = {"attempt": 1, "startRetries": 0, "jobRetries": 0, **counters, "outcome": outcome}
    return _evaluate(STATES["RunFailed"]["Assign"]["failure"], variables)


def test_the_failure_says_what_failed_and_the_attempts_it_took() -> None:
    assert _failure(NON_ZERO, attempt=3, jobRetries=2) == {
        "Error": "Job.NonZeroExit",
        "Cause": "container job exited with code 3 (Essential container in task exited) "
        "(attempt 3; retries used: 2 of 2, start retries used: 0 of 3)",
    }
    assert _failure(PULL_FAILED, attempt=4, startRetries=3) == {
        "Error": "Job.StartFailed",
        "Cause": "container job reported no exit code; task stopped: CannotPullContainerError: pull rate limit "
        "(attempt 4; retries used: 0 of 2, start retries used: 3 of 3)",
    }
    # The words of the alert and of the execution's error agree (FailRun keeps a Job.* name as it is).
    assert _failure(TIMED_OUT, attempt=2, jobRetries=1) == {
        "Error": "Job.Timeout",
        "Cause": "timed out after 30m, the timeout of the job "
        "(attempt 2; retries used: 1 of 2, start retries used: 0 of 3)",
    }
    assert _failure(ACCESS_DENIED) == {
        "Error": "ECS.AccessDeniedException",
        "Cause": "not authorized to perform: ecs:TagResource "
        "(attempt 1; retries used: 0 of 2, start retries used: 0 of 3)",
    }


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        (137, "OutOfMemoryError: Container killed due to memory usage", ": killed (SIGKILL), likely out of memory"),
        (143, None, ": terminated (SIGTERM): the task was stopped"),
        (139, None, ": crashed (SIGSEGV: a segmentation fault)"),
        (1, None, ""),
    ],
)
def test_an_exit_code_says_what_ended_the_container_with_ecss_reason(code: int, reason: str | None, words: str) -> None:
    outcome = {**NON_ZERO, "exitCode": code, **({"containerReason": reason} if reason else {})}
    cause = _failure(outcome)["Cause"]
    tail = f"; container: {reason}" if reason else ""
    assert cause.startswith(
        f"container job exited with code {code}{words} (Essential container in task exited){tail} ("
    )


def _stopped_task(container: dict[str, Any] | None, **task: Any) -> str:
    """runTask.sync's States.TaskFailed cause: the stopped task's description as JSON, with what a run was given
    in its overrides and a sidecar beside the job container (aws/copilot-cli#3160 shows one)."""
    containers = [{"Name": "log-router", "ExitCode": 0, "LastStatus": "STOPPED"}]
    if container is not None:
        containers.append({"Name": "job", "LastStatus": "STOPPED", **container})
    return json.dumps(
        {
            "Attachments": [{"Details": [{"Name": "privateIPv4Address", "Value": "10.0.1.7"}], "Type": "eni"}],
            "ClusterArn": "arn:aws:ecs:eu-central-1:123456789012:cluster/prod-jobs",
            "Containers": containers,
            "Overrides": {
                "ContainerOverrides": [{"Name": "job", "Environment": [{"Name": "REPORT_DAY", "Value": INPUT_VALUE}]}]
            },
            "TaskArn": "arn:aws:ecs:eu-central-1:123456789012:task/prod-jobs/abc",
            **task,
        }
    )


def _cut_after_a_brace() -> str:
    padded = _stopped_task({"ExitCode": 1, "Reason": "x" * HISTORY_CAUSE_MAX_CHARACTERS})
    cut = padded[: padded.index("}") + 1]  # the first inner object, closed
    cut += " " * (HISTORY_CAUSE_MAX_CHARACTERS - len(cut) - 1) + "}"
    assert len(cut) == HISTORY_CAUSE_MAX_CHARACTERS
    return cut


INPUT_VALUE = "customer-4711-iban-DE89370400440532013000"  # what an operator passed with --input


@pytest.mark.parametrize(
    ("cause", "told"),
    [
        (
            _stopped_task(
                {"ExitCode": 3}, StopCode="EssentialContainerExited", StoppedReason="Essential container in task exited"
            ),
            "task stopped (EssentialContainerExited): Essential container in task exited; "
            "container job exited with code 3",
        ),
        (
            _stopped_task(
                {"ExitCode": 137, "Reason": "OutOfMemoryError: Container killed due to memory usage"},
                StopCode="EssentialContainerExited",
                StoppedReason="Essential container in task exited",
            ),
            "killed, out of memory: States.TaskFailed: task stopped (EssentialContainerExited): Essential container in "
            "task exited; container job exited with code 137: killed (SIGKILL), likely out of memory; container: "
            "OutOfMemoryError: Container killed due to memory usage",
        ),
        (
            _stopped_task(None, StopCode="UserInitiated", StoppedReason="Task stopped by user"),
            "task stopped (UserInitiated): Task stopped by user",
        ),
        (_stopped_task({}), "task stopped (no stop code): no reason given"),
        (_stopped_task({"ExitCode": 1})[:-40], "the task description, cut short, is in the execution history"),
        # Cut at the limit just after an inner "}": ends like JSON, is none; $parse would fail RunFailed itself.
        (_cut_after_a_brace(), "the task description, cut short, is in the execution history"),
    ],
    ids=["exit-code", "out-of-memory", "stopped", "no-fields", "cut-short", "cut-short-at-a-brace"],
)
def test_a_stopped_tasks_description_is_told_by_its_codes_and_never_shows_what_the_run_was_given(
    cause: str, told: str
) -> None:
    failure = _failure(_raised("States.TaskFailed", cause))
    assert failure["Error"] == "Job.TaskFailed"  # as the execution's error names it (FailRun)
    assert told in failure["Cause"]
    for leaked in (INPUT_VALUE, "REPORT_DAY", "Overrides", "10.0.1.7", "{", "log-router"):
        assert leaked not in failure["Cause"]


def test_a_cause_that_is_no_task_description_is_told_as_given() -> None:
    cause = "ECS.AccessDeniedException: not authorized to perform ecs:RunTask"
    assert _failure(_raised("ECS.AccessDeniedException", cause))["Cause"].startswith(cause + " (attempt 1;")
    text = "{not a task} as a Lambda or a user's error might word it"
    assert _failure(_raised("Job.Custom", text))["Cause"].startswith(text)


def test_waits_grow_as_the_job_asks_and_start_waits_are_jittered_within_their_interval() -> None:
    states = job_definition(job(retries={"attempts": 3, "interval": "1m", "backoff_rate": 2}), TARGET, TABLE, ALERTS)[
        "States"
    ]
    waits = [_evaluate(states["WaitBeforeRetry"]["Seconds"], {"jobRetries": n}) for n in (1, 2, 3)]
    assert waits == [60, 120, 240]
    for spent, ceiling in ((1, 30), (2, 60), (3, 120)):
        seconds = [_evaluate(states["WaitBeforeStartRetry"]["Seconds"], {"startRetries": spent}) for _ in range(50)]
        assert all(isinstance(s, int) and 1 <= s <= ceiling for s in seconds), seconds


def test_failed_runs_are_retried_only_as_often_as_the_job_asks() -> None:
    """The run state retries nothing itself: every attempt goes to the one classifier (tests/unit/test_attempts.py
    evaluates it), whose job-retry rule allows exactly the job's retries."""
    no_retries = job_definition(job(), TARGET, TABLE, ALERTS)["States"]
    assert "Retry" not in no_retries["RunJob"]
    assert "WaitBeforeRetry" not in no_retries
    assert [rule["Next"] for rule in no_retries["ClassifyAttempt"]["Choices"]] == [
        "RefuseRedrive",  # first: a redriven execution runs nothing more (components/documents/redrive.py)
        "ReleaseLockAndRecover",
        "ReleaseLock",
        "RunFailed",
        "WaitBeforeStartRetry",
    ]
    retries = job_definition(job(retries={"attempts": 2, "interval": "5m", "backoff_rate": 3}), TARGET, TABLE, ALERTS)
    states = retries["States"]
    assert "$jobRetries < 2" in states["ClassifyAttempt"]["Choices"][-1]["Condition"]
    assert states["WaitBeforeRetry"]["Seconds"].endswith(" : $max([1, $round(300 * $power(3.0, $jobRetries - 1))]) %}")
    assert states["WaitBeforeRetry"]["Next"] == "RunJob"


def test_exit_code_of_the_job_container_decides_success() -> None:
    states = job_definition(job(), TARGET, TABLE, ALERTS)["States"]
    assert "Containers[Name='job'].ExitCode" in states["RunJob"]["Assign"]["outcome"]
    assert "Containers[Name='job'].ExitCode" in states["RunJob"]["Output"]
    check = states["ClassifyAttempt"]
    assert check["Choices"][1:3] == [
        {
            "Condition": (
                "{% $outcome.exitCode = 0 and $not($outcome.stopCode = 'SpotInterruption') and $alertedAt > 0 %}"
            ),
            "Next": "ReleaseLockAndRecover",
        },
        {
            "Condition": "{% $outcome.exitCode = 0 and $not($outcome.stopCode = 'SpotInterruption') %}",
            "Next": "ReleaseLock",
        },
    ]
    assert check["Default"] == "RunFailed"
    assert states["RunFailed"]["Next"] == "ReleaseLockAfterFailure"
    assert "'Job.NonZeroExit'" in states["RunFailed"]["Assign"]["failure"]


def test_spot_job_that_fails_spends_its_retries_on_demand_without_an_extra_run() -> None:
    states = job_definition(job(capacity="spot", retries=2), TARGET, TABLE, ALERTS)["States"]
    assert "Retry" not in states["RunJobOnSpot"]
    assert states["WaitBeforeRetry"]["Next"] == "RunJob"
    assert "$jobRetries < 2" in states["ClassifyAttempt"]["Choices"][-1]["Condition"]  # the Spot run was the first
