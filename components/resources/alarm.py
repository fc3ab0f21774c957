"""One CloudWatch alarm that notifies the stack's topic when it fires and again when it clears: the shape
every alarm of the stack shares."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws


def notifying_alarm(
    logical_name: str,
    *,
    name: str,
    description: str,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
    **condition: Any,
) -> aws.cloudwatch.MetricAlarm:
    """`condition` is what the alarm watches (metric or metric queries, threshold, comparison, periods,
    missing-data treatment), as `aws.cloudwatch.MetricAlarm` names its arguments."""
    return aws.cloudwatch.MetricAlarm(
        logical_name,
        name=name,
        alarm_description=description,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
        **condition,
    )
