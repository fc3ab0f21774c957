"""Which input changes make the AWS provider replace a resource, for the types this program declares, and which
of them hold state a replacement or deletion would lose.

pulumi-aws bridges terraform-provider-aws: a field the provider's schema marks `ForceNew: true` is a replacement
in `pulumi preview` (the bridge maps ForceNew to Pulumi's replaceOnChanges). Field names here are the Pulumi
input names (camelCase, pulumi-aws v7: MetricAlarm's `alarm_name` is its input `name`). Each entry names the
provider source file that declares it (hashicorp/terraform-provider-aws, `internal/service/...`)."""

from __future__ import annotations

from dataclasses import dataclass

PROVIDER = "hashicorp/terraform-provider-aws"


@dataclass(frozen=True)
class ForceNew:
    fields: tuple[str, ...]  # Pulumi input names whose change replaces the resource
    source: str  # the provider file whose schema marks them ForceNew
    every_field: bool = False  # no update call at all: any input change but `tags` replaces it


FORCE_NEW: dict[str, ForceNew] = {
    # name, name_prefix, type: ForceNew; definition, role_arn, logging: UpdateStateMachine (read at 01f4311).
    "aws:sfn/stateMachine:StateMachine": ForceNew(
        ("name", "namePrefix", "type"), "internal/service/sfn/state_machine.go"
    ),
    # name, name_prefix, path: ForceNew; policies, trust, description: updated in place (read at 0040ea6).
    "aws:iam/role:Role": ForceNew(("name", "namePrefix", "path"), "internal/service/iam/role.go"),
    "aws:iam/rolePolicy:RolePolicy": ForceNew(("name", "namePrefix", "role"), "internal/service/iam/role_policy.go"),
    # A task definition revision is immutable (RegisterTaskDefinition makes a new one): no update function.
    "aws:ecs/taskDefinition:TaskDefinition": ForceNew((), "internal/service/ecs/task_definition.go", every_field=True),
    "aws:ecs/cluster:Cluster": ForceNew(("name",), "internal/service/ecs/cluster.go"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ForceNew(
        ("clusterName",), "internal/service/ecs/cluster_capacity_providers.go"
    ),
    "aws:scheduler/schedule:Schedule": ForceNew(
        ("name", "namePrefix", "groupName"), "internal/service/scheduler/schedule.go"
    ),
    "aws:scheduler/scheduleGroup:ScheduleGroup": ForceNew(
        ("name", "namePrefix"), "internal/service/scheduler/schedule_group.go"
    ),
    "aws:dynamodb/table:Table": ForceNew(("name", "hashKey", "rangeKey"), "internal/service/dynamodb/table.go"),
    "aws:cloudwatch/logGroup:LogGroup": ForceNew(
        ("name", "namePrefix", "logGroupClass"), "internal/service/logs/group.go"
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ForceNew(("name",), "internal/service/cloudwatch/metric_alarm.go"),
    "aws:cloudwatch/dashboard:Dashboard": ForceNew(("dashboardName",), "internal/service/cloudwatch/dashboard.go"),
    "aws:cloudwatch/eventRule:EventRule": ForceNew(
        ("name", "namePrefix", "eventBusName"), "internal/service/events/rule.go"
    ),
    "aws:cloudwatch/eventTarget:EventTarget": ForceNew(
        ("rule", "targetId", "eventBusName"), "internal/service/events/target.go"
    ),
    "aws:sns/topic:Topic": ForceNew(("name", "namePrefix", "fifoTopic"), "internal/service/sns/topic.go"),
    "aws:sns/topicSubscription:TopicSubscription": ForceNew(
        ("topic", "protocol", "endpoint"), "internal/service/sns/topic_subscription.go"
    ),
    "aws:sqs/queue:Queue": ForceNew(("name", "namePrefix", "fifoQueue"), "internal/service/sqs/queue.go"),
}

# What each stateful type holds; replacing or deleting one loses it (forgetting one, retain_on_delete, keeps it).
STATEFUL: dict[str, str] = {
    "aws:dynamodb/table:Table": "every job's lock, pause, failure count, alert state and slot claims",
    "aws:sqs/queue:Queue": "the starts EventBridge Scheduler could not deliver (the dead-letter queue's messages)",
    "aws:cloudwatch/logGroup:LogGroup": "the logs written so far",
    "aws:sns/topic:Topic": "the confirmed e-mail subscriptions (an address must confirm again on a new topic)",
}

# The identities a run in flight keeps using after UpdateStateMachine: "Running executions will continue to use
# the previous definition and roleArn" (Step Functions API reference, UpdateStateMachine). A role, policy or task
# definition one of these referenced must outlive the up.
RUN_HOLDERS = (
    "aws:sfn/stateMachine:StateMachine",
    "aws:scheduler/schedule:Schedule",
    "aws:ecs/taskDefinition:TaskDefinition",
)
RUN_DEPENDENCIES = ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:ecs/taskDefinition:TaskDefinition")


def replacing_fields(typ: str, changed: set[str]) -> list[str]:
    """The changed inputs that replace a resource of this type (sorted); a type not in the table replaces on
    nothing here (components, and any new type, which the table's test requires an entry for)."""
    entry = FORCE_NEW.get(typ)
    if entry is None:
        return []
    if entry.every_field:
        return sorted(changed - {"tags", "skipDestroy", "trackLatest"})
    return sorted(changed & set(entry.fields))


def source_of(typ: str) -> str:
    entry = FORCE_NEW.get(typ)
    return f"{PROVIDER} {entry.source}" if entry else "no ForceNew entry"
