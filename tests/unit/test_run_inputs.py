"""Run inputs (components/model/run_inputs.py, components/documents/run_inputs.py): what a job's module may
declare, and what its machine's first state does with a run's input, evaluated by the JSONata engine: an
undeclared name, a value a declared input does not allow, or a slot that is no UTC time or lies in the future
raises the refusal before the slot is claimed; anything else claims it as before."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from components import Job
from components.documents.job_machine import job_definition
from components.documents.run_inputs import INPUT_REFUSED, INPUT_REFUSED_STATE, QUERY_EVALUATION_ERROR
from components.model.run_inputs import REFUSED_INPUT_NAMES, RunInput, declared_input_names
from tests.support import step_functions_jsonata
from tests.support.builders import ALERTS, TARGET, job

EXPRESSION = re.compile(r"^\{%(.*)%\}$", re.S)
STARTED = "2026-12-07T10:00:00.000Z"
INPUTS: dict[str, Any] = {"MODE": ["full", "delta"], "REPORT_DAY": r"\d{4}-\d{2}-\d{2}", "NOTE": None}


def _claim(inputs: Any, kind: str = "forbid") -> dict[str, Any]:
    state: dict[str, Any] = job_definition(job(inputs=inputs, concurrency=kind), TARGET, "t", ALERTS)["States"][
        "ClaimSlot"
    ]
    return state


def _first_state(run_input: dict[str, Any], inputs: Any = INPUTS, kind: str = "forbid") -> Any:
    """ClaimSlot's claim key and expiry for `run_input`, evaluated as Step Functions would; raises the refusal."""
    item = _claim(inputs, kind)["Arguments"]["Item"]
    values = []
    for template in (item["LockId"]["S"], item["ExpiresAt"]["N"]):
        match = EXPRESSION.match(template)
        assert match, template
        expression = step_functions_jsonata.compiled(match.group(1))
        context = {"Execution": {"StartTime": STARTED, "Name": "m-1", "Input": run_input}}
        expression.assign("states", {"input": run_input, "context": context})
        values.append(expression.evaluate(None))
    return values[0]


def _refusal(run_input: dict[str, Any], inputs: Any = INPUTS) -> str:
    with pytest.raises(Exception, match=INPUT_REFUSED) as raised:
        _first_state(run_input, inputs)
    return str(raised.value)


def _example(pattern: str) -> str:
    return pattern.replace("*", "X")


@pytest.mark.parametrize("kind", ["forbid", "replace", "allow"])
def test_a_refused_input_ends_the_run_in_the_first_state_before_anything_is_claimed(kind: str) -> None:
    definition = job_definition(job(inputs=INPUTS, concurrency=kind), TARGET, "t", ALERTS)
    assert definition["StartAt"] == "ClaimSlot"
    [catch] = [c for c in definition["States"]["ClaimSlot"]["Catch"] if QUERY_EVALUATION_ERROR in c["ErrorEquals"]]
    assert catch["Next"] == INPUT_REFUSED_STATE
    end = definition["States"][INPUT_REFUSED_STATE]
    assert (end["Type"], end["Error"]) == ("Fail", INPUT_REFUSED)


@pytest.mark.parametrize(
    "environment",
    [{"LD_PRELOAD": "/tmp/x.so"}, {"NODE_OPTIONS": "--require /tmp/x"}, {"DRY_RUN": "false"}, {"mode": "full"}],
)
def test_a_name_the_job_does_not_declare_is_refused_with_the_names_declared(environment: dict[str, str]) -> None:
    words = _refusal({"environment": environment})
    assert (
        f"report does not accept {next(iter(environment))} as run inputs; it declares MODE, REPORT_DAY, NOTE" in words
    )


def test_a_job_that_declares_no_inputs_accepts_none_and_says_how_to_declare_them() -> None:
    words = _refusal({"environment": {"DAY": "2026-11-28"}}, inputs=[])
    assert "it declares none (a job accepts the run inputs its module names: Job(inputs=[...]))" in words
    assert _first_state({}, inputs=[]) == "report#run#m-1"
    assert _first_state({"environment": {}}, inputs=[]) == "report#run#m-1"


@pytest.mark.parametrize(
    "value",
    [
        "full",
        "delta",
        "Full",
        "full ",
        "",
        "2026-11-28",
        "2026-1-28",
        "2026-11-28x",
        "x2026-11-28",
        "a/b",
        "9999-99-99",
    ],
)
@pytest.mark.parametrize("name", ["MODE", "REPORT_DAY", "NOTE"])
def test_the_machine_allows_exactly_the_values_the_declaration_allows(name: str, value: str) -> None:
    rule = INPUTS[name]
    declared = RunInput(
        name,
        pattern=rule if isinstance(rule, str) else None,
        choices=tuple(rule) if isinstance(rule, list) else None,
    )
    run_input = {"environment": {name: value}}
    if declared.allows(value):
        assert _first_state(run_input) == "report#run#m-1"
    else:
        assert f"{name} may be {declared.allowed()}, not {value}" in _refusal(run_input)


