"""The generated lock, executed: job state machines and the lock janitor run on moto's Step Functions
interpreter, with moto's DynamoDB as the lock table. Every assertion is on the lock table and on how
the execution ended.

Workarounds for moto 5's limits, kept in this file only and each named where it is applied. None of
them changes a lock, retry or catch state: the definitions run as generated except RunJob's target.

1. RunJob: moto cannot run `ecs:runTask.sync` (no Fargate task ever stops there with an exit code). The
   test swaps RunJob's `Resource` and `Arguments` for `sqs:sendMessage.waitForTaskToken`, reads the message
   and plays ECS: SendTaskSuccess with a stopped task's description, or SendTaskFailure with the error
   runTask.sync raises. RunJob's TimeoutSeconds, Retry, Catch, Output and Next, and every other state,
   stay exactly as generated (asserted in `_with_run_job_stand_in`).
2. JSONata: moto 5's evaluator is a stub (`_eval_jsonata` is left None where LocalStack, which moto's
   interpreter comes from, starts a JVM), so jsonata-python evaluates the expressions moto composes.
3. Retry waits: moto sleeps every Retry interval for real (up to 30 s for ECS start errors); the test
   records each wait instead of sleeping it.
4. A fresh task token per attempt: moto issues RunJob's token once per state, not per retry attempt, and
   its callback keeps the first answer, so every retry would fail at once with the first error. The
   stand-in gets a new token before each attempt, as AWS gives one.
5. "States." errors: runTask.sync itself fails a run with States.TaskFailed, but SendTaskFailure may not
   report a name starting with "States." (moto refuses it, as AWS does); the stand-in lets it through.
   (FailRun itself re-raises caught States.* errors as Job.*, since "States." names are reserved.)
6. SendTaskFailure's cause: moto's API handler drops `cause`, so the test hands failures to moto's
   backend directly.
7. Stopping: moto marks a stopped execution ABORTED only when the state it is in returns, i.e. after
   RunJob's TimeoutSeconds. After StopExecution the test answers the pending run so the state returns at
   once; that no state is entered after the stop is asserted.
8. Atomic conditional writes: moto's DynamoDB checks a ConditionExpression and writes in two steps with
   no lock between them, so racing threads could both pass (not seen here, but nothing prevents it); real
   DynamoDB applies a conditional write atomically. The test serialises moto's item writes: DynamoDB's
   guarantee, not a change to the definitions.
9. Execution timeout: moto times executions out in real time and a job's smallest execution timeout is
   minutes, so the one test of a timed-out execution lowers the top-level TimeoutSeconds to 1 s.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

try:
    import boto3
    import jsonata
    from moto import mock_aws
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models import DynamoDBBackend
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs import (
        StateTaskServiceSqs,
    )
    from moto.stepfunctions.parser.asl.component.state.fail import state_fail
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
except ImportError as missing:  # pragma: no cover - the message is the point
    raise ImportError(
        f"{missing}: the lock tests need moto[stepfunctions,dynamodb,sqs], boto3 and jsonata-python; "
        "run `pip install -e '.[test]'`"
    ) from missing

from components.asl import RunTarget, job_definition
from components.lock_janitor import janitor_definition
from components.naming import job_names, shared_names
from components.spec import Job
from components.timing import lock_lifetime_seconds

REGION = "eu-central-1"
ACCOUNT = "123456789012"  # moto's default account
PREFIX = "test"
JOB = "report"
SHARED = shared_names(PREFIX)
NAMES = job_names(PREFIX, JOB)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{NAMES.state_machine_role}"
TARGET = RunTarget(
    cluster=SHARED.cluster,
    task_family=NAMES.task_family,
    container=NAMES.container,
    subnets=("subnet-0123456789abcdef0",),
    security_groups=("sg-0123456789abcdef0",),
    assign_public_ip=False,
)
REPORT = Job(name=JOB, command=["python", "-m", "app.report"], timeout="10m", retries={"attempts": 1, "interval": "1m"})
WAIT = 15.0  # seconds any one step may take before a test gives up


def _evaluate_jsonata(expression: str) -> Any:
    """Workaround 2: what moto's stub should do. moto composes the whole expression, with $states and
    variables bound inline, and expects plain JSON values back."""
    try:
        result = jsonata.Jsonata(expression).evaluate(None)
    except Exception as error:
        raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from error
    return json.loads(json.dumps(result))


def _error_name(error_name: str) -> CustomErrorName | StatesErrorName:
    """Workaround 5: a "States." name is the States error it names, not a refused custom one."""
    if error_name.startswith("States."):
        return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name)


class _InternalServerError(JsonRESTError):
    code = 500

    def __init__(self) -> None:
        super().__init__("InternalServerError", "injected by the test: the write may or may not have happened")


@dataclass
class RunRequest:
    """One RunJob attempt, as the stand-in delivered it: what the state machine asked ECS to run."""

    token: str
    execution: str
    run_task: dict[str, Any]


class Aws:
    """moto's Step Functions, DynamoDB and SQS, and the test's part: playing ECS, reading the lock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.monkeypatch = monkeypatch
        self.retry_waits: list[float] = []
        self.ddb.create_table(
            TableName=SHARED.lock_table,
            KeySchema=[{"AttributeName": "LockId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.queue = self.sqs.create_queue(QueueName="run-job-stand-in")["QueueUrl"]
        self.executions: list[str] = []
        self.pending: dict[str, RunRequest] = {}  # token -> run not answered yet

    # --- state machines and executions -------------------------------------------------------------

    def job_machine(self, job: Job = REPORT) -> str:
        definition = _with_run_job_stand_in(job_definition(job, TARGET, SHARED.lock_table), self.queue)
        created = self.sfn.create_state_machine(
            name=job_names(PREFIX, job.name or JOB).state_machine, definition=json.dumps(definition), roleArn=ROLE
        )
        return str(created["stateMachineArn"])

    def janitor_machine(self) -> str:
        definition = janitor_definition(SHARED.lock_table, PREFIX)
        created = self.sfn.create_state_machine(
            name=SHARED.janitor_state_machine, definition=json.dumps(definition), roleArn=ROLE
        )
        return str(created["stateMachineArn"])

    def start(self, machine: str, name: str, payload: dict[str, Any] | None = None) -> str:
        arn = str(
            self.sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload or {}))[
                "executionArn"
            ]
        )
        self.executions.append(arn)
        return arn

    def start_together(self, machine: str, count: int) -> list[str]:
        """Start `count` executions from as many threads at once, as overlapping schedules would."""
        barrier = threading.Barrier(count)
        arns: list[str | None] = [None] * count
        errors: list[BaseException] = []

        def start(i: int) -> None:
            try:
                barrier.wait()
                arns[i] = self.start(machine, f"together-{i}")
            except BaseException as error:  # surfaced below
                errors.append(error)

        threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert not errors, errors
        return [arn for arn in arns if arn is not None]

    def ended(self, execution: str) -> dict[str, Any]:
        """describe_execution once the execution is no longer RUNNING."""
        deadline = time.monotonic() + WAIT
        while True:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                return described
            assert time.monotonic() < deadline, f"{execution} still RUNNING after {WAIT}s: {self.entered(execution)}"
            time.sleep(0.02)

    def entered(self, execution: str) -> list[str]:
        """The states the execution entered, in order (retries re-enter no state)."""
        events = self.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

    def entered_until(self, execution: str, count: int) -> list[str]:
        """The first `count` states the execution entered, waiting for them."""
        deadline = time.monotonic() + WAIT
        while len(entered := self.entered(execution)) < count:
            assert time.monotonic() < deadline, f"{execution} entered only {entered}"
            time.sleep(0.02)
        return entered[:count]

    # --- playing ECS (workaround 1) -------------------------------------------------------------------

    def next_run(self) -> RunRequest:
        deadline = time.monotonic() + WAIT
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=1).get("Messages", [])
            if messages:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=messages[0]["ReceiptHandle"])
                body = json.loads(messages[0]["Body"])
                run = RunRequest(body["token"], body["execution"], body["runTask"])
                self.pending[run.token] = run
                return run
            assert time.monotonic() < deadline, "no execution reached RunJob"
            time.sleep(0.02)

    def no_more_runs(self) -> None:
        messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        assert messages == [], f"unexpected RunJob attempts: {[json.loads(m['Body'])['execution'] for m in messages]}"

    def task_stopped(
        self, run: RunRequest, exit_code: int | None, reason: str = "Essential container in task exited"
    ) -> None:
        """ECS reports the task STOPPED, as runTask.sync returns DescribeTasks' task (exit code None: the
        container never ran)."""
        container: dict[str, Any] = {"Name": NAMES.container, "LastStatus": "STOPPED"}
        if exit_code is not None:
            container["ExitCode"] = exit_code
        task = {
            "TaskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{SHARED.cluster}/0123456789abcdef",
            "LastStatus": "STOPPED",
            "StoppedReason": reason,
            "Containers": [container],
        }
        del self.pending[run.token]
        self.sfn.send_task_success(taskToken=run.token, output=json.dumps(task))

    def task_failed(self, run: RunRequest, error: str, cause: str) -> None:
        del self.pending[run.token]
        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        backend.send_task_failure(run.token, error=error, cause=cause)  # workaround 6

    def stop(self, execution: str) -> dict[str, Any]:
        """StopExecution, as an operator or a deployment would, while the execution waits in RunJob."""
        self.sfn.stop_execution(executionArn=execution)
        for run in [run for run in self.pending.values() if run.execution == execution]:
            self.task_stopped(run, exit_code=0)  # workaround 7: only wakes moto's waiting thread
        ended = self.ended(execution)
        assert ended["status"] == "ABORTED", ended
        assert self.entered(execution) == ["AcquireLock", "RunJob"]  # nothing ran after the stop
        return ended

    # --- the lock table ---------------------------------------------------------------------------------

    def lock(self, job: str = JOB) -> dict[str, Any] | None:
        item: dict[str, Any] = self.ddb.get_item(
            TableName=SHARED.lock_table, Key={"LockId": {"S": job}}, ConsistentRead=True
        )
        return item.get("Item")

    def holder(self, job: str = JOB) -> str | None:
        item = self.lock(job)
        return item["ExecutionArn"]["S"] if item else None

    def put_lock(self, holder: str, expires_at: int, job: str = JOB) -> None:
        self.ddb.put_item(
            TableName=SHARED.lock_table,
            Item={
                "LockId": {"S": job},
                "ExecutionArn": {"S": holder},
                "AcquiredAt": {"S": "2024-01-01T00:00:00Z"},
                "ExpiresAt": {"N": str(expires_at)},
            },
        )

    def expire_lock(self, job: str = JOB) -> None:
        """Move the lock's expiry into the past, as if its lifetime had run out."""
        self.ddb.update_item(
            TableName=SHARED.lock_table,
            Key={"LockId": {"S": job}},
            UpdateExpression="SET ExpiresAt = :past",
            ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
        )

    def fail_next_put_after_writing(self) -> None:
        """The next PutItem is applied but answered with a 500, as DynamoDB may do (InternalServerError:
        the request may have succeeded)."""
        original: Callable[..., Any] = DynamoDBBackend.put_item
        armed = [True]

        def put_item(backend: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
            result = original(backend, *args, **kwargs)
            if armed[0]:
                armed[0] = False
                raise _InternalServerError()
            return result

        self.monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)

    def stop_leftovers(self) -> None:
        """Stop executions still waiting, so no interpreter thread outlives the mock."""
        for arn in self.executions:
            if self.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                self.sfn.stop_execution(executionArn=arn)
        for run in list(self.pending.values()):
            if self.sfn.describe_execution(executionArn=run.execution)["status"] == "RUNNING":
                self.task_stopped(run, exit_code=0)  # workaround 7
        for arn in self.executions:
            self.ended(arn)


