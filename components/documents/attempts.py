"""What happens after each attempt to run a job: its outcome is classified once, in one Choice state, and
each class has its own budget. The run is one loop:

    RunJob / RunJobOnSpot -> ClassifyAttempt -> (success) | WaitBeforeStartRetry | WaitBeforeRetry | RunFailed

Classes, tested in this order (the first that matches decides):
0. a redriven execution: refused, whatever the outcome (components/documents/redrive.py);
1. success: the job container exited 0 (and Spot did not take the task back);
2. timeout: the attempt ran past the job's timeout (`States.Timeout`): never retried;
3. Spot interruption, or no Spot capacity: run again on demand at once, spending no budget;
4. start failure: the task never ran the job (capacity and throttling errors, a RunTask `Failures` answer,
   stop code `TaskFailedToStart`, an image that could not be pulled): up to START_RETRY_ATTEMPTS more
   attempts, with full-jitter backoff, whatever the job's `retries`;
5. job failure: the container exited non-zero, or the task was stopped, raised or returned: the job's own
   `retries`, with its interval and backoff;
6. anything else (authorization, validation, an error no class knows): fails at once, with its cause.

Counters live in JSONata variables ($attempt, $startRetries, $jobRetries), set by `initial_variables()` in
the state before the first attempt, so they cost no extra state on the happy path."""

from __future__ import annotations

from typing import Any

from components.documents.grants import State
from components.documents.redrive import refuse_redrive_rule, wait_unless_redriven
from components.model.aws_constants import (
    ECS_START_ERRORS,
    EXIT_CODE_MEANINGS,
    HISTORY_CAUSE_MAX_CHARACTERS,
    OUT_OF_MEMORY_REASON,
    STOP_CODE_SPOT_INTERRUPTION,
    STOP_CODE_TASK_FAILED_TO_START,
    STOPPED_REASONS_BEFORE_START,
    TASK_FAILED,
    TIMEOUT,
)
from components.model.duration import format_duration
from components.model.spec import Job
from components.model.timing import START_RETRY_ATTEMPTS, START_RETRY_BACKOFF_RATE, START_RETRY_INTERVAL_SECONDS

JOB_FAILED_EXIT_CODE = "Job.NonZeroExit"
JOB_FAILED_TO_START = "Job.StartFailed"


def initial_variables() -> dict[str, Any]:
    """The loop's counters, assigned by whichever state leads to the first attempt."""
    return {"attempt": 1, "startRetries": 0, "jobRetries": 0}


