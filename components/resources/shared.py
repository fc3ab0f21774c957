"""SharedInfra: what every job of a stack uses, built once: lock table, alarm topic, cluster, the task
execution role, the schedules' role and group, and the lock janitor."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.documents import policies
from components.documents import rendered as render
from components.documents.dashboard import JOBS_PER_DASHBOARD, dashboard_bodies
from components.documents.lock_janitor import janitor_event_pattern, start_janitor_policy
from components.documents.missed_run import MissedRunAlarm, missed_run_alarm
from components.model.arns import AwsEnv
from components.model.lock_item import LOCK_EXPIRES_AT, LOCK_KEY
from components.model.naming import shared_names
from components.model.stack import Stack
from components.resources.iam_role import service_role, sorted_json

TYPE = "scheduled-jobs:jobs:SharedInfra"


@dataclass(frozen=True)
class SharedInfraArgs:
    """The validated stack: its config and every job (for the roles that must name them all)."""

    stack: Stack


class SharedInfra(pulumi.ComponentResource):
    env: AwsEnv
    lock_table_name: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    scheduler_role_arn: pulumi.Output[str]
    schedule_group_name: pulumi.Output[str]
    state_machine_log_destination: pulumi.Output[str]
    job_prerequisites: list[pulumi.Resource]  # what a job's state machine must be created after
    schedule_dead_letter_queue_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: SharedInfraArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        config = args.stack.config
        jobs = args.stack.jobs
        names = shared_names(config.name_prefix)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        tags = {**config.tags, "scheduled-jobs:stack": args.stack.stack}

        # Resolved once, synchronously: every policy of every job needs them, and plain values keep
        # hundreds of jobs from each waiting on an Output for them.
        account = aws.get_caller_identity(opts=invoke).account_id
        partition = aws.get_partition(opts=invoke).partition
        self.env = AwsEnv(partition, config.region, account)
        env = self.env

        table = aws.dynamodb.Table(
            f"{name}-locks",
            name=names.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key=LOCK_KEY,
            attributes=[{"name": LOCK_KEY, "type": "S"}],
            ttl={"attribute_name": LOCK_EXPIRES_AT, "enabled": True},
            tags=tags,
            opts=child,
        )
        self.lock_table_name = table.name
        self.job_prerequisites = [table]

        if config.alarm_topic_arn:
            self.alarm_topic_arn = pulumi.Output.from_input(config.alarm_topic_arn)
        else:
            topic = aws.sns.Topic(f"{name}-alarms", name=names.alarm_topic, tags=tags, opts=child)
            self.alarm_topic_arn = topic.arn
        for email in config.alarm_emails:
            aws.sns.TopicSubscription(
                f"{name}-alarm-email-{email.replace('@', '-at-')}",
                topic=self.alarm_topic_arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )

        if config.cluster_name:
            self.cluster_name = pulumi.Output.from_input(config.cluster_name)
        else:
            cluster = aws.ecs.Cluster(f"{name}-cluster", name=names.cluster, tags=tags, opts=child)
            # Fargate Spot runs need the FARGATE_SPOT capacity provider on the cluster.
            providers = aws.ecs.ClusterCapacityProviders(
                f"{name}-cluster-capacity",
                cluster_name=cluster.name,
                capacity_providers=["FARGATE", "FARGATE_SPOT"],
                opts=child,
            )
            self.cluster_name = pulumi.Output.all(cluster.name, providers.id).apply(lambda v: v[0])
            self.job_prerequisites.append(providers)  # a Spot run needs FARGATE_SPOT on the cluster

        self.schedule_dead_letter_queue_arn = None
        if config.schedule_dead_letter_queue:
            queue = aws.sqs.Queue(
                f"{name}-schedule-dlq",
                name=names.schedule_dead_letter_queue,
                message_retention_seconds=14 * 86400,  # the SQS maximum: two weeks to look into it
                sqs_managed_sse_enabled=True,
                tags=tags,
                opts=child,
            )
            self.schedule_dead_letter_queue_arn = queue.arn
            aws.cloudwatch.MetricAlarm(
                f"{name}-schedule-dlq-alarm",
                name=names.schedule_dead_letter_alarm,
                alarm_description=(
                    f"EventBridge Scheduler could not start a job of stack {args.stack.stack}: the failed start is "
                    f"in SQS queue {names.schedule_dead_letter_queue} (which job, and why). Run the job by hand if "
                    "the run is still needed, then delete the message."
                ),
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": queue.name},
                statistic="Maximum",
                period=300,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                treat_missing_data="notBreaching",
                alarm_actions=[self.alarm_topic_arn],
                ok_actions=[self.alarm_topic_arn],
                tags=tags,
                opts=child,
            )

        # The shared roles' policies come from the builders the offline plan renders, so the two agree.
        execution_role = service_role(
            f"{name}-execution-role",
            name=names.execution_role,
            description="Pulls job images, writes job logs, reads the secrets jobs reference.",
            trust=policies.ecs_task_trust(env),
            policy=("job-execution", render.execution_role_policy(args.stack, env)),
            tags=tags,
            parent=self,
        )
        self.execution_role_arn = execution_role.arn

        group = aws.scheduler.ScheduleGroup(f"{name}-schedules", name=names.schedule_group, tags=tags, opts=child)
        self.schedule_group_name = group.name
        scheduler_role = service_role(
            f"{name}-scheduler-role",
            name=names.scheduler_role,
            description="Lets EventBridge Scheduler start this stack's job state machines.",
            trust=policies.scheduler_trust(env, names.schedule_group),
            policy=("start-jobs", render.scheduler_role_policy(args.stack, env)),
            tags=tags,
            parent=self,
        )
        self.scheduler_role_arn = scheduler_role.arn

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-execution-logs",
            name=names.state_machine_log_group,
            retention_in_days=config.log_retention_days,
            tags=tags,
            opts=child,
        )
        self.state_machine_log_destination = log_group.arn.apply(lambda arn: f"{arn}:*")

        janitor_documents = render.janitor_documents(args.stack, env)
        janitor_role = service_role(
            f"{name}-janitor-role",
            name=names.janitor_role,
            description="Lets the lock janitor release locks of executions that ended badly.",
            trust=policies.state_machine_trust(env, names.janitor_state_machine),
            policy=("release-locks", janitor_documents.policy),
            tags=tags,
            parent=self,
        )
        janitor = aws.sfn.StateMachine(
            f"{name}-janitor",
            name=names.janitor_state_machine,
            role_arn=janitor_role.arn,
            type="STANDARD",
            definition=sorted_json(table.name.apply(lambda _: janitor_documents.definition)),
            logging_configuration={
                "level": "ERROR",
                "include_execution_data": False,
                "log_destination": self.state_machine_log_destination,
            },
            tags=tags,
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-janitor-rule",
            name=names.janitor_rule,
            description="Executions of this stack's jobs that failed, timed out or were stopped.",
            event_pattern=sorted_json(janitor_event_pattern(env.arn("states", f"stateMachine:{config.name_prefix}-"))),
            tags=tags,
            opts=child,
        )
        events_role = service_role(
            f"{name}-janitor-events-role",
            name=names.janitor_events_role,
            description="Lets EventBridge start the lock janitor.",
            trust=policies.events_trust(env, names.janitor_rule),
            policy=("start-janitor", start_janitor_policy(env, names.janitor_state_machine)),
            tags=tags,
            parent=self,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-janitor-target",
            rule=rule.name,
            arn=janitor.arn,
            role_arn=events_role.arn,
            opts=child,
        )

        def bodies(e: AwsEnv) -> list[dict[str, Any]]:
            machines = {job.name: e.arn("states", f"stateMachine:{job.names.state_machine}") for job in jobs}
            alarms = [e.arn("cloudwatch", f"alarm:{job.names.failure_alarm}") for job in jobs]
            alarms += [
                e.arn("cloudwatch", f"alarm:{job.names.missed_run_alarm}")
                for job in jobs
                if isinstance(missed_run_alarm(job.spec), MissedRunAlarm)
            ]
            return dashboard_bodies(config.region, machines, alarms)

        all_bodies = bodies(env)  # built once, split over the dashboards
        dashboard_count = max(1, -(-len(jobs) // JOBS_PER_DASHBOARD))
        for index in range(dashboard_count):
            suffix = "" if index == 0 else f"-{index + 1}"
            aws.cloudwatch.Dashboard(
                f"{name}-dashboard{suffix}",
                dashboard_name=f"{names.dashboard}{suffix}",
                dashboard_body=json.dumps(all_bodies[index], sort_keys=True),
                opts=child,
            )

        self.register_outputs(
            {
                "lockTableName": self.lock_table_name,
                "alarmTopicArn": self.alarm_topic_arn,
                "clusterName": self.cluster_name,
                "janitorStateMachineArn": janitor.arn,
            }
        )