def _with_run_job_stand_in(definition: dict[str, Any], queue_url: str) -> dict[str, Any]:
    """Workaround 1: RunJob hands its runTask arguments and task token to the test instead of ECS."""
    swapped = copy.deepcopy(definition)
    run = swapped["States"]["RunJob"]
    run["Resource"] = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    run["Arguments"] = {
        "QueueUrl": queue_url,
        "MessageBody": {
            "token": "{% $states.context.Task.Token %}",
            "execution": "{% $states.context.Execution.Id %}",
            "runTask": definition["States"]["RunJob"]["Arguments"],  # still evaluated, so the test sees them
        },
    }
    original = definition["States"]["RunJob"]
    assert {k: v for k, v in run.items() if k not in ("Resource", "Arguments")} == {
        k: v for k, v in original.items() if k not in ("Resource", "Arguments")
    }
    assert {k: v for k, v in swapped["States"].items() if k != "RunJob"} == {
        k: v for k, v in definition["States"].items() if k != "RunJob"
    }
    assert {k: v for k, v in swapped.items() if k != "States"} == {k: v for k, v in definition.items() if k != "States"}
    return swapped


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.setattr(moto_jsonata, "_eval_jsonata", _evaluate_jsonata)  # workaround 2
    harness: Aws | None = None

    def record_wait(seconds: float) -> None:  # workaround 3
        assert harness is not None
        harness.retry_waits.append(seconds)

    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=record_wait))

    original_attempt = StateTaskServiceSqs._eval_execution

    def attempt_with_fresh_token(service: StateTaskServiceSqs, env: Environment) -> None:  # workaround 4
        env.callback_pool_manager.add(env.states.context_object.update_task_token())
        original_attempt(service, env)

    monkeypatch.setattr(StateTaskServiceSqs, "_eval_execution", attempt_with_fresh_token)
    monkeypatch.setattr(state_task_service_callback, "CustomErrorName", _error_name)  # workaround 5
    monkeypatch.setattr(state_fail, "CustomErrorName", _error_name)  # workaround 5

    writes = threading.Lock()  # workaround 8
    for operation in ("put_item", "delete_item", "update_item"):
        original = getattr(DynamoDBBackend, operation)

        def serialised(backend: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with writes:
                return _original(backend, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, operation, serialised)

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        harness = Aws(monkeypatch)
        try:
            yield harness
        finally:
            harness.stop_leftovers()


def _skipped(aws: Aws, execution: str) -> None:
    ended = aws.ended(execution)
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"])["outcome"] == "skipped"
    assert aws.entered(execution) == ["AcquireLock", "SkippedAlreadyRunning"]


def _failed(aws: Aws, execution: str, error: str) -> dict[str, Any]:
    ended = aws.ended(execution)
    assert (ended["status"], ended.get("error")) == ("FAILED", error), ended
    return ended


# --- overlapping starts ---------------------------------------------------------------------------------


def test_two_executions_started_together_one_runs_and_one_skips(aws: Aws) -> None:
    machine = aws.job_machine()
    first, second = aws.start_together(machine, 2)
    run = aws.next_run()
    skipped = second if run.execution == first else first
    _skipped(aws, skipped)
    aws.no_more_runs()
    assert aws.holder() == run.execution

    aws.task_stopped(run, exit_code=0)
    ended = aws.ended(run.execution)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"])["exitCode"] == 0
    assert aws.entered(run.execution) == ["AcquireLock", "RunJob", "CheckExitCode", "ReleaseLock"]
    assert aws.lock() is None


def test_twenty_executions_started_together_exactly_one_runs(aws: Aws) -> None:
    machine = aws.job_machine()
    executions = aws.start_together(machine, 20)
    run = aws.next_run()
    for execution in executions:
        if execution != run.execution:
            _skipped(aws, execution)
    aws.no_more_runs()
    assert aws.holder() == run.execution
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(run.execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


def test_lock_records_holder_and_expiry_from_the_execution_start(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "first", {"environment": {"DRY_RUN": True}})
    run = aws.next_run()
    lock = aws.lock()
    assert lock is not None
    started = aws.sfn.describe_execution(executionArn=execution)["startDate"].timestamp()
    assert lock["ExecutionArn"]["S"] == execution
    assert int(lock["ExpiresAt"]["N"]) == int(started) + lock_lifetime_seconds(REPORT.execution_timeout)
    assert run.run_task["TaskDefinition"] == NAMES.task_family
    assert run.run_task["Overrides"]["ContainerOverrides"] == [
        {"Name": NAMES.container, "Environment": [{"Name": "DRY_RUN", "Value": "true"}]}
    ]
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


# --- a run that goes wrong releases the lock ---------------------------------------------------------------


def test_nonzero_exit_releases_lock_and_fails_with_the_exit_code(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "exit-3")
    aws.task_stopped(aws.next_run(), exit_code=3)
    ended = _failed(aws, execution, "Job.NonZeroExit")
    assert ended["cause"] == "container job exited with code 3 (Essential container in task exited)"
    assert aws.entered(execution)[-3:] == ["ExitCodeNotZero", "ReleaseLockAfterFailure", "FailRun"]
    assert aws.lock() is None


def test_task_that_never_ran_its_container_fails_with_the_stopped_reason(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "no-exit-code")
    aws.task_stopped(aws.next_run(), exit_code=None, reason="CannotPullContainerError: pull access denied")
    ended = _failed(aws, execution, "Job.NonZeroExit")
    assert ended["cause"] == (
        "container job reported no exit code; task stopped: CannotPullContainerError: pull access denied"
    )
    assert aws.lock() is None


def test_failed_run_is_retried_as_asked_then_releases_lock_and_fails_with_the_task_error(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "task-failed")
    first = aws.next_run()
    aws.task_failed(first, "States.TaskFailed", "Essential container in task exited")
    second = aws.next_run()  # retries=1: one more run
    assert second.execution == execution
    assert aws.holder() == execution  # the lock is kept between attempts
    aws.task_failed(second, "States.TaskFailed", "Essential container in task exited")
    # "States." names are reserved, so FailRun re-raises it as Job.TaskFailed and keeps it in the cause.
    ended = _failed(aws, execution, "Job.TaskFailed")
    assert ended["cause"] == "States.TaskFailed: Essential container in task exited"
    assert aws.retry_waits == [REPORT.retries.interval]
    aws.no_more_runs()
    assert aws.lock() is None


def test_failed_run_that_succeeds_on_retry_releases_lock_and_succeeds(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "retry-succeeds")
    aws.task_failed(aws.next_run(), "States.TaskFailed", "Essential container in task exited")
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


def test_transient_start_error_is_retried_and_the_run_goes_ahead(aws: Aws) -> None:
    job = REPORT.model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})})
    execution = aws.start(aws.job_machine(job), "throttled")
    aws.task_failed(aws.next_run(), "ECS.ThrottlingException", "Rate exceeded")
    aws.task_stopped(aws.next_run(), exit_code=0)  # retried although the job asked for no retries
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert len(aws.retry_waits) == 1 and 0 <= aws.retry_waits[0] <= 30  # full jitter on 30 s
    assert aws.lock() is None


