"""What every run's container is told about its run, executed on moto: the slot it runs for (the same on
every retry, after midnight too), the job, the execution and the attempt, beside the run's own variables."""

from __future__ import annotations

from typing import Any

import pytest

from components.model.spec import Job
from tests.support import moto_harness as harness
from tests.support.moto_harness import ACCOUNT, REGION, REPORT, Aws, RunRequest

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:test-report"
SLOT = "2026-11-29T23:00:00Z"


def _environment(run: RunRequest) -> dict[str, str]:
    [override] = run.run_task["Overrides"]["ContainerOverrides"]
    names = [entry["Name"] for entry in override["Environment"]]
    assert len(names) == len(set(names)), names  # each variable once
    return {entry["Name"]: entry["Value"] for entry in override["Environment"]}


def test_a_scheduled_run_and_its_retry_are_told_the_same_slot_and_their_attempt(aws: Aws) -> None:
    machine = aws.job_machine(REPORT.model_copy(update={"inputs": {"DRY_RUN": None}}))
    execution = aws.start(machine, "slot", {"scheduledTime": SLOT, "environment": {"DRY_RUN": True}})
    first = aws.next_run()
    assert _environment(first) == {
        "DRY_RUN": "true",
        "SCHEDULED_TIME": SLOT,
        "JOB_NAME": "report",
        "JOB_EXECUTION_ARN": f"{EXECUTION}:slot",
        "JOB_ATTEMPT": "1",
    }
    aws.task_stopped(first, exit_code=1)  # REPORT retries once
    retry = aws.next_run()
    # The retry runs later, past midnight here, and still works for the 23:00 slot, with the run's own input.
    assert _environment(retry) == {**_environment(first), "JOB_ATTEMPT": "2"}
    aws.task_stopped(retry, exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"


def test_a_manual_run_is_told_when_it_started_unless_it_names_a_slot(aws: Aws) -> None:
    machine = aws.job_machine()
    execution = aws.start(machine, "by-hand")
    run = aws.next_run()
    started = aws.sfn.describe_execution(executionArn=execution)["startDate"]
    told = _environment(run)["SCHEDULED_TIME"]
    assert told.startswith(started.strftime("%Y-%m-%dT%H:%M:%S")), (told, started)
    aws.task_stopped(run, exit_code=0)
    aws.ended(execution)


RESERVED = ["SCHEDULED_TIME", "JOB_NAME", "JOB_EXECUTION_ARN", "JOB_ATTEMPT"]


@pytest.mark.parametrize("name", RESERVED)
def test_a_run_cannot_pass_its_own_value_for_a_run_context_variable(aws: Aws, name: str) -> None:
    # A run-context name can be no job's input (components/model/spec.py), so a start that gives one is refused
    # before the slot's claim, and no container is told the run's own value.
    execution = aws.start(aws.job_machine(), "own", {"scheduledTime": SLOT, "environment": {name: "mine"}})
    ended = aws.ended(execution)
    assert (ended["status"], ended["error"]) == ("FAILED", "Job.InputRefused")
    assert f"does not accept {name} as run inputs" in ended["cause"]
    aws.no_more_runs()


def test_the_run_on_demand_after_spot_keeps_the_slot(aws: Aws) -> None:
    from tests.support.moto_run_states import SPOT, answer_spot_interruption

    spot: Job = SPOT
    execution = aws.start(aws.job_machine(spot), "spot", {"scheduledTime": SLOT})
    on_spot = aws.next_run()
    answer_spot_interruption(aws, on_spot, exit_code=0)
    on_demand = aws.next_run()
    told: dict[str, Any] = _environment(on_demand)
    assert (told["SCHEDULED_TIME"], told["JOB_ATTEMPT"]) == (SLOT, "2")
    aws.task_stopped(on_demand, exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
