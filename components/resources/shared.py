"""SharedInfra: what every job of a stack uses, built once: lock table, alarm topic, cluster, the schedules'
dead-letter queue, the task execution role, the schedules' role and group, execution logs, the lock
janitor and the dashboards."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.documents import policies
from components.documents import rendered as render
from components.documents.dashboard import dashboard_count
from components.documents.execution_roles import execution_roles
from components.documents.grants import MachineDocuments
from components.documents.limits import stack_limit_problems
from components.documents.topic_key import created_key_policy
from components.model.arns import AwsEnv
from components.model.aws_constants import SQS_MAX_MESSAGE_RETENTION_SECONDS
from components.model.errors import InvalidSetup
from components.model.lock_item import ITEM_EXPIRES_AT, LOCK_KEY
from components.model.naming import shared_names
from components.model.stack import Stack
from components.model.tags import shared_tags
from components.resources.alarm import notifying_alarm
from components.resources.iam_role import service_role
from components.resources.lock_janitor import LockJanitor, LockJanitorArgs
from components.resources.slot_watch import SlotWatch, SlotWatchArgs

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
    execution_role_arns: dict[str, pulumi.Output[str]]  # job name -> the execution role its task definition names
    scheduler_role_arn: pulumi.Output[str]
    schedule_group_name: pulumi.Output[str]
    state_machine_log_destination: pulumi.Output[str]
    job_prerequisites: list[pulumi.Resource]  # what a job's state machine must be created after
    schedule_dead_letter_queue_arn: pulumi.Output[str] | None
    slot_watch_arn: pulumi.Output[str]
    slot_watch_schedule_group_name: pulumi.Output[str]
    job_definitions: dict[str, str]  # job name -> its state machine's definition, as key-sorted JSON
    job_state_machine_role_arn: pulumi.Output[str] | None  # None for a stack without jobs

    def __init__(self, name: str, args: SharedInfraArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name, self._stack = name, args.stack
        self._names = shared_names(args.stack.config.name_prefix)
        self._tags = shared_tags(args.stack.config.tags, args.stack.stack)
        self._child = pulumi.ResourceOptions(parent=self)
        # Stateful: what they hold (confirmed subscriptions, undelivered starts, logs) outlives their removal
        # from the program; Pulumi forgets them instead of deleting them (`retain_on_delete`).
        self._kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        self.env = self._aws_env()
        # Every job's state machine definition, built once: their shared role is the union of their grants. Not
        # kept as dicts: hundreds of definitions are objects the garbage collector scans again and again for the
        # rest of the program (components/resources/garbage_collection.py); the strings it skips.
        machines = [render.job_machine_documents(job, self._stack, self.env) for job in self._stack.jobs]
        self.job_definitions = {
            job.name: json.dumps(m.definition, sort_keys=True)
            for job, m in zip(self._stack.jobs, machines, strict=True)
        }
        # Before any resource: a stack with a document past AWS's limit would fail half-way through `pulumi up`.
        problems = stack_limit_problems(args.stack, self.env, machines, self.job_definitions)
        if problems:
            raise pulumi.RunError(str(InvalidSetup(problems)))
        table = self._lock_table()
        self.job_prerequisites = [table]
        self._alarm_topic()
        self._cluster()
        self._schedule_dead_letter_queue()
        self._roles_and_schedule_group(machines)
        self._execution_logs()
        janitor = LockJanitor(
            f"{name}-janitor",
            LockJanitorArgs(
                args.stack,
                self.env,
                self._names,
                table,
                self.state_machine_log_destination,
                self._tags,
                self.alarm_topic_arn,
                previous_parent=self,
            ),
            opts=self._child,
        )
        watch = SlotWatch(
            f"{name}-slot-watch",
            SlotWatchArgs(
                args.stack,
                self.env,
                self._names,
                table,
                self.state_machine_log_destination,
                self.alarm_topic_arn,
                self._tags,
            ),
            opts=self._child,
        )
        self.slot_watch_arn = watch.state_machine_arn
        self.slot_watch_schedule_group_name = watch.schedule_group_name
        self._dashboards()
        self.register_outputs(
            {
                "lockTableName": self.lock_table_name,
                "alarmTopicArn": self.alarm_topic_arn,
                "clusterName": self.cluster_name,
                "janitorStateMachineArn": janitor.state_machine_arn,
            }
        )

    def _aws_env(self) -> AwsEnv:
        """Resolved once, synchronously: every policy of every job needs them, and plain values keep
        hundreds of jobs from each waiting on an Output for them."""
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity(opts=invoke).account_id
        partition = aws.get_partition(opts=invoke).partition
        return AwsEnv(partition, self._stack.config.region, account)

    def _lock_table(self) -> aws.dynamodb.Table:
        table = aws.dynamodb.Table(
            f"{self._name}-locks",
            name=self._names.lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key=LOCK_KEY,
            attributes=[{"name": LOCK_KEY, "type": "S"}],
            ttl={"attribute_name": ITEM_EXPIRES_AT, "enabled": True},
            # The jobs' pauses, failure counts and alert state live here. Deletion protection refuses a
            # DeleteTable from the console or the API too, which Pulumi's `protect` does not (Security Hub
            # DynamoDB.6); point-in-time recovery keeps 35 days to restore from (DynamoDB.2). Both change in place
            # (CloudFormation AWS::DynamoDB::Table: DeletionProtectionEnabled and
            # PointInTimeRecoverySpecification, "Update requires: No interruption").
            deletion_protection_enabled=True,
            point_in_time_recovery={"enabled": True},
            tags=self._tags,
            # Its name carries the prefix, so a changed namePrefix would replace it: Pulumi refuses to replace a
            # protected resource and fails the preview ("unable to replace resource ... as it is currently marked
            # for protection": pulumi/pulumi, pkg/resource/deploy/step_generator.go). A new prefix is a new
            # stack. Kept on `pulumi destroy` too, with the jobs' alert state (docs/changing-a-deployed-stack.md).
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(protect=True, retain_on_delete=True)),
        )
        self.lock_table_name = table.name
        return table

    def _alarm_topic(self) -> None:
        config = self._stack.config
        if config.alarm_topic_arn:
            self.alarm_topic_arn = pulumi.Output.from_input(config.alarm_topic_arn)
        else:
            # KmsMasterKeyId changes in place (CloudFormation AWS::SNS::Topic: "Update requires: No
            # interruption"), so encrypting a deployed stack's topic keeps its subscriptions.
            topic = aws.sns.Topic(
                f"{self._name}-alarms",
                name=self._names.alarm_topic,
                kms_master_key_id=self._alarm_topic_key() or config.alarm_topic_kms_key_arn,
                tags=self._tags,
                opts=self._kept,
            )
            self.alarm_topic_arn = topic.arn
        for email in config.alarm_emails:
            aws.sns.TopicSubscription(
                f"{self._name}-alarm-email-{email.replace('@', '-at-')}",
                topic=self.alarm_topic_arn,
                protocol="email",
                endpoint=email,
                opts=self._child,
            )

    def _alarm_topic_key(self) -> pulumi.Output[str] | None:
        """The customer managed key of the stack's own topic (encryptAlarmTopic): CloudWatch alarms cannot use
        SNS's AWS managed key (components/documents/topic_key.py). Kept when removed from the program: a
        deleted key's messages and alarms' history cannot be read again."""
        if not self._stack.config.encrypt_alarm_topic:
            return None
        key = aws.kms.Key(
            f"{self._name}-alarm-topic-key",
            description=f"Encrypts the alert topic of stack {self._stack.stack} (scheduled-jobs).",
            # KMS.4: yearly rotation of the key material (Security Hub, "KMS.4").
            enable_key_rotation=True,
            policy=json.dumps(created_key_policy(self.env), sort_keys=True),
            tags=self._tags,
            opts=self._kept,
        )
        # The publishers' grants name the key by this alias (kms:ResourceAliases): its ARN is only known now.
        aws.kms.Alias(
            f"{self._name}-alarm-topic-key-alias",
            name=self._names.alarm_topic_key_alias,
            target_key_id=key.key_id,
            opts=self._child,
        )
        return key.arn

    def _cluster(self) -> None:
        if self._stack.config.cluster_name:
            self.cluster_name = pulumi.Output.from_input(self._stack.config.cluster_name)
            return
        # Container Insights (Security Hub ECS.12): ClusterSettings change in place (CloudFormation
        # AWS::ECS::Cluster, "Update requires: No interruption"; the provider calls UpdateClusterSettings).
        cluster = aws.ecs.Cluster(
            f"{self._name}-cluster",
            name=self._names.cluster,
            settings=[{"name": "containerInsights", "value": self._stack.config.container_insights}],
            tags=self._tags,
            opts=self._child,
        )
        # Fargate Spot runs need the FARGATE_SPOT capacity provider on the cluster.
        providers = aws.ecs.ClusterCapacityProviders(
            f"{self._name}-cluster-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            opts=self._child,
        )
        self.cluster_name = pulumi.Output.all(cluster.name, providers.id).apply(lambda v: v[0])
        self.job_prerequisites.append(providers)  # a Spot run needs FARGATE_SPOT on the cluster

    def _schedule_dead_letter_queue(self) -> None:
        self.schedule_dead_letter_queue_arn = None
        if not self._stack.config.schedule_dead_letter_queue:
            return
        names = self._names
        queue = aws.sqs.Queue(
            f"{self._name}-schedule-dlq",
            name=names.schedule_dead_letter_queue,
            message_retention_seconds=SQS_MAX_MESSAGE_RETENTION_SECONDS,  # two weeks to look into it
            sqs_managed_sse_enabled=True,
            tags=self._tags,
            opts=self._kept,
        )
        self.schedule_dead_letter_queue_arn = queue.arn
        notifying_alarm(
            f"{self._name}-schedule-dlq-alarm",
            name=names.schedule_dead_letter_alarm,
            description=(
                f"EventBridge Scheduler could not start a job of stack {self._stack.stack}: the failed start is "
                f"in SQS queue {names.schedule_dead_letter_queue} (which job, and why). Run the job by hand if "
                "the run is still needed, then delete the message."
            ),
            topic_arn=self.alarm_topic_arn,
            tags=self._tags,
            parent=self,
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queue.name},
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            treat_missing_data="notBreaching",
        )

    def _roles_and_schedule_group(self, machines: list[MachineDocuments]) -> None:
        """The shared roles' policies come from the builders the offline plan renders, so the two agree."""
        env, names = self.env, self._names
        self._execution_roles()
        group = aws.scheduler.ScheduleGroup(
            f"{self._name}-schedules", name=names.schedule_group, tags=self._tags, opts=self._child
        )
        self.schedule_group_name = group.name
        scheduler_role = service_role(
            f"{self._name}-scheduler-role",
            name=names.scheduler_role,
            description="Lets EventBridge Scheduler start this stack's job state machines.",
            trust=policies.scheduler_trust(env, [names.schedule_group, names.slot_watch_schedule_group]),
            policy=("start-jobs", render.scheduler_role_policy(self._stack, env)),
            tags=self._tags,
            parent=self,
        )
        self.scheduler_role_arn = scheduler_role.arn
        self._job_state_machines_role(machines)

    def _execution_roles(self) -> None:
        """One role while its policy fits, then one per group of jobs (components/documents/execution_roles.py).
        The first keeps its logical name, so a stack deployed with one role keeps it."""
        self.execution_role_arns = {}
        for role in execution_roles(self._stack, self.env):
            suffix = "" if role.index == 1 else f"-{role.index}"
            resource = service_role(
                f"{self._name}-execution-role{suffix}",
                name=role.name,
                description="Pulls job images, writes job logs, reads the secrets jobs reference."
                if role.index == 1
                else f"Pulls images, writes logs, reads the secrets of jobs {role.jobs[0]} to {role.jobs[-1]}.",
                trust=policies.ecs_task_execution_trust(),
                policy=("job-execution", role.policy),
                tags=self._tags,
                parent=self,
            )
            self.execution_role_arns.update({job: resource.arn for job in role.jobs})

    def _job_state_machines_role(self, machines: list[MachineDocuments]) -> None:
        """The one role every job's state machine shares: the union of their states' grants
        (components/documents/rendered.py)."""
        self.job_state_machine_role_arn = None
        if not machines:
            return
        role = service_role(
            f"{self._name}-job-state-machines-role",
            name=self._names.job_state_machine_role,
            description="Lets this stack's job state machines run their tasks, hold their locks and alert.",
            trust=render.job_machines_trust(self._stack, self.env),
            policy=("run-jobs", render.job_machines_policy(machines)),
            tags=self._tags,
            parent=self,
        )
        self.job_state_machine_role_arn = role.arn

    def _execution_logs(self) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-execution-logs",
            name=self._names.state_machine_log_group,
            retention_in_days=self._stack.config.log_retention_days,
            tags=self._tags,
            opts=self._kept,
        )
        self.state_machine_log_destination = log_group.arn.apply(lambda arn: f"{arn}:*")

    def _dashboards(self) -> None:
        """One body per 200 jobs, built once and split over the dashboards (rendered.stack_dashboard_bodies)."""
        bodies = render.stack_dashboard_bodies(self._stack, self.env)
        for index in range(dashboard_count(len(self._stack.jobs))):
            suffix = "" if index == 0 else f"-{index + 1}"
            aws.cloudwatch.Dashboard(
                f"{self._name}-dashboard{suffix}",
                dashboard_name=f"{self._names.dashboard}{suffix}",
                dashboard_body=json.dumps(bodies[index], sort_keys=True),
                opts=self._child,
            )
