"""What a job's machine accepts as a run's input, checked in its first state (ClaimSlot) before it claims a slot
or takes the lock, so a start from the console or the SDK gets what `jobctl run` gets:

- `environment`: only the job's declared inputs (components/model/run_inputs.py), each with a value it allows;
  a job that declares none accepts none. The names and values are checked, never dropped in silence.
- `scheduledTime`: a UTC time as the schedule gives it (`2026-11-29T06:00:00Z`), not in the future. A
  schedule's <aws.scheduler.scheduled-time> is "the time you specified for the schedule to invoke its target"
  (Scheduler user guide, "Adding context attributes"), and a flexible time window (the job's `jitter`) "invokes
  the target within [the window] after the scheduled time" (Scheduler user guide, "Configuring flexible time
  windows"): a real delivery's slot is never after its start. FUTURE_SLOT_ALLOWANCE_SECONDS covers the clocks of
  two services (an allowance no AWS page gives: on the self-test list, docs/security.md).

A refused input raises a JSONata `$error` in ClaimSlot's Arguments, so no call is made; the state's Catch of
`States.QueryEvaluationError` ("a JSONata expression ... threw an error": Step Functions developer guide,
"Error names") ends the execution in InputRefused with `Job.InputRefused` and the reason. Nothing was claimed
or locked, nothing ran, and no alert is sent: whoever started it sees the refusal on the execution (`jobctl run`
refuses the same names before it starts anything)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from components.documents.alert_messages import jsonata_string
from components.documents.grants import State
from components.model.run_inputs import RunInput
from components.model.timing import FUTURE_SLOT_ALLOWANCE_SECONDS

INPUT_REFUSED = "Job.InputRefused"
INPUT_REFUSED_STATE = "InputRefused"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"  # Step Functions developer guide, "Error names"
# The slot as Scheduler's <aws.scheduler.scheduled-time> writes it, or with milliseconds as jobctl's examples do.
SLOT_FORMAT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$"
_INPUT = "$states.input"


def _refuse(words: str) -> str:
    """JSONata: raise the refusal; `words` is a JSONata string expression."""
    return f"$error({jsonata_string(INPUT_REFUSED + ': ')} & {words})"


def _regex(pattern: str) -> str:
    """A JSONata regular expression literal matching all of a value (`/` escaped, as in JavaScript)."""
    return "/^(?:" + pattern.replace("\\/", "/").replace("/", "\\/") + ")$/"


def _value_check(declared: RunInput) -> str | None:
    value = f"$string($lookup($env, {jsonata_string(declared.name)}))"
    if declared.choices is not None:
        choices = ", ".join(jsonata_string(c) for c in declared.choices)
        allowed = f"$not({value} in [{choices}])"
    elif declared.pattern is not None:
        allowed = f"$not($contains({value}, {_regex(declared.pattern)}))"
    else:
        return None
    given = f"$exists($lookup($env, {jsonata_string(declared.name)}))"
    words = jsonata_string(f"{declared.name} may be {declared.allowed()}, not ") + f" & {value}"
    return f"{given} and {allowed} ? {_refuse(words)}"


def input_checks(job_name: str, inputs: Iterable[RunInput]) -> str:
    """JSONata statements (each ending in `;`) that raise the refusal for a run input the job does not accept.
    They name no bare `$` (the context value): Step Functions' JSONata has no input document to give it (moto,
    which follows AWS there, refuses the expression)."""
    declared = list(inputs)
    names = ", ".join(jsonata_string(d.name) for d in declared)
    accepted = (
        "it declares " + ", ".join(d.name for d in declared)
        if declared
        else "it declares none (a job accepts the run inputs its module names: Job(inputs=[...]))"
    )
    undeclared_words = (
        jsonata_string(f"{job_name} does not accept ")
        + " & $join($undeclared, ', ') & "
        + jsonata_string(f" as run inputs; {accepted}")
    )
    slot = f"{_INPUT}.scheduledTime"
    start = "$toMillis($states.context.Execution.StartTime)"
    statements = [
        f"$env := $exists({_INPUT}.environment) ? {_INPUT}.environment : {{}}",
        f"$type($env) != 'object' ? {_refuse(jsonata_string('environment must be an object of names to values'))}",
        f"$undeclared := [$filter($keys($env), function($k) {{ $not($k in [{names}]) }})]",
        f"$count($undeclared) > 0 ? {_refuse(undeclared_words)}",
        *(check for d in declared if (check := _value_check(d))),
        f"$exists({slot}) and ($type({slot}) != 'string' or $not($contains({slot}, /{SLOT_FORMAT}/))) ? "
        + _refuse(jsonata_string("scheduledTime must be a UTC time such as 2026-11-29T06:00:00Z, not ") + f" & {slot}"),
        f"$exists({slot}) and $toMillis({slot}) > {start} + {FUTURE_SLOT_ALLOWANCE_SECONDS * 1000} ? "
        + _refuse(
            jsonata_string("slot ")
            + f" & {slot} & "
            + jsonata_string(" is in the future (the run started at ")
            + " & $states.context.Execution.StartTime & "
            + jsonata_string("): a run may claim only a slot that has come, or the slot's own run would be skipped")
        ),
    ]
    return "".join(f"{s}; " for s in statements)


def checked(expression: str, job_name: str, inputs: Iterable[RunInput]) -> str:
    """A first-state argument: the JSONata `expression` (its body), after the input checks."""
    return f"{{% ({input_checks(job_name, inputs)}{expression}) %}}"


def refusal_catch() -> dict[str, Any]:
    """The first state's Catch of a refused input (any evaluation error of its Arguments is one: they read only
    the run's input and the Context object)."""
    return {"ErrorEquals": [QUERY_EVALUATION_ERROR], "Next": INPUT_REFUSED_STATE}


def refusal_state() -> dict[str, State]:
    """The end of a refused start: the error and the reason (the evaluation error's cause, which carries it)."""
    return {
        INPUT_REFUSED_STATE: {
            "Type": "Fail",
            "Comment": "The run's input is not one this job accepts: nothing was claimed, locked or run.",
            "Error": INPUT_REFUSED,
            "Cause": "{% $states.input.Cause %}",
        }
    }
