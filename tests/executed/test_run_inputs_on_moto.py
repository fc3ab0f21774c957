"""A run's input, executed on moto with the job's real machine: declared inputs with allowed values reach the
container; an undeclared name, a value the declaration does not allow, or a slot in the future ends the execution
in `Job.InputRefused` before anything is claimed, locked or run (components/documents/run_inputs.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.documents.run_inputs import INPUT_REFUSED
from tests.support import moto_harness as harness
from tests.support.moto_harness import JOB, NAMES, REPORT, SHARED, Aws, RunRequest

aws = harness.aws
DECLARING = REPORT.model_copy(update={"inputs": {"REPORT_DAY": r"\d{4}-\d{2}-\d{2}", "MODE": ["full", "delta"]}})
PAST_SLOT = "2026-11-30T06:00:00Z"


def _environment(run: RunRequest) -> dict[str, str]:
    [override] = run.run_task["Overrides"]["ContainerOverrides"]
    return {entry["Name"]: entry["Value"] for entry in override["Environment"]}


def _refused(aws: Aws, execution: str) -> str:
    ended = aws.ended(execution)
    assert (ended["status"], ended.get("error")) == ("FAILED", INPUT_REFUSED), ended
    assert aws.entered(execution) == ["ClaimSlot", "InputRefused"]
    aws.no_more_runs()
    assert aws.stored() is None  # no lock taken, nothing remembered
    claims = aws.ddb.scan(TableName=SHARED.lock_table)["Items"]
    assert claims == [], claims  # no slot or run claimed
    assert aws.alerts() == []
    return str(ended["cause"])


def test_declared_inputs_with_allowed_values_reach_the_container(aws: Aws) -> None:
    environment = {"REPORT_DAY": "2026-11-28", "MODE": "delta"}
    execution = aws.start(
        aws.job_machine(DECLARING), "declared", {"scheduledTime": PAST_SLOT, "environment": environment}
    )
    run = aws.next_run()
    assert _environment(run).items() >= environment.items()
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    "environment",
    [
        {"LD_PRELOAD": "/tmp/evil.so"},
        {"PYTHONWARNINGS": "ignore::antigravity.x", "BROWSER": "/bin/sh -c id"},
        {"NODE_OPTIONS": "--require /tmp/x.js"},
        {"AWS_ENDPOINT_URL": "https://attacker.example"},
        {"DRY_RUN": "false"},  # the job's own setting, not declared as an input
        {"JOB_ATTEMPT": "1"},  # a run-context name
        {"REPORT_DAY": "2026-11-28", "EXTRA": "x"},  # one undeclared beside a declared one
    ],
    ids=["loader", "python", "node", "sdk", "own-setting", "run-context", "one-of-two"],
)
def test_an_undeclared_name_never_reaches_the_container_and_nothing_is_claimed(
    aws: Aws, environment: dict[str, Any]
) -> None:
    execution = aws.start(aws.job_machine(DECLARING), "undeclared", {"environment": environment})
    cause = _refused(aws, execution)
    undeclared = sorted(set(environment) - {"REPORT_DAY"}, key=list(environment).index)
    assert f"{JOB} does not accept {', '.join(undeclared)} as run inputs; it declares REPORT_DAY, MODE" in cause


def test_a_job_that_declares_nothing_refuses_any_name(aws: Aws) -> None:
    cause = _refused(aws, aws.start(aws.job_machine(REPORT), "none", {"environment": {"DAY": "2026-11-28"}}))
    assert "it declares none" in cause


@pytest.mark.parametrize(
    ("environment", "words"),
    [
        ({"MODE": "everything"}, "MODE may be one of 'full', 'delta', not everything"),
        ({"REPORT_DAY": "2026-11-28; rm -rf /"}, "REPORT_DAY may be a value matching"),
    ],
)
def test_a_value_the_declaration_does_not_allow_is_refused(aws: Aws, environment: dict[str, str], words: str) -> None:
    assert words in _refused(aws, aws.start(aws.job_machine(DECLARING), "value", {"environment": environment}))


def test_a_hand_started_run_cannot_claim_a_future_slot_and_the_slots_own_run_then_runs(aws: Aws) -> None:
    machine = aws.job_machine(REPORT)
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cause = _refused(aws, aws.start(machine, "ahead", {"scheduledTime": future}))
    assert f"slot {future} is in the future" in cause
    # The slot that has come (as Scheduler delivers it) is claimed and runs.
    execution = aws.start(machine, "scheduled", {"scheduledTime": PAST_SLOT})
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"


def _stopped_task(run: RunRequest, exit_code: int) -> str:
    """runTask.sync's States.TaskFailed cause for this attempt: the stopped task's description as JSON, with the
    overrides the attempt really asked for (what the run was given included)."""
    return json.dumps(
        {
            "TaskArn": f"arn:aws:ecs:eu-central-1:123456789012:task/{SHARED.cluster}/0123456789abcdef",
            "LastStatus": "STOPPED",
            "StopCode": "EssentialContainerExited",
            "StoppedReason": "Essential container in task exited",
            "Containers": [{"Name": NAMES.container, "LastStatus": "STOPPED", "ExitCode": exit_code}],
            "Overrides": run.run_task["Overrides"],
        }
    )


def test_what_a_run_was_given_reaches_no_alert_when_its_task_fails(aws: Aws) -> None:
    environment = {"REPORT_DAY": "2026-11-28", "MODE": "delta"}
    execution = aws.start(aws.job_machine(DECLARING), "given", {"scheduledTime": PAST_SLOT, "environment": environment})
    for _ in range(1 + REPORT.retries.attempts):
        run = aws.next_run()
        assert _environment(run).items() >= environment.items()
        aws.task_failed(run, "States.TaskFailed", _stopped_task(run, exit_code=3))
    ended = aws.ended(execution)
    assert (ended["status"], ended["error"]) == ("FAILED", "Job.TaskFailed")
    alerts = aws.alerts()
    assert alerts, "the failure was not alerted"
    for told in [ended["cause"], *map(json.dumps, alerts)]:
        assert "task stopped (EssentialContainerExited): Essential container in task exited" in told
        assert f"container {NAMES.container} exited with code 3" in told
        for given in ("2026-11-28", "delta", "REPORT_DAY", "ContainerOverrides"):
            assert given not in told