def test_a_value_given_as_a_number_is_checked_as_the_container_gets_it() -> None:
    assert _first_state({"environment": {"REPORT_DAY": "2026-11-28", "NOTE": 7}}) == "report#run#m-1"
    assert "MODE may be one of 'full', 'delta', not 3" in _refusal({"environment": {"MODE": 3}})


@pytest.mark.parametrize("environment", ["MODE=full", ["MODE"], 3])
def test_an_environment_that_is_no_object_is_refused(environment: Any) -> None:
    assert "environment must be an object of names to values" in _refusal({"environment": environment})


@pytest.mark.parametrize(
    ("slot", "refused"),
    [
        ("2026-12-07T06:00:00Z", None),  # a slot that has come, as Scheduler gives it
        ("2026-12-07T10:00:00.000Z", None),
        ("2026-12-07T10:00:59Z", None),  # within the clocks' allowance
        ("2026-12-07T10:01:01Z", "is in the future (the run started at 2026-12-07T10:00:00.000Z)"),
        ("2027-01-07T06:00:00Z", "is in the future"),
        ("tomorrow", "scheduledTime must be a UTC time such as 2026-11-29T06:00:00Z, not tomorrow"),
        ("2026-12-07 06:00:00", "scheduledTime must be a UTC time"),
        ("2026-12-07T06:00:00+01:00", "scheduledTime must be a UTC time"),
    ],
)
def test_a_slot_is_claimed_only_when_it_is_a_utc_time_that_has_come(slot: str, refused: str | None) -> None:
    if refused is None:
        assert _first_state({"scheduledTime": slot}) == f"report#slot#{slot}"
    else:
        assert refused in _refusal({"scheduledTime": slot})


def test_jobctl_reads_back_the_names_a_deployed_definition_declares() -> None:
    definition = job_definition(job(inputs=INPUTS), TARGET, "t", ALERTS)
    assert declared_input_names(definition) == ["MODE", "REPORT_DAY", "NOTE"]
    assert declared_input_names(job_definition(job(), TARGET, "t", ALERTS)) == []
    assert (
        declared_input_names({"States": {"ClaimSlot": {"Arguments": {"Item": {"LockId": {"S": "{% 'x' %}"}}}}}}) is None
    )


@pytest.mark.parametrize(("pattern", "reader", "source"), REFUSED_INPUT_NAMES, ids=[e[0] for e in REFUSED_INPUT_NAMES])
def test_every_name_a_loader_runtime_or_sdk_reads_cannot_be_declared_in_any_case(
    pattern: str, reader: str, source: str
) -> None:
    for name in (_example(pattern), _example(pattern).lower()):
        with pytest.raises(ValidationError) as raised:
            Job(command=["run"], timeout="1m", inputs=[name])
        message = str(raised.value)
        assert f"cannot be a run input: {pattern} is read by {reader} ({source})" in message, name


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"DAY": r"(?P<y>\d{4})"}, "uses a construct that JavaScript's regular expressions"),
        ({"DAY": r"\A\d+\Z"}, "uses a construct"),
        ({"DAY": r"\d{4"}, None),  # Python reads it as literal text; so does JavaScript
        ({"DAY": "[0-9"}, "is not a regular expression"),
        ({"DAY": ""}, "pattern: 1 to 256 characters, got 0"),
        ({"MODE": []}, "choices: give 1 to 50 values, got 0"),
        ({"MODE": ["a", "a"]}, "names a value twice"),
        (["DAY", "DAY"], "names an input twice"),
        (["JOB_ATTEMPT"], "set by every run for the run itself"),
        (["1DAY"], "not an environment variable name"),
    ],
)
def test_a_declaration_the_machine_could_not_check_as_python_does_is_refused(inputs: Any, words: str | None) -> None:
    if words is None:
        assert Job(command=["run"], timeout="1m", inputs=inputs).run_inputs
        return
    with pytest.raises(ValidationError, match=re.escape(words)):
        Job(command=["run"], timeout="1m", inputs=inputs)


def test_a_secret_of_the_job_cannot_be_a_run_input() -> None:
    with pytest.raises(ValidationError, match="DB_PASSWORD is a secret of the job"):
        Job(command=["run"], timeout="1m", inputs=["DB_PASSWORD"], secrets={"DB_PASSWORD": "/app/db"})
