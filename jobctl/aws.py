"""Every AWS call jobctl makes, for one stack prefix; resources are found by components.model.naming's names."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import boto3
from botocore.exceptions import ClientError

from components.model.lock_item import LOCK_ATTRIBUTES, LOCK_HOLDER, LOCK_KEY, slot_claim_key
from components.model.naming import job_names, shared_names
from jobctl.errors import JobctlError, UnknownJob
from jobctl.runs import Lock, Run, lock_from_item, run_from_execution, task_arns_from_history, task_id

# Step Functions execution names: 1-80 characters (StartExecution API reference).
_EXECUTION_NAME_LIMIT = 80


@dataclass(frozen=True)
class LogEvent:
    timestamp: datetime
    message: str


@dataclass(frozen=True)
class LogStream:
    task_arn: str
    log_group: str
    name: str
    events: list[LogEvent] | None  # None: the stream does not exist


def manual_execution_name(now: datetime) -> str:
    """`manual-<utc time>-<random>`: sortable, says who started it, unique even within one second."""
    return f"manual-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"[:_EXECUTION_NAME_LIMIT]


class StackJobs:
    """The jobs of one stack prefix in one account and region."""

    def __init__(self, session: boto3.Session, prefix: str) -> None:
        self.prefix = prefix
        self.region = session.region_name
        self._session = session
        self._machines: dict[str, str] | None = None

    # Clients are made on first use: each loads its service model, which is most of a command's start-up.
    @cached_property
    def _sfn(self) -> Any:
        return self._session.client("stepfunctions")

    @cached_property
    def _dynamodb(self) -> Any:
        return self._session.client("dynamodb")

    @cached_property
    def _logs(self) -> Any:
        return self._session.client("logs")

    def machines(self) -> dict[str, str]:
        """Job name -> state machine ARN, for every `<prefix>-<job>` machine but the lock janitor."""
        if self._machines is None:
            names: dict[str, str] = {}
            for page in self._sfn.get_paginator("list_state_machines").paginate():
                for machine in page["stateMachines"]:
                    names[machine["name"]] = machine["stateMachineArn"]
            janitor = shared_names(self.prefix).janitor_state_machine
            # Prefix "dev" also matches a stack "dev-eu"; every stack has a janitor, so its machines are known.
            other_prefixes = [
                n.removesuffix("-lock-janitor") + "-"
                for n in names
                if n.endswith("-lock-janitor") and n != janitor and n.startswith(f"{self.prefix}-")
            ]
            self._machines = {
                name.removeprefix(f"{self.prefix}-"): arn
                for name, arn in sorted(names.items())
                if name.startswith(f"{self.prefix}-")
                and name != janitor
                and not any(name.startswith(other) for other in other_prefixes)
            }
        return self._machines

    def state_machine_arn(self, job: str) -> str:
        machines = self.machines()
        if job not in machines:
            raise UnknownJob(job, self.prefix, sorted(machines))
        return machines[job]

    def start(self, job: str, environment: dict[str, str], name: str, scheduled_time: str | None = None) -> str:
        """Start a run now; the input is what the definition turns into container environment overrides, and
        the slot the run is for (`scheduledTime`, as the schedule passes it) when one is named."""
        run_input: dict[str, object] = {"environment": environment}
        if scheduled_time is not None:
            run_input["scheduledTime"] = scheduled_time
        response = self._sfn.start_execution(
            stateMachineArn=self.state_machine_arn(job), name=name, input=json.dumps(run_input)
        )
        return str(response["executionArn"])

    def run(self, execution_arn: str) -> Run:
        return run_from_execution(self._sfn.describe_execution(executionArn=execution_arn))

    def runs(self, job: str, limit: int) -> list[Run]:
        """The latest `limit` runs, newest first; each described, since only that tells a skip or an error."""
        listed: list[str] = []
        paginator = self._sfn.get_paginator("list_executions")
        pages = paginator.paginate(stateMachineArn=self.state_machine_arn(job), PaginationConfig={"MaxItems": limit})
        for page in pages:
            listed.extend(e["executionArn"] for e in page["executions"])
        return [self.run(arn) for arn in listed[:limit]]

    def execution_arn(self, job: str, execution: str) -> str:
        """An execution ARN from a full ARN or just the execution's name."""
        if execution.startswith("arn:"):
            return execution
        machine = self.state_machine_arn(job)
        return machine.replace(":stateMachine:", ":execution:", 1) + f":{execution}"

    def task_arns(self, run: Run) -> list[str]:
        """The ECS tasks a run started: its output says so on success, its history in every other case."""
        if run.task_arn:
            return [run.task_arn]
        events: list[dict[str, Any]] = []
        for page in self._sfn.get_paginator("get_execution_history").paginate(executionArn=run.execution_arn):
            events.extend(page["events"])
        return task_arns_from_history(events)

    def log_stream(self, job: str, task_arn: str) -> LogStream:
        """The container's whole log: awslogs writes stream `<prefix>/<container>/<task id>`."""
        names = job_names(self.prefix, job)
        stream = f"job/{names.container}/{task_id(task_arn)}"
        events: list[LogEvent] = []
        token: str | None = None
        try:
            while True:
                extra = {"nextToken": token} if token else {}
                page = self._logs.get_log_events(
                    logGroupName=names.log_group, logStreamName=stream, startFromHead=True, **extra
                )
                events.extend(
                    LogEvent(datetime.fromtimestamp(e["timestamp"] / 1000, UTC), e["message"]) for e in page["events"]
                )
                # GetLogEvents returns the same forward token once the end is reached.
                if not page["events"] or page["nextForwardToken"] == token:
                    break
                token = page["nextForwardToken"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            return LogStream(task_arn, names.log_group, stream, None)
        return LogStream(task_arn, names.log_group, stream, events)

    @property
    def lock_table(self) -> str:
        return shared_names(self.prefix).lock_table

    def lock(self, job: str) -> Lock | None:
        """The job's lock item, read consistently so a just-released lock does not show as held."""
        self.state_machine_arn(job)
        try:
            item = self._dynamodb.get_item(TableName=self.lock_table, Key={LOCK_KEY: {"S": job}}, ConsistentRead=True)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                raise JobctlError(f"lock table {self.lock_table!r} not found in {self.region}") from error
            raise
        # The item outlives the lock (it keeps the job's alert state): the lock is there while it has a holder.
        found = item.get("Item")
        return lock_from_item(found) if found is not None and LOCK_HOLDER in found else None

    def delete_lock(self, job: str, holder: str) -> bool:
        """Release the lock only while `holder` still holds it (the item keeps the job's alert state); False
        when it changed hands or is gone."""
        try:
            self._dynamodb.update_item(
                TableName=self.lock_table,
                Key={LOCK_KEY: {"S": job}},
                UpdateExpression=f"REMOVE {', '.join(LOCK_ATTRIBUTES)}",
                ConditionExpression=f"{LOCK_HOLDER} = :holder",
                ExpressionAttributeValues={":holder": {"S": holder}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def reopen_slot(self, job: str, slot: str, rerun: bool) -> str | None:
        """Before a run that names `slot`: give back the slot's claim (components/documents/slot_claims.py) when
        the execution that claimed it did not run it to success, or with `rerun` when it did, so the new run is
        not skipped as a second delivery. Returns what was done, in words (None: the slot was never claimed).
        Raises JobctlError while the claiming execution is still running, or when it succeeded and not `rerun`."""
        key = {LOCK_KEY: {"S": slot_claim_key(job, slot)}}
        item = self._dynamodb.get_item(TableName=self.lock_table, Key=key, ConsistentRead=True).get("Item")
        if item is None:
            return None
        claimer = item[LOCK_HOLDER]["S"]
        try:
            claimed = self.run(claimer)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
                raise
            claimed = None
        if claimed is not None and claimed.outcome == "running":
            raise JobctlError(f"slot {slot} of {job} is running now, in execution {claimer}: wait for it or stop it")
        if claimed is not None and claimed.outcome == "succeeded" and not rerun:
            raise JobctlError(
                f"slot {slot} of {job} already ran in execution {claimer} (succeeded); "
                "add --rerun to run it again anyway"
            )
        try:
            self._dynamodb.delete_item(
                TableName=self.lock_table,
                Key=key,
                ConditionExpression=f"{LOCK_HOLDER} = :claimer",
                ExpressionAttributeValues={":claimer": {"S": claimer}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise JobctlError(
                f"slot {slot} of {job} was just claimed by another run; see `jobctl status {job}`"
            ) from error
        ended = claimed.outcome if claimed is not None else "gone from the history"
        return f"slot {slot} was claimed by execution {claimer} ({ended}): running it again"
