"""LockJanitor: the shared state machine that releases the lock of a job execution that ended badly, the
EventBridge rule that starts it, and their roles."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.documents import policies
from components.documents import rendered as render
from components.documents.alarms import janitor_alarm
from components.documents.lock_janitor import start_janitor_policy
from components.model.arns import AwsEnv
from components.model.naming import SharedNames
from components.model.stack import Stack
from components.resources.alarm import notifying_alarm
from components.resources.iam_role import service_role, sorted_json
from components.resources.stack_machine import table_state_machine

TYPE = "scheduled-jobs:jobs:LockJanitor"


@dataclass(frozen=True)
class LockJanitorArgs:
    """The stack (for the jobs whose locks it may release) and the shared pieces it runs with."""

    stack: Stack
    env: AwsEnv
    names: SharedNames
    lock_table: aws.dynamodb.Table
    log_destination: pulumi.Input[str]
    tags: dict[str, str]
    alarm_topic_arn: pulumi.Input[str]
    # Where its resources lived before the janitor was a component of its own: the alias keeps their URNs.
    previous_parent: pulumi.Resource


class LockJanitor(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LockJanitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        self._name = name
        env, names, tags = args.env, args.names, args.tags
        moved = [pulumi.Alias(parent=args.previous_parent)]
        child = pulumi.ResourceOptions(parent=self, aliases=moved)
        documents = render.janitor_documents(args.stack, env)
        role = service_role(
            f"{name}-role",
            name=names.janitor_role,
            description="Lets the lock janitor release locks of executions that ended badly.",
            trust=policies.state_machine_trust(env, names.janitor_state_machine),
            policy=("release-locks", documents.policy),
            tags=tags,
            parent=self,
            aliases=moved,
        )
        machine = table_state_machine(
            name,
            name=names.janitor_state_machine,
            role_arn=role.arn,
            definition=documents.definition,
            lock_table=args.lock_table,
            log_destination=args.log_destination,
            tags=tags,
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=names.janitor_rule,
            description="Executions of this stack's jobs that failed, timed out or were stopped.",
            event_pattern=sorted_json(render.janitor_rule_pattern(args.stack, env)),
            tags=tags,
            opts=child,
        )
        events_role = service_role(
            f"{name}-events-role",
            name=names.janitor_events_role,
            description="Lets EventBridge start the lock janitor.",
            trust=policies.events_trust(env, names.janitor_rule),
            policy=("start-janitor", start_janitor_policy(env, names.janitor_state_machine)),
            tags=tags,
            parent=self,
            aliases=moved,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target", rule=rule.name, arn=machine.arn, role_arn=events_role.arn, opts=child
        )
        self._alarm(args, machine, rule)
        self.state_machine_arn = machine.arn
        self.register_outputs({"stateMachineArn": machine.arn})

    def _alarm(self, args: LockJanitorArgs, machine: aws.sfn.StateMachine, rule: aws.cloudwatch.EventRule) -> None:
        alarm = janitor_alarm()
        dimension = {"StateMachineArn": machine.arn, "RuleName": rule.name}
        queries = [
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id,
                return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=namespace, metric_name=metric, dimensions={key: dimension[key]}, period=300, stat="Sum"
                ),
            )
            for query_id, namespace, metric, key in alarm.metrics
        ]
        total = aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="bad", expression=alarm.expression, label="Janitor runs that failed or never started", return_data=True
        )
        notifying_alarm(
            f"{self._name}-alarm",
            name=args.names.janitor_alarm,
            description=(
                f"The lock janitor of stack {args.stack.stack} failed, was throttled, or EventBridge could not start "
                f"it. A lock of a job that ended badly may stay held until it expires, and that job's runs are "
                f"skipped until then. Look at the failed executions of {args.names.janitor_state_machine} (the "
                "cause names the job and execution) and release the lock with `jobctl unlock JOB`."
            ),
            topic_arn=args.alarm_topic_arn,
            tags=args.tags,
            parent=self,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            metric_queries=[*queries, total],
        )
