"""The plain words of a run's end (jobctl/run_words.py), for every kind of end, from the job machine's names of
today and those it may take (a skip naming its own kind, another timeout error name)."""

from __future__ import annotations

import json

import pytest

from jobctl.run_words import (
    end_words,
    exit_of_cause,
    exit_words,
    plain_duration,
    skip_kind,
    task_timeout_seconds,
)

OOM = "OutOfMemoryError: Container killed due to memory usage"


@pytest.mark.parametrize(
    ("output", "kind"),
    [
        ({"outcome": "skipped", "reason": "already running: another execution holds the lock"}, "already_running"),
        ({"outcome": "skipped", "reason": "paused by arn:aws:sts::1:assumed-role/x at 2026-11-30T03:12:00Z"}, "paused"),
        ({"outcome": "skipped", "reason": "slot 2026-11-30T06:00:00Z already ran in execution x"}, "slot_already_ran"),
        ({"outcome": "skipped", "skip": "paused", "reason": "whatever the text says"}, "paused"),
        ({"outcome": "skipped", "skipReason": "slotAlreadyRan"}, "slot_already_ran"),
        ({"outcome": "skipped"}, "already_running"),
    ],
)  # fmt: skip
def test_a_skip_is_known_by_its_reason_or_by_the_kind_the_machine_names(output: dict[str, str], kind: str) -> None:
    assert skip_kind(output) == kind


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        (3, None, "exited 3"),
        (137, None, "exited 137: killed (SIGKILL), likely out of memory"),
        (137, OOM, f"exited 137: killed (SIGKILL), likely out of memory ({OOM})"),
        (143, None, "exited 143: terminated (SIGTERM), stopped from outside (ECS sends SIGTERM to stop a task)"),
        (139, None, "exited 139: crashed (SIGSEGV)"),
        (200, None, "exited 200"),
    ],
)
def test_an_exit_by_a_signal_names_the_signal_and_its_likely_cause(code: int, reason: str | None, words: str) -> None:
    assert exit_words(code, reason) == words


@pytest.mark.parametrize("error", ["Job.Timeout", "States.Timeout", "Job.TimedOut"])
def test_a_timeout_says_after_how_long_whatever_the_machine_calls_it(error: str) -> None:
    assert end_words("failed", error, "States.Timeout: no cause given", None, task_timeout=3600) == "timed out after 1h"
    assert end_words("failed", error, "", None) == "timed out"
    assert end_words("failed", error, "the run timed out after 1h30m (RunJob)", None) == "timed out after 1h30m"


def test_a_timed_out_execution_names_the_execution_timeout() -> None:
    words = end_words("timed_out", None, None, None, execution_timeout=5400)
    assert words == "timed out after 1h30m (the run's execution timeout)"


def test_the_exit_code_and_reason_come_from_a_stopped_task_in_either_case_or_from_the_machines_text() -> None:
    pascal = {"Containers": [{"Name": "sidecar", "ExitCode": 0}, {"Name": "job", "ExitCode": 137, "Reason": OOM}]}
    camel = {"containers": [{"name": "job", "exitCode": 137, "reason": OOM}]}
    assert exit_of_cause(json.dumps(pascal)) == exit_of_cause(json.dumps(camel)) == (137, OOM)
    assert exit_of_cause("container job exited with code 3 (Essential container in task exited)") == (3, None)
    assert exit_of_cause("no cause given") == (None, None)
    assert end_words("failed", "Job.NonZeroExit", json.dumps(camel), None) == exit_words(137, OOM)
    assert end_words("failed", "Job.StartFailed", "CannotPullContainerError", None) == "failed: Job.StartFailed"


def test_the_task_timeout_is_the_run_states_by_name_or_by_its_ecs_resource() -> None:
    by_name = {"States": {"AcquireLock": {"Type": "Task"}, "RunJob": {"TimeoutSeconds": 600}}}
    by_resource = {"States": {"Go": {"Resource": "arn:aws:states:::ecs:runTask.sync", "TimeoutSeconds": 60}}}
    assert (task_timeout_seconds(by_name), task_timeout_seconds(by_resource), task_timeout_seconds({})) == (
        600,
        60,
        None,
    )
    assert [plain_duration(s) for s in (3600, 5400, 90, 86400 + 60)] == ["1h", "1h30m", "1m30s", "1d1m"]
