"""A redriven execution runs no task (components/documents/redrive.py), for every kind of job: each state that
calls ECS, waits before another attempt, classifies an attempt or stops a lock's holder is evaluated with
jsonata-python with the Context object's Execution.RedriveCount at 1 and every variable bound (as if AWS brought
them back on a redrive, which no AWS page says either way), and at 0 (a first run: unchanged)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.documents.job_machine import job_definition
from components.documents.redrive import REDRIVE_REFUSED, REFUSE_REDRIVE
from tests.support import step_functions_jsonata
from tests.support.builders import ALERTS, TARGET, job

TABLE = "prod-job-locks"
EXPRESSION = re.compile(r"^\{%(.*)%\}$", re.DOTALL)
EXECUTION = "arn:aws:states:eu-central-1:123456789012:execution:prod-report:scheduled-1"
VARIABLES = {
    "slot": "2026-12-07T06:00:00Z",
    "attempt": 2,
    "startRetries": 1,
    "jobRetries": 1,
    "onSpot": False,
    "alertedAt": 0,
    "holder": "arn:aws:states:eu-central-1:123456789012:execution:prod-report:the-next-slots-run",
    "outcome": {"exitCode": 0, "stopCode": "EssentialContainerExited"},
}
KINDS: dict[str, dict[str, Any]] = {
    "forbid": {},
    "forbid-retries": {"retries": 2},
    "replace": {"concurrency": "replace", "retries": 1},
    "allow": {"concurrency": "allow", "retries": 1},
    "spot": {"capacity": "spot", "retries": 1},
    "spot-replace": {"capacity": "spot", "concurrency": "replace"},
}


def _states(kind: str) -> dict[str, Any]:
    states: dict[str, Any] = job_definition(job(**KINDS[kind]), TARGET, TABLE, ALERTS)["States"]
    return states


def _evaluate(template: Any, redrives: int, **variables: Any) -> Any:
    match = EXPRESSION.match(template)
    assert match, template
    expression = step_functions_jsonata.compiled(match.group(1))
    context = {"Execution": {"Id": EXECUTION, "RedriveCount": redrives, "Input": {}}}
    for name, value in {**VARIABLES, **variables, "states": {"context": context, "input": {}}}.items():
        expression.assign(name, value)
    return expression.evaluate(None)


def _jsonata_values(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [found for item in value.values() for found in _jsonata_values(item)]
    if isinstance(value, list):
        return [found for item in value for found in _jsonata_values(item)]
    return [value] if isinstance(value, str) and EXPRESSION.match(value) else []


@pytest.mark.parametrize("kind", KINDS)
def test_every_state_that_runs_a_task_raises_before_ecs_is_called_in_a_redriven_execution(kind: str) -> None:
    states = _states(kind)
    runs = {
        name for name, state in states.items() if str(state.get("Resource", "")).startswith("arn:aws:states:::ecs:")
    }
    assert runs == ({"RunJob", "RunJobOnSpot"} if "spot" in kind else {"RunJob"})
    for name in runs:
        expressions = _jsonata_values(states[name]["Arguments"])
        assert expressions, name
        for template in expressions:  # a first run evaluates them all
            _evaluate(template, 0)
        with pytest.raises(Exception, match=REDRIVE_REFUSED) as raised:
            for template in expressions:
                _evaluate(template, 1)
        assert "jobctl redrive report" in str(raised.value)
        # The error is caught and classified, like any error of the run.
        assert [c["Next"] for c in states[name]["Catch"] if c["ErrorEquals"] == ["States.ALL"]] == ["ClassifyAttempt"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "outcome",
    [
        {"exitCode": 0, "stopCode": "EssentialContainerExited"},
        {"exitCode": 3, "stopCode": "EssentialContainerExited"},
        {"error": "States.Timeout", "cause": "timed out"},
        {"error": "States.QueryEvaluationError", "cause": f"{REDRIVE_REFUSED}: ..."},
        {"error": "ECS.AmazonECSException", "cause": "Rate exceeded"},
    ],
    ids=["succeeded", "exit-3", "timeout", "refused-run", "start-error"],
)
def test_the_classifier_refuses_every_outcome_of_a_redriven_execution(kind: str, outcome: dict[str, Any]) -> None:
    classify = _states(kind)["ClassifyAttempt"]

    def decide(redrives: int) -> str:
        for rule in classify["Choices"]:
            matched = _evaluate(rule["Condition"], redrives, outcome=outcome)
            assert isinstance(matched, bool), rule["Condition"]  # a Choice condition must be a boolean
            if matched:
                return str(rule["Next"])
        return str(classify["Default"])

    assert decide(1) == REFUSE_REDRIVE
    assert decide(0) != REFUSE_REDRIVE


def test_the_first_rule_is_a_boolean_even_without_a_redrive_count() -> None:
    """moto, and any context without the field: `>` with an absent operand is undefined in JSONata."""
    rule = _states("forbid")["ClassifyAttempt"]["Choices"][0]["Condition"]
    expression = step_functions_jsonata.compiled(EXPRESSION.match(rule).group(1))  # type: ignore[union-attr]
    expression.assign("states", {"context": {"Execution": {}}})
    assert expression.evaluate(None) is False


@pytest.mark.parametrize("kind", ["forbid-retries", "replace", "spot"])
def test_the_waits_before_another_attempt_need_no_counter_in_a_redriven_execution(kind: str) -> None:
    states = _states(kind)
    for name in ("WaitBeforeRetry", "WaitBeforeStartRetry"):
        assert _evaluate(states[name]["Seconds"], 1, jobRetries=None, startRetries=None) == 1
        assert _evaluate(states[name]["Seconds"], 0) >= 1
        assert states[name]["Next"] == "RunJob"  # which refuses


@pytest.mark.parametrize("kind", ["forbid", "replace", "spot-replace", "allow"])
def test_a_redriven_start_that_finds_the_lock_held_or_a_pause_is_refused(kind: str) -> None:
    found = _states(kind)["LockHolderFound"]
    assert found["Choices"][0]["Next"] == REFUSE_REDRIVE
    assert _evaluate(found["Choices"][0]["Condition"], 1) is True
    assert _evaluate(found["Choices"][0]["Condition"], 0) is False


def test_a_redriven_replace_job_never_stops_the_lock_holder() -> None:
    stop = _states("replace")["StopLockHolder"]["Arguments"]["ExecutionArn"]
    assert _evaluate(stop, 0) == VARIABLES["holder"]
    with pytest.raises(Exception, match=REDRIVE_REFUSED):
        _evaluate(stop, 1)


@pytest.mark.parametrize("kind", KINDS)
def test_the_refusal_releases_only_this_executions_lock_alerts_and_fails(kind: str) -> None:
    states = _states(kind)
    refuse = states[REFUSE_REDRIVE]
    if kind == "allow":
        assert refuse["Type"] == "Pass"
    else:
        assert refuse["Resource"] == "arn:aws:states:::dynamodb:updateItem"
        assert refuse["Arguments"]["ConditionExpression"] == "ExecutionArn = :me"
        assert refuse["Arguments"]["UpdateExpression"].startswith("REMOVE ExecutionArn, ")
        assert "ConsecutiveFailures" not in refuse["Arguments"]["UpdateExpression"]  # counted when it first ended
        assert [c["Next"] for c in refuse["Catch"]] == ["SendRedriveRefusedAlert"]
    assert refuse["Next"] == "SendRedriveRefusedAlert"
    alert = states["SendRedriveRefusedAlert"]
    assert alert["Resource"] == "arn:aws:states:::sns:publish"
    assert alert["Next"] == "RedriveRefused" and alert["Catch"][0]["Next"] == "RedriveRefused"
    subject = _evaluate(alert["Arguments"]["Subject"], 1)
    assert subject == "[prod] job report: a redrive was refused; run jobctl redrive report"
    assert states["RedriveRefused"]["Type"] == "Fail"
    assert states["RedriveRefused"]["Error"] == REDRIVE_REFUSED
    assert "jobctl redrive report" in states["RedriveRefused"]["Cause"]
