"""A stack-wide state machine that works on the lock table (the lock janitor, the slot watch): Standard, its
errors logged without execution data, created after the table its definition names by its known name."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.resources.iam_role import sorted_json


def table_state_machine(
    logical_name: str,
    *,
    name: str,
    role_arn: pulumi.Input[str],
    definition: dict[str, Any],
    lock_table: aws.dynamodb.Table,
    log_destination: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.sfn.StateMachine:
    return aws.sfn.StateMachine(
        logical_name,
        name=name,
        role_arn=role_arn,
        type="STANDARD",
        definition=sorted_json(lock_table.name.apply(lambda _: definition)),
        logging_configuration={"level": "ERROR", "include_execution_data": False, "log_destination": log_destination},
        tags=tags,
        opts=opts,
    )
