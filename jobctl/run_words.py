"""How a run ended, in the words a person reads at 3 a.m.: `timed out after 1h`, `exited 137: killed (SIGKILL),
likely out of memory (OutOfMemoryError: Container killed due to memory usage)`, `skipped (paused)`.

Pure functions on what Step Functions returns (DescribeExecution's error and cause, the execution history's task
descriptions, the definition the run used), so every rule is testable without AWS. They read the job machine's
current names and the names it may take (the error of a timeout, the skip's own reason key), so a stack deployed
before or after a change of the machine reads the same."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

# A run's skip, by why: the lock was held, the job is paused, or the slot already ran (a second delivery).
SKIP_ALREADY_RUNNING = "already_running"
SKIP_PAUSED = "paused"
SKIP_SLOT_ALREADY_RAN = "slot_already_ran"
SKIP_LABELS = {
    SKIP_ALREADY_RUNNING: "skipped (already running)",
    SKIP_PAUSED: "skipped (paused)",
    SKIP_SLOT_ALREADY_RAN: "skipped (slot already ran)",
}
# The same kinds as a machine may name them in its skip output (camelCase, as the machines' other keys are).
_SKIP_NAMES = {
    **{kind: kind for kind in SKIP_LABELS},
    "alreadyRunning": SKIP_ALREADY_RUNNING,
    "slotAlreadyRan": SKIP_SLOT_ALREADY_RAN,
}

# A state that runs past its TimeoutSeconds fails with States.Timeout (ASL spec, "Task state"); the job machine
# re-raises it as Job.Timeout ("States." names are reserved: components/documents/job_machine.py). Any other
# `<Prefix>.Timeout` or `.TimedOut` a machine may raise reads the same.
_TIMEOUT_ERROR = re.compile(r"^[A-Za-z]+\.(Timeout|TimedOut|Timedout)$")
# The job machine's cause of a non-zero exit: "container job exited with code 3 (<stoppedReason>)"
# (components/documents/attempts.py); `exitCode`/`ExitCode` in a stopped task's JSON (ECS API reference, Container).
_EXIT_IN_CAUSE = re.compile(r"exited with code (\d+)")
_TIMEOUT_IN_CAUSE = re.compile(r"timed out after (\d+[dhms][0-9dhms]*)")

# A process killed by signal N exits 128 + N (POSIX shell, "Exit Status"; Docker reports the container's status
# so). SIGKILL (9) is what the kernel's OOM killer sends, and what ECS sends after SIGTERM once stopTimeout has
# passed: a container over its memory stops with "OutOfMemoryError: Container killed due to memory usage" as its
# reason (ECS developer guide, "Troubleshooting Amazon ECS OutOfMemoryError errors").
_SIGNAL_BASE = 128
_SIGNALS = {
    1: ("SIGHUP", "hung up"),
    2: ("SIGINT", "interrupted"),
    6: ("SIGABRT", "aborted"),
    9: ("SIGKILL", "killed"),
    11: ("SIGSEGV", "crashed"),
    15: ("SIGTERM", "terminated"),
}
_LIKELY = {9: "likely out of memory", 15: "stopped from outside (ECS sends SIGTERM to stop a task)"}


def plain_duration(seconds: int) -> str:
    """`1h`, `1h30m`, `45m`, `90s` -> `1m30s`: the way a job's timeout is written."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def skip_kind(output: Mapping[str, Any]) -> str:
    """Why a run that ended in a skip was skipped, from its output: the machine's own key when it names one
    (`skip` or `skipReason`), else its `reason` text ("paused by ...", "slot ... already ran in execution ...")."""
    for key in ("skip", "skipReason", "skipped"):
        named = output.get(key)
        if isinstance(named, str) and named in _SKIP_NAMES:
            return _SKIP_NAMES[named]
    reason = str(output.get("reason") or "")
    if reason.startswith("paused"):
        return SKIP_PAUSED
    if "already ran" in reason or "second delivery" in reason:
        return SKIP_SLOT_ALREADY_RAN
    return SKIP_ALREADY_RUNNING


def is_timeout(error: str | None) -> bool:
    return bool(error) and _TIMEOUT_ERROR.match(str(error)) is not None


def timeout_words(seconds: int | None, cause: str | None = None) -> str:
    """`timed out after 1h`; the limit from the cause when it names one, else `seconds`; `timed out` if neither."""
    named = _TIMEOUT_IN_CAUSE.search(cause or "")
    if named:
        return f"timed out after {named.group(1)}"
    return "timed out" if seconds is None else f"timed out after {plain_duration(seconds)}"