def _quoted(names: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{name}'" for name in names) + "]"


_CAUSE = "$string($outcome.cause)"
# JSONata: a comparison with an absent field is false, so "not equal" is written $not(... = ...).
_SUCCESS = f"$outcome.exitCode = 0 and $not($outcome.stopCode = '{STOP_CODE_SPOT_INTERRUPTION}')"
_TIMEOUT = f"$outcome.error = '{TIMEOUT}'"
_SPOT_TOOK_IT_BACK = (
    f"($outcome.stopCode = '{STOP_CODE_SPOT_INTERRUPTION}' or $contains({_CAUSE}, '{STOP_CODE_SPOT_INTERRUPTION}'))"
)
_NEVER_STARTED = " or ".join(
    [
        f"$outcome.error in {_quoted(ECS_START_ERRORS)}",
        f"$outcome.stopCode = '{STOP_CODE_TASK_FAILED_TO_START}'",
        *(f"$contains({_CAUSE}, '{text}')" for text in (STOP_CODE_TASK_FAILED_TO_START, *STOPPED_REASONS_BEFORE_START)),
        *(f"$contains($string($outcome.stoppedReason), '{text}')" for text in STOPPED_REASONS_BEFORE_START),
    ]
)
# Raised (runTask.sync fails the state) or returned (it hands back a task that did not exit 0: tested after
# success): either way a failed run, unless the task never ran the job.
_JOB_FAILED = f"($outcome.error = '{TASK_FAILED}' or $not($exists($outcome.error))) and $not({_NEVER_STARTED})"


def classify(
    job: Job, container: str, spot: bool, on_success: str, on_recovered: str, on_failure: str
) -> dict[str, State]:
    """ClassifyAttempt, the waits before another attempt, and RunFailed (which sets `$failure`, then goes to
    `on_failure`). A success goes to `on_recovered` when a failure alert is outstanding ($alertedAt)."""
    rules: list[State] = [
        refuse_redrive_rule(),
        {"Condition": f"{{% {_SUCCESS} and $alertedAt > 0 %}}", "Next": on_recovered},
        {"Condition": f"{{% {_SUCCESS} %}}", "Next": on_success},
        {"Condition": f"{{% {_TIMEOUT} %}}", "Next": "RunFailed"},
    ]
    if spot:
        rules.append(
            {
                # The run did not happen through any fault of the job's: run it on demand, now.
                "Condition": f"{{% $onSpot and ({_SPOT_TOOK_IT_BACK} or {_NEVER_STARTED}) %}}",
                "Assign": {"attempt": "{% $attempt + 1 %}"},
                "Next": "RunJob",
            }
        )
    rules.append(
        {
            "Condition": f"{{% ({_NEVER_STARTED}) and $startRetries < {START_RETRY_ATTEMPTS} %}}",
            "Assign": {"attempt": "{% $attempt + 1 %}", "startRetries": "{% $startRetries + 1 %}"},
            "Next": "WaitBeforeStartRetry",
        }
    )
    if job.retries.attempts:
        rules.append(
            {
                "Condition": f"{{% ({_JOB_FAILED}) and $jobRetries < {job.retries.attempts} %}}",
                "Assign": {"attempt": "{% $attempt + 1 %}", "jobRetries": "{% $jobRetries + 1 %}"},
                "Next": "WaitBeforeRetry",
            }
        )
    states: dict[str, State] = {
        "ClassifyAttempt": {
            "Type": "Choice",
            "Comment": "Decide once what this attempt's outcome means (see components/documents/attempts.py).",
            "Choices": rules,
            "Default": "RunFailed",
        },
        "WaitBeforeStartRetry": {
            "Type": "Wait",
            "Comment": "Full-jitter backoff before the task is started again.",
            "Seconds": wait_unless_redriven(
                f"$max([1, $floor($random() * {START_RETRY_INTERVAL_SECONDS} "
                f"* $power({float(START_RETRY_BACKOFF_RATE)}, $startRetries - 1))])"
            ),
            "Next": "RunJob",
        },
    }
    if job.retries.attempts:
        states["WaitBeforeRetry"] = {
            "Type": "Wait",
            "Comment": "The job's own retry interval, growing by its backoff rate.",
            "Seconds": wait_unless_redriven(
                f"$max([1, $round({job.retries.interval} "
                f"* $power({float(job.retries.backoff_rate)}, $jobRetries - 1))])"
            ),
            # A job that failed on Spot has used a run; its retries run on demand.
            "Next": "RunJob",
        }
    states["RunFailed"] = _run_failed(job, container, on_failure)
    return states


def _exit_code_meaning(code: str) -> str:
    """JSONata: ': <what the exit code `code` means>' for a code EXIT_CODE_MEANINGS knows, else ''."""
    meanings = "{" + ", ".join(f"'{code}': ': {text}'" for code, text in sorted(EXIT_CODE_MEANINGS.items())) + "}"
    return f"($m := $lookup({meanings}, $string({code})); $exists($m) ? $m : '')"


def _task_words(container: str) -> str:
    """JSONata: the failed attempt's cause as an alert may show it. A `States.TaskFailed` cause that is a JSON
    object (runTask.sync's stopped task) is read with Step Functions' `$parse` ("Transforming data with JSONata
    in Step Functions", JSONata functions provided by Step Functions) and told as its stop code, stopped reason
    and the job container's exit code and reason: never its overrides, attachments or other fields. Only text
    that opens with `{`, closes with `}` and is shorter than the history's limit is parsed; one that reached the
    limit (HISTORY_CAUSE_MAX_CHARACTERS) may be cut anywhere, even after an inner `}`, and is told as cut short,
    never parsed: `$parse` of broken JSON would fail the state that reports the failure. Any other cause (an ECS
    exception's message, a Lambda's error) is told as given."""
    task = f"$outcome.error = '{TASK_FAILED}' and $substring({_CAUSE}, 0, 1) = '{{'"
    whole = f"$substring({_CAUSE}, -1) = '}}' and $length({_CAUSE}) < {HISTORY_CAUSE_MAX_CHARACTERS}"
    cut_short = "'the task description, cut short, is in the execution history'"
    told = (
        "($t := $parse($outcome.cause); "
        f"$k := $t.Containers[Name = '{container}']; "
        "'task stopped (' & ($exists($t.StopCode) ? $t.StopCode : 'no stop code') & '): ' "
        "& ($exists($t.StoppedReason) ? $t.StoppedReason : 'no reason given') "
        f"& ($exists($k.ExitCode) ? '; container {container} exited with code ' & $string($k.ExitCode) "
        f"& {_exit_code_meaning('$k.ExitCode')} : '') "
        "& ($exists($k.Reason) ? '; container: ' & $k.Reason : ''))"
    )
    return f"(({task}) ? (({whole}) ? {told} : {cut_short}) : {_CAUSE})"


def _run_failed(job: Job, container: str, on_failure: str) -> State:
    """`$failure` from the last outcome, in words a person can act on: a timeout says after how long; an exit code
    above 128 says which signal ended the container (137: likely out of memory) with ECS's container reason; a
    raised error keeps its cause, its `States.` name as `Job.` (names starting with "States." are reserved to Step
    Functions: ASL spec), as the execution's own error says it. The cause ends with the attempts spent.

    A stopped task's `States.TaskFailed` cause is the task's whole description as JSON, the run's container
    overrides (its inputs) included (aws/copilot-cli#3160); the alert keeps only its stop code, stopped reason and
    the job container's exit code and reason (`_task_words`). The whole cause stays in the execution's history."""
    spent = (
        f"' (attempt ' & $string($attempt) & '; retries used: ' & $string($jobRetries) & ' of {job.retries.attempts}, "
        f"start retries used: ' & $string($startRetries) & ' of {START_RETRY_ATTEMPTS})'"
    )
    # States.Timeout becomes Job.Timeout, States.TaskFailed Job.TaskFailed.
    error = (
        "$exists($outcome.error) ? ($substringBefore($outcome.error, '.') = 'States' "
        "? 'Job.' & $substringAfter($outcome.error, 'States.') : $outcome.error) "
        f": (({_NEVER_STARTED}) ? '{JOB_FAILED_TO_START}' : '{JOB_FAILED_EXIT_CODE}')"
    )
    meaning = _exit_code_meaning("$outcome.exitCode")
    container_reason = "($exists($outcome.containerReason) ? '; container: ' & $outcome.containerReason : '')"
    out_of_memory = f"($contains({_CAUSE}, '{OUT_OF_MEMORY_REASON}') ? 'killed, out of memory: ' : '')"
    timed_out = f"'timed out after {format_duration(job.timeout)}, the timeout of the job'"
    # A States.* error renamed Job.* keeps its original name at the head of the cause.
    original = "($substringBefore($outcome.error, '.') = 'States' ? $outcome.error & ': ' : '')"
    cause = (
        f"$outcome.error = '{TIMEOUT}' ? {timed_out} "
        f": ($exists($outcome.error) ? ({out_of_memory} & {original} "
        f"& ($exists($outcome.cause) ? {_task_words(container)} : 'no cause given')) "
        ": ($exists($outcome.exitCode) "
        f"? 'container {container} exited with code ' & $string($outcome.exitCode) & {meaning} "
        f"& ' (' & $string($outcome.stoppedReason) & ')' & {container_reason} "
        f": 'container {container} reported no exit code; task stopped: ' & $string($outcome.stoppedReason)))"
    )
    return {
        "Type": "Pass",
        "Comment": "The run has failed: say why, and how many attempts it took.",
        "Assign": {"failure": f"{{% {{'Error': {error}, 'Cause': ({cause}) & {spent}}} %}}"},
        "Next": on_failure,
    }