def test_start_error_that_persists_releases_lock_and_fails_with_it(aws: Aws) -> None:
    execution = aws.start(aws.job_machine(), "no-capacity")
    for _ in range(4):  # the first attempt and 3 start retries
        aws.task_failed(aws.next_run(), "AmazonECS.Unknown", "RESOURCE:FARGATE capacity unavailable")
    ended = _failed(aws, execution, "AmazonECS.Unknown")
    assert ended["cause"] == "RESOURCE:FARGATE capacity unavailable"
    aws.no_more_runs()
    assert aws.lock() is None


def test_timed_out_run_releases_lock_and_fails_with_timeout(aws: Aws) -> None:
    # TimeoutSeconds is real time on moto: a 1 s job keeps this test short.
    job = Job(name=JOB, command=["python", "-m", "app.report"], timeout=1, retries=2)
    execution = aws.start(aws.job_machine(job), "too-slow")
    aws.next_run()  # and never answer
    ended = _failed(aws, execution, "Job.Timeout")
    assert ended["cause"].startswith("States.Timeout: ")
    assert aws.entered(execution)[-2:] == ["ReleaseLockAfterFailure", "FailRun"]
    assert aws.retry_waits == []  # a timed-out run is not retried
    aws.no_more_runs()
    assert aws.lock() is None


