"""What running concurrency="replace" and capacity="spot" on moto needs beyond tests/support/moto_harness.py
(its `aws` fixture and its numbered workarounds 1-10): the jobs, the fixtures and the helpers that
test_replace_on_moto.py and test_spot_on_moto.py share.

Workarounds added here, each named where it is applied (1-10 are in moto_harness.py):

11. aws-sdk parameter names: StopLockHolder's `arn:aws:states:::aws-sdk:sfn:stopExecution` runs as generated
    on moto's interpreter, which calls the service through boto3 (routed by mock_aws to moto's own Step
    Functions, so one execution really stops another). But moto 5 left out the step that turns the ASL's
    PascalCase arguments (ExecutionArn, Error, Cause) into the API's member names (executionArn, error,
    cause): `_normalise_parameters` is a no-op there, and StopLockHolder fails with States.Runtime
    'ExecutionArn'. The test restores that step for aws-sdk tasks, from botocore's model of the operation,
    as LocalStack (where moto's interpreter comes from) does. DynamoDB and SQS need no such step: their API
    member names are PascalCase already. StopLockHolder itself is not swapped (asserted in `machine`).

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
import sys
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from moto.dynamodb.models import DynamoDBBackend
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)

from components.documents.job_machine import job_definition
from components.model.naming import job_names
from components.model.spec import Job
from tests.support import moto_harness as harness
from tests.support.builders import stack_job
from tests.support.moto_harness import (
    ACCOUNT,
    ALERTS,
    JOB,
    NAMES,
    PREFIX,
    REGION,
    REPORT,
    ROLE,
    SHARED,
    TARGET,
    Aws,
    RunRequest,
)

aws = harness.aws  # the harness's fixture: moto with workarounds 1-10, and the test playing ECS

# The lock tests' job, run with the other concurrency and capacity.
REPLACE = Job(**REPORT.model_dump(exclude_unset=True), concurrency="replace")
SPOT = Job(**REPORT.model_dump(exclude_unset=True), capacity="spot")
REPLACED_UP_TO_RUN = [
    *("ClaimSlot", "AcquireLock", "ReadLockHolder", "LockHolderFound", "StopLockHolder", "TakeOverLock", "RunJob")
]
SPOT_INTERRUPTED_TASK: dict[str, Any] = {
    "TaskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{SHARED.cluster}/0123456789abcdef",
    "LastStatus": "STOPPED",
    "StopCode": "SpotInterruption",
    "StoppedReason": "Your Spot Task was interrupted.",
    "Containers": [{"Name": NAMES.container, "LastStatus": "STOPPED", "ExitCode": 143}],
}


def _aws_sdk_parameters_by_member_name(
    service: StateTaskServiceAwsSdk,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    """Workaround 11: {"ExecutionArn": ...} -> {"executionArn": ...}, by the operation's input shape."""
    model = botocore.session.get_session().get_service_model(service._get_boto_service_name(boto_service_name))
    action = service_action_name or service.resource.api_action
    service._to_boto_request(parameters, model.operation_model(action[0].upper() + action[1:]).input_shape)


@pytest.fixture(autouse=True)
def aws_sdk_parameters(aws: Aws) -> None:
    aws.monkeypatch.setattr(StateTaskServiceAwsSdk, "_normalise_parameters", _aws_sdk_parameters_by_member_name)


@pytest.fixture
def waits(aws: Aws) -> list[int]:
    """The Wait states' seconds (workaround 10, in the harness), as a fixture for the tests that read them."""
    return aws.waits


def create_machine(aws: Aws, job: Job) -> str:
    definition = harness.with_run_stand_ins(
        job_definition(stack_job(job, harness.PREFIX), TARGET, SHARED.lock_table, ALERTS), aws.queue
    )
    if "StopLockHolder" in definition["States"]:  # as generated: workaround 11 is in moto, not here
        assert definition["States"]["StopLockHolder"]["Resource"] == "arn:aws:states:::aws-sdk:sfn:stopExecution"
    created = aws.sfn.create_state_machine(
        name=job_names(PREFIX, JOB).state_machine, definition=json.dumps(definition), roleArn=ROLE
    )
    return str(created["stateMachineArn"])


def execution_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{NAMES.state_machine}:{name}"


def asks_for_spot(run: RunRequest) -> bool:
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


def assert_replaced(
    aws: Aws, execution: str, by: list[str], entered: tuple[str, ...] = ("ClaimSlot", "AcquireLock", "RunJob")
) -> None:
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


def assert_skipped_after_reading(aws: Aws, execution: str) -> None:
    ended = aws.ended(execution)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"])["outcome"] == "skipped"
    assert aws.entered(execution) == [*REPLACED_UP_TO_RUN[:-1], "RecordSkip", "SkippedAlreadyRunning"]


def answer_spot_interruption(aws: Aws, run: RunRequest, exit_code: int) -> None:
    """ECS reports the task STOPPED because Spot took the capacity back (StopCode SpotInterruption)."""
    task = copy.deepcopy(SPOT_INTERRUPTED_TASK)
    task["Containers"][0]["ExitCode"] = exit_code
    del aws.pending[run.token]
    aws.sfn.send_task_success(taskToken=run.token, output=json.dumps(task))


def answer_success(aws: Aws, run: RunRequest) -> None:
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(run.execution)["status"] == "SUCCEEDED"
    assert aws.entered(run.execution)[-2:] == ["ClassifyAttempt", "ReleaseLock"]


def before_reads_of_the_lock(aws: Aws, hook: Callable[[DynamoDBBackend], None]) -> None:
    """Run hook(moto's DynamoDB backend) at every GetItem request, before the item is read (not at the reads
    moto's backend makes inside other requests, such as a transactional write's)."""
    original = DynamoDBBackend.get_item

    def get_item(backend: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code.co_name == "get_item":  # called by the GetItem request handler
            hook(backend)
        return original(backend, *args, **kwargs)

    aws.monkeypatch.setattr(DynamoDBBackend, "get_item", get_item)
