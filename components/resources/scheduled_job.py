"""ScheduledJob: one job's task, state machine, schedule and alarms, wired from the pure builders."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.documents import policies
from components.documents.containers import container_definitions, scratch_volumes
from components.model.permissions import task_role_policy
from components.model.stack import Stack, StackJob
from components.model.tags import job_tags
from components.model.timing import SCHEDULE_MAX_EVENT_AGE_SECONDS, SCHEDULE_RETRY_ATTEMPTS
from components.resources.iam_role import service_role
from components.resources.shared import SharedInfra

TYPE = "scheduled-jobs:jobs:ScheduledJob"
# EventBridge Scheduler's context attribute for the time a schedule fired for (ISO 8601, UTC).
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
DRAIN_MARGIN_SECONDS = 900  # beyond a removed job's execution timeout, for its machine's deletion to finish


@dataclass(frozen=True)
class ScheduledJobArgs:
    """One validated job as this stack deploys it, and the shared pieces it runs on."""

    job: StackJob
    stack: Stack
    shared: SharedInfra


class ScheduledJob(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    state_machine_name: pulumi.Output[str]
    schedule_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: ScheduledJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # A renamed job answers to its former names; each child's alias follows from its name ("<name>-task").
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old) for old in args.job.spec.former_names])
        super().__init__(TYPE, name, None, pulumi.ResourceOptions.merge(opts, renamed))
        self._name, self._job, self._stack, self._shared = name, args.job, args.stack, args.shared
        self._config = args.stack.config
        self._tags = job_tags(self._config.tags, args.job.spec.tags, args.job.name)
        task_definition = self._task()
        machine = self._state_machine(task_definition)
        self.state_machine_arn = machine.arn
        self.state_machine_name = machine.name
        self.schedule_name = self._schedule(machine)
        self.register_outputs(
            {
                "stateMachineArn": self.state_machine_arn,
                "stateMachineName": self.state_machine_name,
                "scheduleName": self.schedule_name,
            }
        )

    def _task(self) -> aws.ecs.TaskDefinition:
        """The container's log group, its own role if it declares `permissions` (a job without has no AWS
        identity in its container, and costs no IAM role), and the task definition."""
        job, spec, names = self._job, self._job.spec, self._job.names
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=names.log_group,
            retention_in_days=self._config.log_retention_days,
            tags=self._tags,
            # A removed job's logs stay for their retention (docs/changing-a-deployed-stack.md).
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        permissions = task_role_policy(spec.permissions)
        task_role = (
            service_role(
                f"{self._name}-task-role",
                name=names.task_role,
                description=f"Identity of job {job.name}'s container: it may do what the job's permissions grant.",
                trust=policies.ecs_task_trust(self._shared.env),
                policy=("job-permissions", permissions),
                tags=self._tags,
                parent=self,
            )
            if permissions is not None
            else None
        )
        containers = container_definitions(spec, names, spec.image or self._config.image, self._config.region)
        # A changed container definition, volume or storage size registers a new revision of the family (the
        # provider replaces the task definition, creating the new one first); a run in flight keeps its
        # revision, and the next run starts the family's latest (docs/changing-a-deployed-stack.md).
        volumes = scratch_volumes(spec)
        return aws.ecs.TaskDefinition(
            f"{self._name}-task",
            family=names.task_family,
            cpu=str(spec.cpu),
            memory=str(spec.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self._shared.execution_role_arns[job.name],
            task_role_arn=task_role.arn if task_role is not None else None,
            container_definitions=json.dumps(containers, sort_keys=True),
            volumes=[{"name": volume["name"]} for volume in volumes] or None,
            ephemeral_storage={"size_in_gib": spec.ephemeral_storage} if spec.ephemeral_storage else None,
            tags=self._tags,
            # After the log group, so the first run never logs into a group that does not exist yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )

    def _state_machine(self, task_definition: aws.ecs.TaskDefinition) -> aws.sfn.StateMachine:
        """The definition and the policy name the cluster, table and roles by their known names, the same
        documents the offline plan renders; so a preview shows them in full, even for a new job."""
        job, names, shared = self._job, self._job.names, self._shared
        return aws.sfn.StateMachine(
            f"{self._name}-state-machine",
            name=names.state_machine,
            type="STANDARD",
            role_arn=shared.job_state_machine_role_arn,
            definition=shared.job_definitions[job.name],
            logging_configuration={
                "level": "ALL",
                # Execution input may carry environment overrides; keep data out of the logs.
                "include_execution_data": False,
                "log_destination": shared.state_machine_log_destination,
            },
            tags=self._tags,
            # What the definition names must exist before the first run can start.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[task_definition, *shared.job_prerequisites],
                # DeleteStateMachine waits for running executions ("A state machine is deleted only when all its
                # executions are completed": Step Functions API reference, DeleteStateMachine); the provider
                # gives up after 5 minutes by default. A removed job's run in flight may take its whole
                # execution timeout, and its task definition and role are deleted only after the machine.
                custom_timeouts=pulumi.CustomTimeouts(delete=f"{job.spec.execution_timeout + DRAIN_MARGIN_SECONDS}s"),
            ),
        )

    def _schedule(self, machine: aws.sfn.StateMachine) -> pulumi.Output[str] | None:
        """The EventBridge Scheduler schedule, unless the job runs only by hand, and its watch: a schedule
        with the same expression and time zone that starts the slot watch at each slot."""
        job, spec, shared = self._job, self._job.spec, self._shared
        schedule = spec.parsed_schedule
        if schedule is None:
            return None
        dead_letters = shared.schedule_dead_letter_queue_arn

        def declare(
            suffix: str,
            group: pulumi.Input[str],
            arn: pulumi.Input[str],
            run_input: dict[str, str],
            what: str,
            window: aws.scheduler.ScheduleFlexibleTimeWindowArgsDict,
        ) -> aws.scheduler.Schedule:
            return aws.scheduler.Schedule(
                f"{self._name}-{suffix}",
                name=job.names.schedule,
                group_name=group,
                description=what[:512],
                schedule_expression=schedule.expression,
                schedule_expression_timezone=spec.schedule_timezone,
                state="ENABLED" if spec.enabled else "DISABLED",
                flexible_time_window=window,
                target={
                    "arn": arn,
                    "role_arn": shared.scheduler_role_arn,
                    "input": json.dumps(run_input),
                    "retry_policy": {
                        "maximum_retry_attempts": SCHEDULE_RETRY_ATTEMPTS,
                        "maximum_event_age_in_seconds": SCHEDULE_MAX_EVENT_AGE_SECONDS,
                    },
                    "dead_letter_config": {"arn": dead_letters} if dead_letters is not None else None,
                },
                opts=pulumi.ResourceOptions(parent=self),
            )

        # The slot reaches the run: <aws.scheduler.scheduled-time> is replaced by the time the schedule fired
        # for (Scheduler user guide, "Adding context attributes to your target").
        created = declare(
            "schedule",
            shared.schedule_group_name,
            machine.arn,
            {"scheduledTime": SCHEDULED_TIME},
            spec.description or f"Starts job {job.name}",
            # jitter: started within that many minutes after the slot; <aws.scheduler.scheduled-time> is still
            # the slot ("the time you specified for the schedule to invoke its target"; on the self-test list).
            {"mode": "FLEXIBLE", "maximum_window_in_minutes": spec.jitter_minutes} if spec.jitter else {"mode": "OFF"},
        )
        declare(
            "watch",
            shared.slot_watch_schedule_group_name,
            shared.slot_watch_arn,
            {"job": job.name, "slot": SCHEDULED_TIME},
            f"Keeps the deadline of each slot of job {job.name}",
            {"mode": "OFF"},  # the watch starts on the slot and adds the jitter to its times itself
        )
        return created.name
