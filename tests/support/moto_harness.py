"""moto, made to run the generated lock: job state machines and the lock janitor on moto's Step Functions
interpreter, with moto's DynamoDB as the lock table, and the test playing ECS. The `aws` fixture is used
by test_lock_on_moto.py, test_replace_on_moto.py and test_spot_on_moto.py.

Workarounds for moto 5's limits, kept in this file only and each named where it is applied. None of
them changes a lock, retry or catch state: the definitions run as generated except RunJob's target.

1. The run states (RunJob, and RunJobOnSpot for capacity="spot"): moto cannot run `ecs:runTask.sync` (no
   Fargate task ever stops there with an exit code). The test swaps each one's `Resource` and `Arguments`
   for `sqs:sendMessage.waitForTaskToken`, reads the message and plays ECS: SendTaskSuccess with a stopped
   task's description, or SendTaskFailure with the error runTask.sync raises. The runTask arguments still
   reach the test (so it sees which placement each attempt asked for); TimeoutSeconds, Assign, Catch,
   Output and Next, and every other state, stay exactly as generated (asserted in `with_run_stand_ins`).
2. JSONata: moto 5's evaluator is a stub (`_eval_jsonata` is left None where LocalStack, which moto's
   interpreter comes from, starts a JVM), so jsonata-python evaluates the expressions moto composes.
3. Retry waits: moto sleeps every Retry interval for real (up to 30 s for ECS start errors); the test
   records each wait instead of sleeping it.
4. A fresh task token per attempt: moto issues a task token once per state, not per retry attempt, and
   its callback keeps the first answer, so a retried attempt would fail at once with the first error. The
   stand-in gets a new token before each attempt, as AWS gives one. (The run states now retry through
   the classifier loop, one state entry per attempt; the patch stays for any state that retries.)
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
10. Wait states: moto sleeps a Wait state's Seconds for real (WaitBeforeRetry waits the job's retry
   interval, a minute here); the test records each wait in `Aws.waits` instead, as workaround 3 does for
   Retry intervals.
12. Redrive: moto has no RedriveExecution and no `Execution.RedriveCount` in the Context object. A redrive
   "continues the failed execution from the unsuccessful step and uses the same input" and the same execution
   ARN (Step Functions API reference, RedriveExecution), so `Aws.redriven_machine` is the job's machine starting
   at the state the redrive re-enters, and `Aws.redrive` starts it under a name of `redrive-*`, for which
   `with_redrive_counts` puts RedriveCount 1 in the Context object (every other execution gets 0). What the
   simulation cannot show: whether AWS restores the execution's JSONata variables on a redrive (the refusal path
   uses none) and what a redrive re-enters after a Fail state (docs/self-test.md).
13. Evaluation errors in a DynamoDB task's Arguments: moto reports a JSONata error there as the service's
   `DynamoDB.AmazonDynamoDBException` (and retries it); AWS raises `States.QueryEvaluationError` when "a JSONata
   expression ... threw an error" (Step Functions developer guide, "Error names"), which the run-input check's
   Catch takes (components/documents/run_inputs.py). The test reports it as AWS does.
14. A stop that lands while a Task state is being scheduled: moto skips evaluating a component once its
   execution is no longer running (`EvalComponent.eval`), but still pops the evaluation stack for the state's
   TimeoutSeconds, so the TaskScheduled event gets whatever lay below (the execution's input, a dict) and every
   later GetExecutionHistory of that execution fails to serialise (a TypeError inside moto). A literal
   TimeoutSeconds is pushed even then, as AWS records the state's own timeout. Seen when the self-test stops
   the canary the moment it holds the lock (CI, stop 43); forced in test_moto_hooks.py.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

try:
    import boto3
    from moto import mock_aws
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models import DynamoDBBackend
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (
        StateTaskServiceDynamoDB,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs import (
        StateTaskServiceSqs,
    )
    from moto.stepfunctions.parser.asl.component.state.fail import state_fail
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
    from moto.stepfunctions.parser.backend import execution_worker
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends
except ImportError as missing:  # pragma: no cover - the message is the point
    raise ImportError(
        f"{missing}: the lock tests need moto[stepfunctions,dynamodb,sqs], boto3 and jsonata-python; "
        "run `pip install -e '.[test]'`"
    ) from missing

from components.documents.alert_messages import AlertTarget
from components.documents.job_machine import job_definition
from components.documents.lock_janitor import janitor_machine
from components.documents.run_task import RunTarget
from components.documents.table_machine import TableMachineArgs
from components.model.arns import AwsEnv
from components.model.lock_item import ITEM_EXPIRES_AT
from components.model.naming import job_names, shared_names
from components.model.spec import Job
from tests.support import step_functions_jsonata
from tests.support.builders import stack_job
from tests.support.moto_hooks import require_moto_hooks

REGION = "eu-central-1"
ACCOUNT = "123456789012"  # moto's default account
PREFIX = "test"
JOB = "report"
SHARED = shared_names(PREFIX)
NAMES = job_names(PREFIX, JOB)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{SHARED.job_state_machine_role}"
ENV = AwsEnv("aws", REGION, ACCOUNT)
TARGET = RunTarget(
    env=ENV,
    prefix=PREFIX,
    cluster=SHARED.cluster,
    task_family=NAMES.task_family,
    container=NAMES.container,
    subnets=("subnet-0123456789abcdef0",),
    security_groups=("sg-0123456789abcdef0",),
    assign_public_ip=False,
    task_role_arn=ENV.role_arn(NAMES.task_role),
    execution_role_arn=ENV.role_arn(SHARED.execution_role),
)
# Alerts go to the stack's topic; the harness subscribes a queue to it to read them (Aws.alerts).
ALERTS = AlertTarget(ENV.arn("sns", SHARED.alarm_topic), PREFIX, REGION)
REPORT = Job(name=JOB, command=["python", "-m", "app.report"], timeout="10m", retries={"attempts": 1, "interval": "1m"})
WAIT = 15.0  # seconds any one step may take before a test gives up


def _evaluate_jsonata(expression: str) -> Any:
    """Workaround 2: what moto's stub should do. moto composes the whole expression, with $states and
    variables bound inline, and expects plain JSON values back."""
    try:
        result = step_functions_jsonata.compiled(expression).evaluate(None)
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
        self.retry_waits: list[float] = []  # workaround 3: a state's Retry intervals
        self.waits: list[int] = []  # workaround 10: Wait states' seconds
        self.ddb.create_table(
            TableName=SHARED.lock_table,
            KeySchema=[{"AttributeName": "LockId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # The table's TTL attribute, as the program sets it (components/resources/shared.py).
        self.ddb.update_time_to_live(
            TableName=SHARED.lock_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": ITEM_EXPIRES_AT}
        )
        self.queue = self.sqs.create_queue(QueueName="run-job-stand-in")["QueueUrl"]
        # The stack's alert topic, and a queue subscribed to it (raw delivery) to read what it sent.
        self.sns = boto3.client("sns", region_name=REGION)
        topic = self.sns.create_topic(Name=SHARED.alarm_topic)["TopicArn"]
        assert topic == ALERTS.topic_arn
        self.alert_queue = self.sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.alert_queue, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue_arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
        self.executions: list[str] = []
        self.pending: dict[str, RunRequest] = {}  # token -> run not answered yet

    # --- state machines and executions -------------------------------------------------------------

    def job_machine(self, job: Job = REPORT) -> str:
        definition = with_run_stand_ins(
            job_definition(stack_job(job, PREFIX), TARGET, SHARED.lock_table, ALERTS), self.queue
        )
        created = self.sfn.create_state_machine(
            name=job_names(PREFIX, job.name or JOB).state_machine, definition=json.dumps(definition), roleArn=ROLE
        )
        return str(created["stateMachineArn"])

    def redriven_machine(self, job: Job, re_entered: str) -> str:
        """Workaround 12: the job's machine as a redrive runs it, from `re_entered` (the state the execution
        failed, was stopped or timed out in); the states before it are not run again."""
        definition = with_run_stand_ins(
            job_definition(stack_job(job, PREFIX), TARGET, SHARED.lock_table, ALERTS), self.queue
        )
        assert re_entered in definition["States"], re_entered
        created = self.sfn.create_state_machine(
            name=f"{job_names(PREFIX, job.name or JOB).state_machine}-from-{re_entered}",
            definition=json.dumps({**definition, "StartAt": re_entered}),
            roleArn=ROLE,
        )
        return str(created["stateMachineArn"])

    def redrive(self, machine: str, payload: dict[str, Any] | None = None, name: str = "redrive-1") -> str:
        """Workaround 12: an execution of `machine` with RedriveCount 1 in its Context object (with_redrive_counts)
        and the input the original execution had."""
        assert name.startswith(REDRIVEN_PREFIX)
        return self.start(machine, name, payload)

    def janitor_machine(self) -> str:
        shared = ["lock-janitor", "slot-watch"]  # the stack's machines that are no job
        args = TableMachineArgs(env=ENV, table=SHARED.lock_table, alerts=ALERTS)
        definition = janitor_machine(
            args, name_prefix=PREFIX, shared_machines=shared, sources={JOB: "jobs/report.py"}
        ).definition
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

    def start_together(self, machine: str, count: int, payload: dict[str, Any] | None = None) -> list[str]:
        """Start `count` executions from as many threads at once, as overlapping schedules (or a schedule's
        repeated delivery, with one `payload`) would."""
        barrier = threading.Barrier(count)
        arns: list[str | None] = [None] * count
        errors: list[BaseException] = []

        def start(i: int) -> None:
            try:
                barrier.wait()
                arns[i] = self.start(machine, f"together-{i}", payload)
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

    def retried_states(self, execution: str) -> list[str]:
        """The states whose task the execution called more than once (their Retry took over)."""
        events = self.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        calls: dict[str, int] = {}
        state = ""
        for event in events:
            if "stateEnteredEventDetails" in event:
                state = event["stateEnteredEventDetails"]["name"]
            elif event["type"] == "TaskScheduled":
                calls[state] = calls.get(state, 0) + 1
        return [name for name, count in calls.items() if count > 1]

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

    def alerts(self) -> list[dict[str, Any]]:
        """The JSON form of every alert the topic got so far (what a queue or chat bridge receives)."""
        found = []
        while messages := self.sqs.receive_message(QueueUrl=self.alert_queue, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.alert_queue, ReceiptHandle=message["ReceiptHandle"])
        return found

    def no_more_runs(self) -> None:
        messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
        assert messages == [], f"unexpected RunJob attempts: {[json.loads(m['Body'])['execution'] for m in messages]}"

    def task_stopped(
        self,
        run: RunRequest,
        exit_code: int | None,
        reason: str = "Essential container in task exited",
        stop_code: str = "EssentialContainerExited",
        task_arn: str = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{SHARED.cluster}/0123456789abcdef",
        container_reason: str | None = None,
    ) -> None:
        """ECS reports the task STOPPED, as runTask.sync returns DescribeTasks' task (exit code None: the
        container never ran; stop code as ECS's Task.stopCode; `container_reason` as ECS's Container.reason)."""
        container: dict[str, Any] = {"Name": NAMES.container, "LastStatus": "STOPPED"}
        if exit_code is not None:
            container["ExitCode"] = exit_code
        if container_reason is not None:
            container["Reason"] = container_reason
        task = {
            "TaskArn": task_arn,
            "LastStatus": "STOPPED",
            "StopCode": stop_code,
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
        assert self.entered(execution) == ["ClaimSlot", "AcquireLock", "RunJob"]  # nothing ran after the stop
        return ended

    # --- the lock table ---------------------------------------------------------------------------------

    def stored(self, job: str = JOB) -> dict[str, Any] | None:
        """The job's whole item, or None before its first run."""
        found: dict[str, Any] = self.ddb.get_item(
            TableName=SHARED.lock_table, Key={"LockId": {"S": job}}, ConsistentRead=True
        )
        return found.get("Item")

    def item(self, job: str = JOB) -> dict[str, Any]:
        """The job's whole item: its lock (while held) and what it remembers between runs. Fails the test
        when the job has none yet."""
        item = self.stored(job)
        assert item is not None, f"no item for job {job!r} in the lock table"
        return item

    def lock(self, job: str = JOB) -> dict[str, Any] | None:
        """The job's lock: its item while a run holds it (it has a holder), else None."""
        item = self.stored(job)
        return item if item is not None and "ExecutionArn" in item else None

    def holder(self, job: str = JOB) -> str | None:
        item = self.lock(job)
        return item["ExecutionArn"]["S"] if item else None

    def put_lock(self, holder: str, expires_at: int, job: str = JOB, legacy: bool = False) -> None:
        """A lock as AcquireLock writes it; `legacy`: as the machines of the release before wrote it, with its
        expiry in the table's TTL attribute (components/model/lock_item.py)."""
        self.ddb.put_item(
            TableName=SHARED.lock_table,
            Item={
                "LockId": {"S": job},
                "ExecutionArn": {"S": holder},
                "AcquiredAt": {"S": "2024-01-01T00:00:00Z"},
                ("ExpiresAt" if legacy else "LockExpiresAt"): {"N": str(expires_at)},
            },
        )

    def expire_lock(self, job: str = JOB) -> None:
        """Move the lock's expiry into the past, as if its lifetime had run out."""
        self.ddb.update_item(
            TableName=SHARED.lock_table,
            Key={"LockId": {"S": job}},
            UpdateExpression="SET LockExpiresAt = :past",
            ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
        )

    def run_ttl(self, now: float | None = None) -> list[str]:
        """Delete every item whose TTL attribute has passed, as DynamoDB's TTL does (late, but whole items:
        DynamoDB developer guide, "Time to Live (TTL)"); moto never does. Returns the deleted keys."""
        attribute = self.ddb.describe_time_to_live(TableName=SHARED.lock_table)["TimeToLiveDescription"][
            "AttributeName"
        ]
        moment = time.time() if now is None else now
        deleted = []
        for item in self.ddb.scan(TableName=SHARED.lock_table, ConsistentRead=True)["Items"]:
            if attribute in item and float(item[attribute]["N"]) < moment:
                self.ddb.delete_item(TableName=SHARED.lock_table, Key={"LockId": item["LockId"]})
                deleted.append(item["LockId"]["S"])
        return deleted

    def fail_next_write_after_writing(self, operation: str) -> None:
        """The next `operation` ("put_item", "update_item") is applied but answered with a 500, as DynamoDB may
        do (InternalServerError: the request may have succeeded)."""
        original: Callable[..., Any] = getattr(DynamoDBBackend, operation)
        armed = [True]

        def write(backend: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
            result = original(backend, *args, **kwargs)
            if armed[0]:
                armed[0] = False
                raise _InternalServerError()
            return result

        self.monkeypatch.setattr(DynamoDBBackend, operation, write)

    def stop_leftovers(self) -> None:
        """Stop every execution still running, whoever started it (the test, or jobctl through its CLI), so no
        interpreter thread outlives the mock and sends its run to the next test's stand-in queue."""
        running = [
            execution["executionArn"]
            for machine in self.sfn.list_state_machines()["stateMachines"]
            for execution in self.sfn.list_executions(
                stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
            )["executions"]
        ]
        for arn in dict.fromkeys([*self.executions, *running]):
            for _ in range(50):  # moto refuses to stop an execution whose interpreter has not started yet
                if self.sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
                    break
                try:
                    self.sfn.stop_execution(executionArn=arn)
                    break
                except Exception:
                    time.sleep(0.1)
        for run in list(self.pending.values()):
            if self.sfn.describe_execution(executionArn=run.execution)["status"] == "RUNNING":
                self.task_stopped(run, exit_code=0)  # workaround 7
        for arn in self.executions:
            self.ended(arn)


RUN_STATES = ("RunJob", "RunJobOnSpot")
REDRIVEN_PREFIX = "redrive-"


def with_redrive_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workaround 12: every execution's Context object gets Execution.RedriveCount, as AWS's has: 1 for an
    execution named `redrive-*` (Aws.redrive), 0 for any other."""
    original = execution_worker.ExecutionData  # type: ignore[attr-defined]  # imported there from asl.eval.states

    def with_count(**fields: Any) -> Any:
        return {**original(**fields), "RedriveCount": 1 if str(fields["Name"]).startswith(REDRIVEN_PREFIX) else 0}

    monkeypatch.setattr(execution_worker, "ExecutionData", with_count)


def with_run_stand_ins(definition: dict[str, Any], queue_url: str) -> dict[str, Any]:
    """Workaround 1: every run state hands its runTask arguments and task token to the test instead of ECS."""
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

    assert runs and without_targets(swapped["States"]) == without_targets(definition["States"])
    assert {k: v for k, v in swapped.items() if k != "States"} == {k: v for k, v in definition.items() if k != "States"}
    return swapped


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """moto with workarounds 1-10, and the test playing ECS."""
    yield from running_aws(monkeypatch)


def running_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """The `aws` fixture's body, for a test module's own fixture that patches more first (workaround 12)."""
    require_moto_hooks(pytest.fail)  # each workaround below names itself if moto moved what it patches
    monkeypatch.setattr(moto_jsonata, "_eval_jsonata", _evaluate_jsonata)  # workaround 2
    harness: Aws | None = None

    def record_wait(seconds: float) -> None:  # workaround 3
        assert harness is not None
        harness.retry_waits.append(seconds)

    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=record_wait))

    def record_wait_state(function: WaitFunction, env: Any, wait_seconds: int) -> None:  # workaround 10
        assert harness is not None
        harness.waits.append(wait_seconds)

    monkeypatch.setattr(WaitFunction, "_wait_interval", record_wait_state)

    original_attempt = StateTaskServiceSqs._eval_execution

    def attempt_with_fresh_token(service: StateTaskServiceSqs, env: Environment) -> None:  # workaround 4
        env.callback_pool_manager.add(env.states.context_object.update_task_token())
        original_attempt(service, env)

    monkeypatch.setattr(StateTaskServiceSqs, "_eval_execution", attempt_with_fresh_token)
    monkeypatch.setattr(state_task_service_callback, "CustomErrorName", _error_name)  # workaround 5
    monkeypatch.setattr(state_fail, "CustomErrorName", _error_name)  # workaround 5

    original_error = StateTaskServiceDynamoDB._from_error

    def query_evaluation_error(service: Any, env: Environment, ex: Exception) -> Any:  # workaround 13
        if not isinstance(ex, moto_jsonata.JSONataException):
            return original_error(service, env, ex)
        name = StatesErrorNameType.StatesQueryEvaluationError
        return FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=name),
            event_type=HistoryEventType.TaskFailed,
            # As moto's own services build it: one of the TypedDict's keys.
            event_details=EventDetails(  # type: ignore[typeddict-item]
                taskFailedEventDetails=TaskFailedEventDetails(error=name.to_name(), cause=str(ex.details))
            ),
        )

    monkeypatch.setattr(StateTaskServiceDynamoDB, "_from_error", query_evaluation_error)

    original_timeout = TimeoutSeconds.eval

    def timeout_even_when_stopped(timeout: TimeoutSeconds, env: Environment) -> None:  # workaround 14
        if env.is_running():
            original_timeout(timeout, env)
        else:
            env.stack.append(timeout.timeout_seconds)

    monkeypatch.setattr(TimeoutSeconds, "eval", timeout_even_when_stopped)

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
