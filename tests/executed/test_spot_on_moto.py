"""capacity="spot", executed on moto through tests/support/moto_harness.py
and tests/support/moto_run_states.py (workarounds 1-11
there). Every assertion is on the lock table, on the states an execution entered and on how it ended."""

from __future__ import annotations

import json

import pytest

from components.model.spec import Job
from tests.support import moto_harness as harness
from tests.support import moto_run_states as run_states
from tests.support.moto_harness import Aws
from tests.support.moto_run_states import (
    SPOT,
    SPOT_INTERRUPTED_TASK,
    answer_spot_interruption,
    answer_success,
    asks_for_spot,
    create_machine,
)

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS
aws_sdk_parameters = run_states.aws_sdk_parameters  # workaround 11, for every test here
waits = run_states.waits  # workaround 10: Wait states recorded, not slept


# --- capacity="spot" -------------------------------------------------------------------------------------------


def _spot_job(attempts: int, backoff_rate: float = 2.0) -> Job:
    return SPOT.model_copy(
        update={"retries": SPOT.retries.model_copy(update={"attempts": attempts, "backoff_rate": backoff_rate})}
    )


@pytest.mark.parametrize("error", ["ECS.AmazonECSException", "AmazonECS.Unknown"])
def test_no_spot_capacity_runs_on_demand_at_once(aws: Aws, waits: list[int], error: str) -> None:
    execution = aws.start(create_machine(aws, SPOT), "no-spot-capacity")
    on_spot = aws.next_run()
    assert asks_for_spot(on_spot)
    aws.task_failed(on_spot, error, "RESOURCE:FARGATE_SPOT capacity unavailable")
    on_demand = aws.next_run()
    assert (on_demand.execution, asks_for_spot(on_demand)) == (execution, False)
    assert aws.holder() == execution
    answer_success(aws, on_demand)
    assert aws.entered(execution) == [
        "ClaimSlot",
        "AcquireLock",
        "RunJobOnSpot",
        "ClassifyAttempt",
        "RunJob",
        "ClassifyAttempt",
        "ReleaseLock",
    ]
    assert (aws.retry_waits, waits) == ([], [])  # no start retry on Spot, no job retry, no wait
    aws.no_more_runs()
    assert aws.lock() is None


def test_no_spot_capacity_leaves_the_jobs_retries_to_the_on_demand_run(aws: Aws, waits: list[int]) -> None:
    execution = aws.start(create_machine(aws, SPOT), "no-spot-then-failure")
    aws.task_failed(aws.next_run(), "AmazonECS.Unknown", "RESOURCE:FARGATE_SPOT capacity unavailable")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    retry = aws.next_run()  # retries=1: the on-demand run still has its retry
    assert (retry.execution, asks_for_spot(retry)) == (execution, False)
    answer_success(aws, retry)
    assert waits == [SPOT.retries.interval]
    assert aws.retry_waits == []
    aws.no_more_runs()
    assert aws.lock() is None


def test_spot_interruption_reported_as_task_failure_runs_again_on_demand(aws: Aws, waits: list[int]) -> None:
    execution = aws.start(create_machine(aws, SPOT), "interrupted")
    on_spot = aws.next_run()
    assert asks_for_spot(on_spot)
    # runTask.sync fails a stopped task with States.TaskFailed and the task description as the cause.
    aws.task_failed(on_spot, "States.TaskFailed", json.dumps(SPOT_INTERRUPTED_TASK))
    on_demand = aws.next_run()
    assert (on_demand.execution, asks_for_spot(on_demand)) == (execution, False)
    assert aws.holder() == execution
    answer_success(aws, on_demand)
    assert aws.entered(execution) == [
        "ClaimSlot",
        "AcquireLock",
        "RunJobOnSpot",
        "ClassifyAttempt",
        "RunJob",
        "ClassifyAttempt",
        "ReleaseLock",
    ]
    assert (aws.retry_waits, waits) == ([], [])  # the interruption spent no retry
    aws.no_more_runs()
    assert aws.lock() is None


