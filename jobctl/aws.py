"""Every Step Functions and Scheduler call jobctl makes, for one stack prefix; resources are found by
components.model.naming's names, so one job's resources are addressed directly, never searched for."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import boto3
from botocore.exceptions import ClientError

from components.model.naming import RESERVED_JOB_NAMES, job_names, shared_names
from components.model.run_inputs import declared_input_names
from jobctl.alert_topic import AlertTopic, read_alert_topic
from jobctl.dead_letters import DeadLetterQueue
from jobctl.errors import UnknownJob, error_code
from jobctl.lock_table import JobItem, LockTable
from jobctl.run_words import container_reason_from_history, execution_timeout_seconds, task_timeout_seconds
from jobctl.runs import Run, run_from_execution, run_from_listing, task_arns_from_history
from jobctl.session import CLIENT_CONFIG

# Step Functions execution names: 1-80 characters (StartExecution API reference).
_EXECUTION_NAME_LIMIT = 80
# ListStateMachines and ListExecutions return at most 1000 items a page (maxResults: "the maximum allowed page
# size is 1000"; the default is 100: Step Functions API reference).
PAGE_LIMIT = 1000
# The last events of a run's history hold its last task (TaskFailed or TaskSucceeded, then the states that
# release the lock, alert and fail): 100, GetExecutionHistory's default page (API reference, maxResults).
_LAST_EVENTS = 100


@dataclass(frozen=True)
class Schedule:
    """A job's EventBridge Scheduler schedule as GetSchedule returns it."""

    expression: str
    timezone: str
    enabled: bool


def manual_execution_name(now: datetime) -> str:
    """`manual-<utc time>-<random>`: sortable, says who started it, unique even within one second."""
    return f"manual-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"[:_EXECUTION_NAME_LIMIT]