# --- executions that end without releasing, expiry and takeover ----------------------------------------------


def test_stopped_execution_keeps_lock_until_it_expires_then_next_execution_takes_it(aws: Aws) -> None:
    machine = aws.job_machine()
    stopped = aws.start(machine, "stopped")
    aws.next_run()
    aws.stop(stopped)
    assert aws.holder() == stopped  # no Catch runs for a stopped execution

    _skipped(aws, aws.start(machine, "before-expiry"))
    assert aws.holder() == stopped

    aws.expire_lock()
    later = aws.start(machine, "after-expiry")
    run = aws.next_run()
    assert run.execution == later
    assert aws.holder() == later
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(later)["status"] == "SUCCEEDED"
    assert aws.lock() is None


def test_lock_with_a_future_expiry_written_by_anyone_makes_executions_skip(aws: Aws) -> None:
    other = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{NAMES.state_machine}:other"
    aws.put_lock(other, int(time.time()) + 3600)
    _skipped(aws, aws.start(aws.job_machine(), "held"))
    assert aws.holder() == other


@pytest.mark.parametrize(
    ("outcome", "status", "last_state"),
    [("exit 0", "SUCCEEDED", "LockAlreadyReleased"), ("exit 1", "FAILED", "FailRun")],
)
def test_stale_owner_ending_after_a_takeover_leaves_the_new_owners_lock(
    aws: Aws, outcome: str, status: str, last_state: str
) -> None:
    machine = aws.job_machine()
    stale = aws.start(machine, "stale")
    stale_run = aws.next_run()
    aws.expire_lock()
    new = aws.start(machine, "new")
    new_run = aws.next_run()
    assert aws.holder() == new

    aws.task_stopped(stale_run, exit_code=0 if outcome == "exit 0" else 1)
    ended = aws.ended(stale)
    assert ended["status"] == status
    if status == "FAILED":
        assert ended["error"] == "Job.NonZeroExit"  # its own error, not the failed release's
    assert aws.entered(stale)[-1] == last_state
    assert aws.holder() == new

    aws.task_stopped(new_run, exit_code=0)
    assert aws.ended(new)["status"] == "SUCCEEDED"
    assert aws.lock() is None