def exit_words(code: int, reason: str | None = None) -> str:
    """`exited 3`, or for a signal `exited 137: killed (SIGKILL), likely out of memory (<ECS's reason>)`."""
    words = f"exited {code}"
    signal = code - _SIGNAL_BASE
    if signal in _SIGNALS:
        name, what = _SIGNALS[signal]
        words += f": {what} ({name})"
        if signal in _LIKELY:
            words += f", {_LIKELY[signal]}"
    return f"{words} ({reason})" if reason else words


def is_signal(code: int | None) -> bool:
    return code is not None and code - _SIGNAL_BASE in _SIGNALS


def _get(mapping: Mapping[str, Any], key: str) -> Any:
    """A key of a task description in either case: Step Functions returns ECS's fields PascalCase, ECS camelCase."""
    return mapping.get(key[0].upper() + key[1:], mapping.get(key))


def _task(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def stopped_container(task: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """The exit code and ECS `reason` of the task's container that exited non-zero (or of its first container)."""
    containers = [c for c in _get(task, "containers") or [] if isinstance(c, Mapping)]
    failed = [c for c in containers if _get(c, "exitCode") not in (None, 0)] or containers
    if not failed:
        return None, None
    code, reason = _get(failed[0], "exitCode"), _get(failed[0], "reason")
    return (int(code) if isinstance(code, int) else None), (str(reason) if reason else None)


def exit_of_cause(cause: str | None) -> tuple[int | None, str | None]:
    """The exit code (and ECS's container reason) a failed run's cause holds: a stopped task as JSON (runTask.sync's
    States.TaskFailed), or the machine's "exited with code N" text."""
    task = _task(cause)
    if task:
        return stopped_container(task)
    found = _EXIT_IN_CAUSE.search(cause or "")
    return (int(found.group(1)), None) if found else (None, None)


def container_reason_from_history(events: Iterable[Mapping[str, Any]]) -> str | None:
    """ECS's `reason` for the container of the run's last stopped task, from the execution history's task events
    (TaskSucceeded's output or TaskFailed's cause: the task runTask.sync returned)."""
    found: str | None = None
    for event in sorted(events, key=lambda e: int(e.get("id", 0))):
        details = event.get("taskSucceededEventDetails") or event.get("taskFailedEventDetails") or {}
        task = _task(details.get("output") or details.get("cause"))
        if task:
            _, reason = stopped_container(task)
            found = reason or found
    return found


_RUN_STATES = ("RunJob", "RunJobOnSpot")


def task_timeout_seconds(definition: Mapping[str, Any]) -> int | None:
    """The TimeoutSeconds of the definition's run state (RunJob, RunJobOnSpot: one value for both), found by its
    name or else by its `ecs:runTask` resource."""
    states = {k: v for k, v in (definition.get("States") or {}).items() if isinstance(v, Mapping)}
    ordered = [states[n] for n in _RUN_STATES if n in states] + [
        s for s in states.values() if ":ecs:runTask" in str(s.get("Resource", ""))
    ]
    for state in ordered:
        if isinstance(state.get("TimeoutSeconds"), int):
            return int(state["TimeoutSeconds"])
    return None


def execution_timeout_seconds(definition: Mapping[str, Any]) -> int | None:
    value = definition.get("TimeoutSeconds")
    return value if isinstance(value, int) else None


def end_words(
    outcome: str,
    error: str | None,
    cause: str | None,
    skip: str | None,
    *,
    task_timeout: int | None = None,
    execution_timeout: int | None = None,
    container_reason: str | None = None,
) -> str | None:
    """The run's end in plain words, or None while it runs (or when it is known only from a listing).

    `outcome` is jobctl's (runs.py: succeeded, skipped, failed, timed_out, aborted, ...); `task_timeout` the run
    state's TimeoutSeconds and `execution_timeout` the machine's, from the definition the run used."""
    if outcome == "succeeded":
        return "succeeded"
    if outcome == "skipped":
        return SKIP_LABELS[skip or SKIP_ALREADY_RUNNING]
    if outcome == "timed_out":  # the whole execution ran past the machine's TimeoutSeconds
        return timeout_words(execution_timeout, cause) + " (the run's execution timeout)"
    if outcome == "aborted":
        return "stopped from outside" + (f": {cause}" if cause else "")
    if outcome not in ("failed", "pending_redrive"):
        return None
    if is_timeout(error):
        return timeout_words(task_timeout, cause)
    code, reason = exit_of_cause(cause)
    if code is not None:
        return exit_words(code, reason or container_reason)
    return "failed" + (f": {error}" if error else "")
