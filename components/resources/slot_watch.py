"""SlotWatch: the shared state machine that keeps each scheduled slot's deadline, its role, the schedule group
of the jobs' watch schedules, and an alarm if the watch itself fails."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.documents import policies
from components.documents import rendered as render
from components.model.arns import AwsEnv
from components.model.naming import SharedNames
from components.model.stack import Stack
from components.resources.alarm import notifying_alarm
from components.resources.iam_role import service_role
from components.resources.stack_machine import table_state_machine

TYPE = "scheduled-jobs:jobs:SlotWatch"


@dataclass(frozen=True)
class SlotWatchArgs:
    stack: Stack
    env: AwsEnv
    names: SharedNames
    lock_table: aws.dynamodb.Table
    log_destination: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    tags: dict[str, str]


class SlotWatch(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    schedule_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: SlotWatchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        names, tags, child = args.names, args.tags, pulumi.ResourceOptions(parent=self)
        documents = render.slot_watch_documents(args.stack, args.env)
        role = service_role(
            f"{name}-role",
            name=names.slot_watch_role,
            description="Lets the slot watch read the jobs' items and send late, long-run and missed alerts.",
            trust=policies.state_machine_trust(args.env, names.slot_watch_state_machine),
            policy=("watch-slots", documents.policy),
            tags=tags,
            parent=self,
        )
        machine = table_state_machine(
            name,
            name=names.slot_watch_state_machine,
            role_arn=role.arn,
            definition=documents.definition,
            lock_table=args.lock_table,
            log_destination=args.log_destination,
            tags=tags,
            opts=child,
        )
        group = aws.scheduler.ScheduleGroup(
            f"{name}-schedules", name=names.slot_watch_schedule_group, tags=tags, opts=child
        )
        notifying_alarm(
            f"{name}-alarm",
            name=names.slot_watch_alarm,
            description=(
                f"The slot watch of stack {args.stack.stack} failed, timed out or was throttled: a late, long or "
                f"missed slot may have gone unreported. Look at the failed executions of "
                f"{names.slot_watch_state_machine}."
            ),
            topic_arn=args.alarm_topic_arn,
            tags=tags,
            parent=self,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            metric_queries=[
                *[
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=query_id,
                        return_data=False,
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace="AWS/States",
                            metric_name=metric,
                            dimensions={"StateMachineArn": machine.arn},
                            period=300,
                            stat="Sum",
                        ),
                    )
                    for query_id, metric in (
                        ("failed", "ExecutionsFailed"),
                        ("timedout", "ExecutionsTimedOut"),
                        ("throttled", "ExecutionThrottled"),
                    )
                ],
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="bad",
                    expression="FILL(failed, 0) + FILL(timedout, 0) + FILL(throttled, 0)",
                    label="Slot watch runs that failed",
                    return_data=True,
                ),
            ],
        )
        self.state_machine_arn = machine.arn
        self.schedule_group_name = group.name
        self.register_outputs({"stateMachineArn": machine.arn})