def test_acquire_retried_after_a_write_that_landed_still_runs_the_job(aws: Aws) -> None:
    machine = aws.job_machine()
    aws.fail_next_put_after_writing()
    execution = aws.start(machine, "lost-answer")
    entered = aws.entered_until(execution, 2)
    assert entered == ["AcquireLock", "RunJob"], (aws.ended(execution), aws.lock())
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.lock() is None


# --- the lock janitor -----------------------------------------------------------------------------------------


def _status_change(aws: Aws, execution: str) -> dict[str, Any]:
    """The EventBridge "Step Functions Execution Status Change" event for an execution that has ended."""
    described = aws.sfn.describe_execution(executionArn=execution)
    stopped_at = described.get("stopDate") or datetime.now(UTC)  # moto omits it for TIMED_OUT
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "time": stopped_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [execution],
        "detail": {
            "executionArn": execution,
            "stateMachineArn": described["stateMachineArn"],
            "name": described["name"],
            "status": described["status"],
            "startDate": int(described["startDate"].timestamp() * 1000),
            "stopDate": int(stopped_at.timestamp() * 1000),
            "input": described.get("input", "{}"),
            "output": None,
        },
    }


def test_janitor_releases_the_lock_of_a_stopped_execution(aws: Aws) -> None:
    stopped = aws.start(aws.job_machine(), "stopped")
    aws.next_run()
    aws.stop(stopped)
    assert aws.holder() == stopped

    janitor = aws.start(aws.janitor_machine(), "janitor-1", _status_change(aws, stopped))
    ended = aws.ended(janitor)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"released": True}
    assert aws.lock() is None


