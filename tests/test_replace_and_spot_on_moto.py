"""concurrency="replace" and capacity="spot", executed: the generated state machines run on moto's Step
Functions interpreter with moto's DynamoDB as the lock table, through tests/moto_harness.py
(its `aws` fixture and its numbered workarounds 1-9). Every assertion is on the lock table, on the states
an execution entered and on how it ended.

Workarounds added here, each named where it is applied:

10. Every run state has the RunJob stand-in: workaround 1 swaps RunJob only, but with capacity="spot" the
    job also runs in RunJobOnSpot and RetryOnDemand (same `ecs:runTask.sync`). `_with_run_stand_ins` swaps
    the `Resource` and `Arguments` of each of them the same way and asserts that nothing else changed. The
    runTask arguments still reach the test, so it sees which placement each attempt asked for.
11. Wait states: moto sleeps a Wait state's Seconds for real (WaitBeforeRetry waits the job's retry
    interval, a minute here); the test records each wait instead, as workaround 3 does for Retry intervals.
12. aws-sdk parameter names: StopLockHolder's `arn:aws:states:::aws-sdk:sfn:stopExecution` runs as generated
    on moto's interpreter, which calls the service through boto3 (routed by mock_aws to moto's own Step
    Functions, so one execution really stops another). But moto 5 left out the step that turns the ASL's
    PascalCase arguments (ExecutionArn, Error, Cause) into the API's member names (executionArn, error,
    cause): `_normalise_parameters` is a no-op there, and StopLockHolder fails with States.Runtime
    'ExecutionArn'. The test restores that step for aws-sdk tasks, from botocore's model of the operation,
    as LocalStack (where moto's interpreter comes from) does. DynamoDB and SQS need no such step: their API
    member names are PascalCase already. StopLockHolder itself is not swapped (asserted in `_machine`).

Limits of moto that need no workaround, only care in the assertions:
- Stopping: as in workaround 7, moto marks the stopped holder ABORTED only once its pending run is answered,
  so the tests answer it after the stop and assert that the holder entered no state after RunJob.
- moto's StopExecution handler reads only executionArn and drops `error` and `cause` (the holder's abort
  event shows them empty), so Job.Replaced and "replaced by <arn>" are checked on the request StopLockHolder
  made (its TaskScheduled event), not on the stopped execution.

Interleavings are forced, not waited for: two tests hold moto's DynamoDB GetItem (a barrier, or an event)
to fix the order of the replacers' reads and takeovers, and one deletes the lock just before the read.
This orders what real DynamoDB might also do; it changes no state.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from moto.dynamodb.models import DynamoDBBackend
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from components.asl import job_definition
from components.naming import job_names
from components.spec import Job
from tests import moto_harness as harness
from tests.moto_harness import (
    ACCOUNT,
    JOB,
    NAMES,
    PREFIX,
    REGION,
    ROLE,
    SHARED,
    TARGET,
    WAIT,
    Aws,
    RunRequest,
)

aws = harness.aws  # the harness's fixture: moto with workarounds 1-9, and the test playing ECS

RUN_STATES = ("RunJob", "RunJobOnSpot", "RetryOnDemand")
REPLACE = Job(
    name=JOB,
    command=["python", "-m", "app.report"],
    timeout="10m",
    retries={"attempts": 1, "interval": "1m"},
    concurrency="replace",
)
SPOT = Job(
    name=JOB,
    command=["python", "-m", "app.report"],
    timeout="10m",
    retries={"attempts": 1, "interval": "1m"},
    capacity="spot",
)
REPLACED_UP_TO_RUN = ["AcquireLock", "ReadLockHolder", "LockHolderFound", "StopLockHolder", "TakeOverLock", "RunJob"]
SPOT_INTERRUPTED_TASK: dict[str, Any] = {
    "TaskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{SHARED.cluster}/0123456789abcdef",
    "LastStatus": "STOPPED",
    "StopCode": "SpotInterruption",
    "StoppedReason": "Your Spot Task was interrupted.",
    "Containers": [{"Name": NAMES.container, "LastStatus": "STOPPED", "ExitCode": 143}],
}


def _with_run_stand_ins(definition: dict[str, Any], queue_url: str) -> dict[str, Any]:
    """Workaround 10: workaround 1 applied to every state that runs the job's task."""
    swapped = copy.deepcopy(definition)
    runs = [name for name in RUN_STATES if name in definition["States"]]
    for name in runs:
        swapped["States"][name]["Resource"] = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
        swapped["States"][name]["Arguments"] = {
            "QueueUrl": queue_url,
            "MessageBody": {
                "token": "{% $states.context.Task.Token %}",
                "execution": "{% $states.context.Execution.Id %}",
                "runTask": definition["States"][name]["Arguments"],  # still evaluated, so the test sees them
            },
        }

    def without_targets(states: dict[str, Any]) -> dict[str, Any]:
        return {
            name: {k: v for k, v in state.items() if name not in runs or k not in ("Resource", "Arguments")}
            for name, state in states.items()
        }

    assert without_targets(swapped["States"]) == without_targets(definition["States"])
    assert {k: v for k, v in swapped.items() if k != "States"} == {k: v for k, v in definition.items() if k != "States"}
    return swapped