class StackJobs:
    """The jobs of one stack prefix in one account and region."""

    def __init__(self, session: boto3.Session, prefix: str) -> None:
        self.prefix = prefix
        self.region = session.region_name
        self._session = session
        self._listed: dict[str, str] | None = None
        self._names: dict[str, str] = {}

    # Clients are made on first use: each loads its service model, which is most of a command's start-up.
    def _client(self, service: str) -> Any:
        return self._session.client(service, config=CLIENT_CONFIG)

    def client(self, service: str) -> Any:
        """A client of `service` with jobctl's retries, for the commands that call a service directly."""
        return self._client(service)

    @cached_property
    def _sfn(self) -> Any:
        return self._client("stepfunctions")

    @cached_property
    def _scheduler(self) -> Any:
        return self._client("scheduler")

    @cached_property
    def locks(self) -> LockTable:
        return LockTable(self._client("dynamodb"), shared_names(self.prefix).lock_table, self.region)

    @cached_property
    def dead_letters(self) -> DeadLetterQueue:
        return DeadLetterQueue(self._client("sqs"), shared_names(self.prefix).schedule_dead_letter_queue, self.region)

    def alert_topic(self) -> AlertTopic:
        """The stack's alert topic and its subscriptions (jobctl/alert_topic.py)."""
        return read_alert_topic(self._session, CLIENT_CONFIG, self.prefix, self.region, lambda: self.account)

    @cached_property
    def logs_client(self) -> Any:
        return self._client("logs")

    @cached_property
    def account(self) -> str:
        """One STS GetCallerIdentity per command, which needs no permission (STS API reference)."""
        return str(self._client("sts").get_caller_identity()["Account"])

    # --- finding jobs -----------------------------------------------------------------------------------

    def machines(self) -> dict[str, str]:
        """Job name -> state machine ARN, for every `<prefix>-<job>` machine but the stack's own (janitor, slot
        watch). ListStateMachines has no name filter, so this reads the region's machines, 1000 a call."""
        if self._listed is None:
            names: dict[str, str] = {}
            pages = self._sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": PAGE_LIMIT})
            for page in pages:
                for machine in page["stateMachines"]:
                    names[machine["name"]] = machine["stateMachineArn"]
            self._names = names
            # Prefix "dev" also matches a stack "dev-eu"; every stack has a janitor, so its machines are known.
            others = [p + "-" for p in self.prefixes_in_region() if p != self.prefix and p.startswith(self.prefix)]
            self._listed = {
                name.removeprefix(f"{self.prefix}-"): arn
                for name, arn in sorted(names.items())
                if name.startswith(f"{self.prefix}-")
                and name.removeprefix(f"{self.prefix}-") not in RESERVED_JOB_NAMES
                and not any(name.startswith(other) for other in others)
            }
        return self._listed

    def prefixes_in_region(self) -> list[str]:
        """The prefixes of the stacks whose lock janitor is among the listed machines."""
        suffix = "-" + shared_names("x").janitor_state_machine.removeprefix("x-")
        return sorted(n.removesuffix(suffix) for n in self._names if n.endswith(suffix))

    def state_machine_arn(self, job: str) -> str:
        """The job's machine ARN: from the listing when there was one, else built from its name, this region
        and the caller's account, with no call to Step Functions."""
        if self._listed is not None and job in self._listed:
            return self._listed[job]
        partition = self._session.get_partition_for_region(self.region or "")
        name = job_names(self.prefix, job).state_machine
        return f"arn:{partition}:states:{self.region}:{self.account}:stateMachine:{name}"

    @contextmanager
    def about(self, job: str) -> Iterator[None]:
        """Turns "no such state machine" from a call about `job` into UnknownJob, listing the known jobs (the
        only time a single-job command lists the region's machines)."""
        try:
            yield
        except ClientError as error:
            if error_code(error) != "StateMachineDoesNotExist":
                raise
            raise UnknownJob(job, self.prefix, sorted(self.machines())) from error

    def check_job(self, job: str) -> None:
        """DescribeStateMachine, for commands that otherwise would not notice a misspelt job."""
        with self.about(job):
            self._sfn.describe_state_machine(stateMachineArn=self.state_machine_arn(job))

    def declared_inputs(self, job: str) -> list[str] | None:
        """The run inputs the job's deployed machine accepts (DescribeStateMachine; components/model/
        run_inputs.py), or None for a machine deployed before run inputs, which accepts any."""
        with self.about(job):
            described = self._sfn.describe_state_machine(stateMachineArn=self.state_machine_arn(job))
        definition = json.loads(described.get("definition") or "{}")
        return declared_input_names(definition) if isinstance(definition, dict) else None

    # --- runs -------------------------------------------------------------------------------------------

    def list_runs(self, job: str, limit: int, running_only: bool = False) -> list[Run]:
        """The latest `limit` runs as ListExecutions has them (newest first: "Results are sorted by time, with
        the most recent execution first", API reference), asking for no more than `limit`."""
        runs: list[Run] = []
        token: str | None = None
        with self.about(job):
            while len(runs) < limit:
                extra: dict[str, Any] = {"nextToken": token} if token else {}
                if running_only:
                    extra["statusFilter"] = "RUNNING"
                page = self._sfn.list_executions(
                    stateMachineArn=self.state_machine_arn(job), maxResults=min(limit - len(runs), PAGE_LIMIT), **extra
                )
                runs.extend(run_from_listing(item) for item in page["executions"])
                token = page.get("nextToken")
                if not token:
                    break
        return runs[:limit]

    def describe(self, execution_arn: str) -> Run:
        """DescribeExecution, and for the ends that need it the facts that put them in plain words
        (run_words.py): a timeout's limit from the definition the run used (DescribeStateMachineForExecution,
        which returns the version the execution ran, not today's), and for a container killed by a signal
        ECS's container `reason` from the execution history's last task (at most 100 events, newest first)."""
        run = run_from_execution(self._sfn.describe_execution(executionArn=execution_arn))
        if run.needs_timeout():
            definition = self._sfn.describe_state_machine_for_execution(executionArn=execution_arn)["definition"]
            value = json.loads(definition) if definition else {}
            limit = execution_timeout_seconds(value) if run.outcome == "timed_out" else task_timeout_seconds(value)
            run = replace(run, timeout_seconds=limit)
        if run.needs_container_reason():
            events = self._sfn.get_execution_history(
                executionArn=execution_arn, reverseOrder=True, maxResults=_LAST_EVENTS
            )["events"]
            run = replace(run, container_reason=container_reason_from_history(events))
        return run

    def execution_input(self, execution_arn: str) -> dict[str, Any]:
        """What the run was started with (DescribeExecution's `input`): its `scheduledTime`, `environment`."""
        text = self._sfn.describe_execution(executionArn=execution_arn).get("input") or "{}"
        value = json.loads(text)
        return value if isinstance(value, dict) else {}

    def describe_if_kept(self, execution_arn: str) -> Run | None:
        """The run, or None when Step Functions no longer has it (closed runs are kept 90 days: service quotas)."""
        try:
            return self.describe(execution_arn)
        except ClientError as error:
            if error_code(error) != "ExecutionDoesNotExist":
                raise
            return None

    def reopen_slot(self, job: str, slot: str, rerun: bool) -> str | None:
        """Give back the claim of a slot whose run did not succeed (or with `rerun`, one that did); see
        LockTable.reopen_slot. Returns what was done in words, None when the slot was never claimed."""
        return self.locks.reopen_slot(job, slot, rerun, self.describe_if_kept)

    def execution_arn(self, job: str, execution: str) -> str:
        """An execution ARN from a full ARN or just the execution's name."""
        if execution.startswith("arn:"):
            return execution
        return self.state_machine_arn(job).replace(":stateMachine:", ":execution:", 1) + f":{execution}"

    def caller(self) -> str:
        """Who runs jobctl: the caller identity's ARN (STS GetCallerIdentity, which needs no permission)."""
        return str(self._client("sts").get_caller_identity()["Arn"])

    def start(
        self,
        job: str,
        environment: dict[str, str],
        name: str,
        scheduled_time: str | None = None,
        force: bool = False,
    ) -> str:
        """Start a run now; the input is what the definition turns into container environment overrides, and
        the slot the run is for (`scheduledTime`, as the schedule passes it) when one is named; `force` runs it
        even while the job is paused."""
        run_input: dict[str, object] = {"environment": environment}
        if scheduled_time is not None:
            run_input["scheduledTime"] = scheduled_time
        if force:
            run_input["force"] = True
        with self.about(job):
            response = self._sfn.start_execution(
                stateMachineArn=self.state_machine_arn(job), name=name, input=json.dumps(run_input)
            )
        return str(response["executionArn"])

    def start_slot_watch(self, job: str, slot: str, name: str) -> tuple[str, bool]:
        """Start the stack's slot watch for `job`'s `slot` with the input its schedule sends ({"job", "slot"}:
        components/resources/scheduled_job.py), named `name`. Returns the execution ARN and whether this call
        started it: a name already used (ExecutionAlreadyExists: names are unique per machine for 90 days,
        StartExecution API reference) means the slot was checked already."""
        partition = self._session.get_partition_for_region(self.region or "")
        machine = shared_names(self.prefix).slot_watch_state_machine
        arn = f"arn:{partition}:states:{self.region}:{self.account}:stateMachine:{machine}"
        try:
            started = self._sfn.start_execution(
                stateMachineArn=arn, name=name, input=json.dumps({"job": job, "slot": slot})
            )
        except ClientError as error:
            if error_code(error) != "ExecutionAlreadyExists":
                raise
            return arn.replace(":stateMachine:", ":execution:", 1) + f":{name}", False
        return str(started["executionArn"]), True

    def stop(self, execution_arn: str, cause: str) -> None:
        """StopExecution; error at most 256 characters, cause 32768 (API reference)."""
        self._sfn.stop_execution(executionArn=execution_arn, error="jobctl.Stopped", cause=cause[:32768])

    def redrive(self, execution_arn: str) -> str:
        """RedriveExecution: the same execution runs again from the state it failed, was stopped or timed out
        in, with the same input (Step Functions API reference; only the self-test's canary: `jobctl redrive`
        starts a new run instead, docs/jobctl.md). Returns the execution to watch, the same ARN."""
        self._sfn.redrive_execution(executionArn=execution_arn)
        return execution_arn

    def task_arns(self, run: Run) -> list[str]:
        """The ECS tasks a run started: its output says so on success, its history in every other case."""
        if run.task_arn:
            return [run.task_arn]
        events: list[dict[str, Any]] = []
        for page in self._sfn.get_paginator("get_execution_history").paginate(
            executionArn=run.execution_arn, PaginationConfig={"PageSize": PAGE_LIMIT}
        ):
            events.extend(page["events"])
        return task_arns_from_history(events)

    # --- schedules and items ----------------------------------------------------------------------------

    def schedule(self, job: str) -> Schedule | None:
        """GetSchedule in the stack's group `<prefix>-jobs`; None for a job that runs only by hand."""
        try:
            found = self._scheduler.get_schedule(
                Name=job_names(self.prefix, job).schedule, GroupName=shared_names(self.prefix).schedule_group
            )
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return None
            raise
        return Schedule(
            expression=found["ScheduleExpression"],
            timezone=found.get("ScheduleExpressionTimezone") or "UTC",
            enabled=found.get("State") == "ENABLED",
        )

    def items(self, jobs: list[str]) -> dict[str, JobItem]:
        return self.locks.items(jobs)