def test_janitor_releases_the_lock_of_a_timed_out_execution(aws: Aws) -> None:
    # A whole-execution timeout (TimeoutSeconds at the top) runs no Catch. Workaround 9: moto times out
    # in real time, so the execution timeout is lowered to 1 s here; every state stays as generated.
    machine_definition = _with_run_job_stand_in(job_definition(REPORT, TARGET, SHARED.lock_table), aws.queue)
    machine_definition["TimeoutSeconds"] = 1
    machine = aws.sfn.create_state_machine(
        name=NAMES.state_machine, definition=json.dumps(machine_definition), roleArn=ROLE
    )["stateMachineArn"]
    timed_out = aws.start(machine, "timed-out")
    aws.next_run()
    assert aws.ended(timed_out)["status"] == "TIMED_OUT"
    assert aws.holder() == timed_out

    janitor = aws.start(aws.janitor_machine(), "janitor-1", _status_change(aws, timed_out))
    assert json.loads(aws.ended(janitor)["output"]) == {"released": True}
    assert aws.lock() is None


def test_janitor_leaves_a_lock_that_another_execution_holds(aws: Aws) -> None:
    machine = aws.job_machine()
    stopped = aws.start(machine, "stopped")
    aws.next_run()
    aws.stop(stopped)
    aws.expire_lock()
    new = aws.start(machine, "new")
    aws.next_run()
    assert aws.holder() == new

    janitor = aws.start(aws.janitor_machine(), "janitor-1", _status_change(aws, stopped))
    ended = aws.ended(janitor)
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"released": False}
    assert aws.holder() == new