def _aws_sdk_parameters_by_member_name(
    service: StateTaskServiceAwsSdk,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    """Workaround 12: {"ExecutionArn": ...} -> {"executionArn": ...}, by the operation's input shape."""
    model = botocore.session.get_session().get_service_model(service._get_boto_service_name(boto_service_name))
    action = service_action_name or service.resource.api_action
    service._to_boto_request(parameters, model.operation_model(action[0].upper() + action[1:]).input_shape)


@pytest.fixture(autouse=True)
def aws_sdk_parameters(aws: Aws) -> None:
    aws.monkeypatch.setattr(StateTaskServiceAwsSdk, "_normalise_parameters", _aws_sdk_parameters_by_member_name)


@pytest.fixture
def waits(aws: Aws) -> list[int]:
    """Workaround 11: the Wait states' seconds, recorded instead of slept."""
    recorded: list[int] = []

    def record(function: WaitFunction, env: Any, wait_seconds: int) -> None:
        recorded.append(wait_seconds)

    aws.monkeypatch.setattr(WaitFunction, "_wait_interval", record)
    return recorded


def _machine(aws: Aws, job: Job) -> str:
    definition = _with_run_stand_ins(job_definition(job, TARGET, SHARED.lock_table), aws.queue)
    if "StopLockHolder" in definition["States"]:  # as generated: workaround 12 is in moto, not here
        assert definition["States"]["StopLockHolder"]["Resource"] == "arn:aws:states:::aws-sdk:sfn:stopExecution"
    created = aws.sfn.create_state_machine(
        name=job_names(PREFIX, JOB).state_machine, definition=json.dumps(definition), roleArn=ROLE
    )
    return str(created["stateMachineArn"])


def _execution_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{NAMES.state_machine}:{name}"


def _spot(run: RunRequest) -> bool:
    """Whether the attempt asked for Fargate Spot (a capacity provider) rather than on-demand Fargate."""
    if "CapacityProviderStrategy" in run.run_task:
        assert run.run_task["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
        assert "LaunchType" not in run.run_task
        return True
    assert run.run_task["LaunchType"] == "FARGATE"
    return False


def _stop_requests(aws: Aws, execution: str) -> list[dict[str, Any]]:
    """The StopExecution requests `execution` made (its aws-sdk:sfn:stopExecution tasks' parameters)."""
    events = aws.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    scheduled = [e["taskScheduledEventDetails"] for e in events if "taskScheduledEventDetails" in e]
    return [json.loads(task["parameters"]) for task in scheduled if task["resourceType"] == "aws-sdk:sfn"]


def _replaced(aws: Aws, execution: str, by: list[str], entered: tuple[str, ...] = ("AcquireLock", "RunJob")) -> None:
    """`execution` was stopped by the replacers `by` while its run was pending: answer that run (workaround
    7 only wakes moto's waiting thread) and check it ended ABORTED, nothing run after the stop. moto's
    StopExecution handler drops the request's error and cause, so they are checked on the request."""
    for run in [run for run in aws.pending.values() if run.execution == execution]:
        aws.task_stopped(run, exit_code=0)
    ended = aws.ended(execution)
    assert ended["status"] == "ABORTED", ended
    assert aws.entered(execution) == list(entered)  # nothing ran after the stop
    for replacer in by:
        assert _stop_requests(aws, replacer) == [
            {"ExecutionArn": execution, "Error": "Job.Replaced", "Cause": f"replaced by {replacer}"}
        ]


def _skipped_after_reading(aws: Aws, execution: str) -> None:
    ended = aws.ended(execution)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"])["outcome"] == "skipped"
    assert aws.entered(execution) == [*REPLACED_UP_TO_RUN[:-1], "SkippedAlreadyRunning"]


def _stopped_by_spot(aws: Aws, run: RunRequest, exit_code: int) -> None:
    """ECS reports the task STOPPED because Spot took the capacity back (StopCode SpotInterruption)."""
    task = copy.deepcopy(SPOT_INTERRUPTED_TASK)
    task["Containers"][0]["ExitCode"] = exit_code
    del aws.pending[run.token]
    aws.sfn.send_task_success(taskToken=run.token, output=json.dumps(task))


def _succeeds(aws: Aws, run: RunRequest) -> None:
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(run.execution)["status"] == "SUCCEEDED"
    assert aws.entered(run.execution)[-2:] == ["CheckExitCode", "ReleaseLock"]


def _before_reads_of_the_lock(aws: Aws, hook: Callable[[DynamoDBBackend], None]) -> None:
    """Run hook(moto's DynamoDB backend) at every GetItem, before the item is read."""
    original = DynamoDBBackend.get_item

    def get_item(backend: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        hook(backend)
        return original(backend, *args, **kwargs)

    aws.monkeypatch.setattr(DynamoDBBackend, "get_item", get_item)


# --- concurrency="replace" ------------------------------------------------------------------------------------


def test_replacer_stops_the_live_holder_takes_the_lock_and_runs(aws: Aws) -> None:
    machine = _machine(aws, REPLACE)
    holder = aws.start(machine, "holder")
    aws.next_run()
    assert aws.holder() == holder

    replacer = aws.start(machine, "replacer")
    run = aws.next_run()
    assert run.execution == replacer
    assert aws.entered(replacer) == REPLACED_UP_TO_RUN
    assert aws.holder() == replacer
    _replaced(aws, holder, by=[replacer])
    assert aws.holder() == replacer  # the stopped holder released nothing

    _succeeds(aws, run)
    aws.no_more_runs()
    assert aws.lock() is None


def test_two_replacers_started_together_one_runs_and_one_skips(aws: Aws) -> None:
    machine = _machine(aws, REPLACE)
    holder = aws.start(machine, "holder")
    aws.next_run()

    # "Together": both replacers read the holder before either takes the lock over (the first two reads
    # meet at a barrier), so both stop the same holder and the conditional TakeOverLock alone decides.
    both_read = threading.Barrier(2, timeout=WAIT)
    first_two = iter([True, True])

    def meet_at_the_barrier(_: DynamoDBBackend) -> None:
        if next(first_two, False):
            both_read.wait()

    _before_reads_of_the_lock(aws, meet_at_the_barrier)
    replacers = aws.start_together(machine, 2)
    run = aws.next_run()
    assert run.execution in replacers
    assert aws.entered(run.execution) == REPLACED_UP_TO_RUN
    (loser,) = [execution for execution in replacers if execution != run.execution]
    _skipped_after_reading(aws, loser)
    aws.no_more_runs()
    assert aws.holder() == run.execution
    _replaced(aws, holder, by=replacers)  # both stopped it

    _succeeds(aws, run)
    aws.no_more_runs()
    assert aws.lock() is None


def test_replacer_that_reads_the_lock_after_the_other_took_it_over_replaces_that_one(aws: Aws) -> None:
    """Where "exactly one of two replacers runs" ends: if one replacer takes the lock over before the other
    has read it, the other reads the new holder and replaces it in turn (both start a run; the first is
    stopped). The lock never has two holders, and the execution started last runs."""
    machine = _machine(aws, REPLACE)
    holder = aws.start(machine, "holder")
    aws.next_run()

    late_read_waiting, go_on = threading.Event(), threading.Event()
    first = iter([True])

    def hold_the_first_read(_: DynamoDBBackend) -> None:
        if next(first, False):
            late_read_waiting.set()
            assert go_on.wait(WAIT)

    _before_reads_of_the_lock(aws, hold_the_first_read)
    late = aws.start(machine, "late")  # its AcquireLock fails (holder); its read waits
    assert late_read_waiting.wait(WAIT)
    early = aws.start(machine, "early")
    early_run = aws.next_run()
    assert early_run.execution == early
    assert aws.holder() == early
    _replaced(aws, holder, by=[early])

    go_on.set()  # the late replacer reads the lock now: early holds it
    late_run = aws.next_run()
    assert late_run.execution == late
    assert aws.entered(late) == REPLACED_UP_TO_RUN
    assert aws.holder() == late
    _replaced(aws, early, by=[late], entered=tuple(REPLACED_UP_TO_RUN))

    _succeeds(aws, late_run)
    aws.no_more_runs()
    assert aws.lock() is None


def test_lock_released_between_the_failed_put_and_the_read_is_taken_without_a_stop(aws: Aws) -> None:
    aws.put_lock(_execution_arn("finishing"), int(time.time()) + 3600)
    # The holder releases its lock just after the replacer's AcquireLock failed: before the (first) read.
    first = iter([True])

    def release_before_the_first_read(backend: DynamoDBBackend) -> None:
        if next(first, False):
            backend.delete_item(SHARED.lock_table, {"LockId": {"S": JOB}})

    _before_reads_of_the_lock(aws, release_before_the_first_read)
    replacer = aws.start(_machine(aws, REPLACE), "replacer")
    run = aws.next_run()
    assert run.execution == replacer
    assert aws.entered(replacer) == ["AcquireLock", "ReadLockHolder", "LockHolderFound", "TakeOverLock", "RunJob"]
    assert aws.holder() == replacer

    _succeeds(aws, run)
    assert aws.lock() is None


def test_lock_of_an_execution_that_does_not_exist_is_taken_over(aws: Aws) -> None:
    # StopExecution answers ExecutionDoesNotExist (moto, like AWS), which StopLockHolder catches.
    aws.put_lock(_execution_arn("never-started"), int(time.time()) + 3600)
    replacer = aws.start(_machine(aws, REPLACE), "replacer")
    run = aws.next_run()
    assert run.execution == replacer
    assert aws.entered(replacer) == REPLACED_UP_TO_RUN
    history = aws.sfn.get_execution_history(executionArn=replacer)["events"]
    assert [e["taskFailedEventDetails"]["error"] for e in history if "taskFailedEventDetails" in e] == [
        "DynamoDB.ConditionalCheckFailedException",  # AcquireLock
        "Sfn.ExecutionDoesNotExistException",  # StopLockHolder, caught
    ]
    assert aws.holder() == replacer

    _succeeds(aws, run)
    assert aws.lock() is None


# --- capacity="spot" -------------------------------------------------------------------------------------------


def _spot_job(attempts: int, backoff_rate: float = 2.0) -> Job:
    return SPOT.model_copy(
        update={"retries": SPOT.retries.model_copy(update={"attempts": attempts, "backoff_rate": backoff_rate})}
    )


@pytest.mark.parametrize("error", ["ECS.AmazonECSException", "AmazonECS.Unknown"])
def test_no_spot_capacity_runs_on_demand_at_once(aws: Aws, waits: list[int], error: str) -> None:
    execution = aws.start(_machine(aws, SPOT), "no-spot-capacity")
    on_spot = aws.next_run()
    assert _spot(on_spot)
    aws.task_failed(on_spot, error, "RESOURCE:FARGATE_SPOT capacity unavailable")
    on_demand = aws.next_run()
    assert (on_demand.execution, _spot(on_demand)) == (execution, False)
    assert aws.holder() == execution
    _succeeds(aws, on_demand)
    assert aws.entered(execution) == ["AcquireLock", "RunJobOnSpot", "RunJob", "CheckExitCode", "ReleaseLock"]
    assert (aws.retry_waits, waits) == ([], [])  # no start retry on Spot, no job retry, no wait
    aws.no_more_runs()
    assert aws.lock() is None


def test_no_spot_capacity_leaves_the_jobs_retries_to_the_on_demand_run(aws: Aws, waits: list[int]) -> None:
    execution = aws.start(_machine(aws, SPOT), "no-spot-then-failure")
    aws.task_failed(aws.next_run(), "AmazonECS.Unknown", "RESOURCE:FARGATE_SPOT capacity unavailable")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    retry = aws.next_run()  # retries=1: the on-demand run still has its retry
    assert (retry.execution, _spot(retry)) == (execution, False)
    _succeeds(aws, retry)
    assert aws.retry_waits == [SPOT.retries.interval]
    assert waits == []
    aws.no_more_runs()
    assert aws.lock() is None


def test_spot_interruption_reported_as_task_failure_runs_again_on_demand(aws: Aws, waits: list[int]) -> None:
    execution = aws.start(_machine(aws, SPOT), "interrupted")
    on_spot = aws.next_run()
    assert _spot(on_spot)
    # runTask.sync fails a stopped task with States.TaskFailed and the task description as the cause.
    aws.task_failed(on_spot, "States.TaskFailed", json.dumps(SPOT_INTERRUPTED_TASK))
    on_demand = aws.next_run()
    assert (on_demand.execution, _spot(on_demand)) == (execution, False)
    assert aws.holder() == execution
    _succeeds(aws, on_demand)
    assert aws.entered(execution) == [
        "AcquireLock",
        "RunJobOnSpot",
        "SpotRunFailed",
        "RunJob",
        "CheckExitCode",
        "ReleaseLock",
    ]
    assert (aws.retry_waits, waits) == ([], [])  # the interruption spent no retry
    aws.no_more_runs()
    assert aws.lock() is None


def test_spot_interruption_with_exit_code_0_runs_again_on_demand(aws: Aws, waits: list[int]) -> None:
    # The container may exit 0 on the SIGTERM of the interruption: that run did not finish.
    execution = aws.start(_machine(aws, SPOT), "interrupted-exit-0")
    on_spot = aws.next_run()
    assert _spot(on_spot)
    _stopped_by_spot(aws, on_spot, exit_code=0)
    on_demand = aws.next_run()
    assert (on_demand.execution, _spot(on_demand)) == (execution, False)
    _succeeds(aws, on_demand)
    assert aws.entered(execution) == [
        "AcquireLock",
        "RunJobOnSpot",
        "CheckExitCode",
        "RunJob",
        "CheckExitCode",
        "ReleaseLock",
    ]
    assert (aws.retry_waits, waits) == ([], [])
    aws.no_more_runs()
    assert aws.lock() is None


@pytest.mark.parametrize(("retry_outcome", "status"), [("exit 0", "SUCCEEDED"), ("task failed", "FAILED")])
def test_job_failure_on_spot_is_retried_once_on_demand(
    aws: Aws, waits: list[int], retry_outcome: str, status: str
) -> None:
    execution = aws.start(_machine(aws, SPOT), "failed-on-spot")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    retry = aws.next_run()
    assert (retry.execution, _spot(retry)) == (execution, False)
    assert aws.holder() == execution
    if retry_outcome == "exit 0":
        _succeeds(aws, retry)
    else:
        aws.task_failed(retry, "States.TaskFailed", "Essential container in task exited")
        ended = aws.ended(execution)
        assert (ended["status"], ended["error"]) == ("FAILED", "Job.TaskFailed")
        assert ended["cause"] == "States.TaskFailed: Essential container in task exited"
    assert aws.entered(execution)[:5] == [
        "AcquireLock",
        "RunJobOnSpot",
        "SpotRunFailed",
        "WaitBeforeRetry",
        "RetryOnDemand",
    ]
    assert aws.ended(execution)["status"] == status
    assert waits == [SPOT.retries.interval]
    assert aws.retry_waits == []  # retries=1 was the one on-demand run: not two
    aws.no_more_runs()
    assert aws.lock() is None


def test_job_failure_on_spot_without_retries_fails_at_once(aws: Aws, waits: list[int]) -> None:
    execution = aws.start(_machine(aws, _spot_job(attempts=0)), "failed-on-spot-no-retries")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    ended = aws.ended(execution)
    assert (ended["status"], ended["error"]) == ("FAILED", "Job.TaskFailed")
    assert aws.entered(execution) == [
        "AcquireLock",
        "RunJobOnSpot",
        "SpotRunFailed",
        "ReleaseLockAfterFailure",
        "FailRun",
    ]
    assert (aws.retry_waits, waits) == ([], [])
    aws.no_more_runs()
    assert aws.lock() is None


def test_retries_after_a_job_failure_on_spot_keep_the_backoff(aws: Aws, waits: list[int]) -> None:
    job = _spot_job(attempts=2, backoff_rate=2.0)
    execution = aws.start(_machine(aws, job), "backoff-after-spot")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")  # on Spot
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")  # retry 1
    _succeeds(aws, aws.next_run())  # retry 2
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    # On demand, retries=2 waits 60 s then 120 s (test_lock_on_moto.py's Retry); after Spot it should too.
    assert [*waits, *aws.retry_waits] == [job.retries.interval, job.retries.interval * 2]