def test_spot_interruption_with_exit_code_0_runs_again_on_demand(aws: Aws, waits: list[int]) -> None:
    # The container may exit 0 on the SIGTERM of the interruption: that run did not finish.
    execution = aws.start(create_machine(aws, SPOT), "interrupted-exit-0")
    on_spot = aws.next_run()
    assert asks_for_spot(on_spot)
    answer_spot_interruption(aws, on_spot, exit_code=0)
    on_demand = aws.next_run()
    assert (on_demand.execution, asks_for_spot(on_demand)) == (execution, False)
    answer_success(aws, on_demand)
    assert aws.entered(execution) == [
        "ClaimSlot",
        "AcquireLock",
        "RunJobOnSpot",
        "ClassifyAttempt",
        "RunJob",
        "ClassifyAttempt",
        "ReleaseLock",
    ]
    assert (aws.retry_waits, waits) == ([], [])
    aws.no_more_runs()
    assert aws.lock() is None


@pytest.mark.parametrize(("retry_outcome", "status"), [("exit 0", "SUCCEEDED"), ("task failed", "FAILED")])
def test_job_failure_on_spot_is_retried_once_on_demand(
    aws: Aws, waits: list[int], retry_outcome: str, status: str
) -> None:
    execution = aws.start(create_machine(aws, SPOT), "failed-on-spot")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    retry = aws.next_run()
    assert (retry.execution, asks_for_spot(retry)) == (execution, False)
    assert aws.holder() == execution
    if retry_outcome == "exit 0":
        answer_success(aws, retry)
    else:
        aws.task_failed(retry, "States.TaskFailed", "Essential container in task exited")
        ended = aws.ended(execution)
        assert (ended["status"], ended["error"]) == ("FAILED", "Job.TaskFailed")
        assert ended["cause"] == (
            "States.TaskFailed: Essential container in task exited "
            "(attempt 2; retries used: 1 of 1, start retries used: 0 of 3)"
        )
    assert aws.entered(execution)[:6] == [
        "ClaimSlot",
        "AcquireLock",
        "RunJobOnSpot",
        "ClassifyAttempt",
        "WaitBeforeRetry",
        "RunJob",
    ]
    assert aws.ended(execution)["status"] == status
    assert waits == [SPOT.retries.interval]
    assert aws.retry_waits == []  # retries=1 was the one on-demand run: not two
    aws.no_more_runs()
    assert aws.lock() is None


def test_job_failure_on_spot_without_retries_fails_at_once(aws: Aws, waits: list[int]) -> None:
    execution = aws.start(create_machine(aws, _spot_job(attempts=0)), "failed-on-spot-no-retries")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    ended = aws.ended(execution)
    assert (ended["status"], ended["error"]) == ("FAILED", "Job.TaskFailed")
    assert aws.entered(execution) == [
        "ClaimSlot",
        "AcquireLock",
        "RunJobOnSpot",
        "ClassifyAttempt",
        "RunFailed",
        "ReleaseLockAfterFailure",
        "AlertNow",
        "SendFailureAlert",
        "FailRun",
    ]
    assert (aws.retry_waits, waits) == ([], [])
    aws.no_more_runs()
    assert aws.lock() is None


def test_retries_after_a_job_failure_on_spot_keep_the_backoff(aws: Aws, waits: list[int]) -> None:
    job = _spot_job(attempts=2, backoff_rate=2.0)
    execution = aws.start(create_machine(aws, job), "backoff-after-spot")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")  # on Spot
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")  # retry 1
    answer_success(aws, aws.next_run())  # retry 2
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    # On demand, retries=2 waits 60 s then 120 s; after a failure on Spot it does too.
    assert (waits, aws.retry_waits) == ([job.retries.interval, job.retries.interval * 2], [])
