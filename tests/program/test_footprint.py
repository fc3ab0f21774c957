"""The stack's footprint against AWS's default quotas, as the plan prints it: the counts are what the program
registers (compared type by type under mocks), and a quota this stack alone fills to 80 % is warned of."""

from __future__ import annotations

from typing import Any

import pytest

from components.documents.footprint import Use, footprint, footprint_warnings
from components.loading.stack import load_stack
from tests.support.bad_input import P, configured, good, manual
from tests.support.fleets import fleet_config, write_fleet
from tests.support.pulumi_mocks import Project, run_program

REGISTERED_AS = {
    "IAM roles": "aws:iam/role:Role",
    "state machines": "aws:sfn/stateMachine:StateMachine",
    "schedules": "aws:scheduler/schedule:Schedule",
    "schedule groups": "aws:scheduler/scheduleGroup:ScheduleGroup",
    "CloudWatch alarms": "aws:cloudwatch/metricAlarm:MetricAlarm",
    "log groups": "aws:cloudwatch/logGroup:LogGroup",
    "task definition families": "aws:ecs/taskDefinition:TaskDefinition",
    "EventBridge rules": "aws:cloudwatch/eventRule:EventRule",
    "dashboards": "aws:cloudwatch/dashboard:Dashboard",
    "DynamoDB tables": "aws:dynamodb/table:Table",
}
GRANT = ', permissions=[{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::bucket/*"]}]'


@pytest.mark.parametrize(
    ("scheduled", "with_permissions", "by_hand", "change"),
    [
        (1, 0, 0, {}),
        (2, 1, 1, {P + "scheduleDeadLetterQueue": False}),
        (150, 40, 11, {}),  # 201 jobs: a second dashboard
    ],
    ids=["one-job", "mixed-without-dlq", "two-dashboards"],
)
def test_the_footprint_counts_what_the_program_registers(
    project: Project, scheduled: int, with_permissions: int, by_hand: int, change: dict[str, Any]
) -> None:
    for n in range(scheduled):
        project.add_job(f"scheduled_{n}.py", good(GRANT if n < with_permissions else ""))
    for n in range(by_hand):
        project.add_job(f"by_hand_{n}.py", manual(""))
    config = configured(change)
    registered = run_program(project, config)
    stack = load_stack(project.jobs, config, "scheduled-jobs", "test", "Pulumi.test.yaml")
    counted = {use.thing: use.count for use in footprint(stack)}
    assert set(counted) == set(REGISTERED_AS)
    assert counted == {thing: len(registered.of_type(typ)) for thing, typ in REGISTERED_AS.items()}
    # A job without permissions costs no IAM role: the stack's 6 own roles, then one per job with permissions.
    assert counted["IAM roles"] == 6 + with_permissions


def test_a_quota_this_stack_alone_fills_to_80_percent_is_warned_of_and_nothing_is_refused() -> None:
    assert footprint_warnings([Use("IAM roles", 799), Use("CloudWatch alarms", 10**6)]) == []
    [warning] = footprint_warnings([Use("IAM roles", 800)])
    assert warning == (
        "this stack uses 800 IAM roles, 80% of AWS's default quota of 1,000 per account (IAM user guide, \"IAM and "
        'AWS STS quotas" (adjustable to 5,000)); other stacks and everything else in the same account count too: ask '
        "AWS for more through Service Quotas before you deploy"
    )


def test_the_footprint_counts_every_execution_role_of_a_fleet_with_secrets_of_its_own(project: Project) -> None:
    write_fleet(project.jobs, 45, 3)  # past one execution role's policy
    config = fleet_config()
    registered = run_program(project, config)
    stack = load_stack(project.jobs, config, "scheduled-jobs", "test", "Pulumi.test.yaml")
    counted = {use.thing: use.count for use in footprint(stack)}
    assert counted == {thing: len(registered.of_type(typ)) for thing, typ in REGISTERED_AS.items()}
    execution = [r for r in registered.of_type("aws:iam/role:Role") if "-job-execution" in r.inputs["name"]]
    assert counted["IAM roles"] == 6 + 15 + len(execution) - 1 and len(execution) >= 2  # 15: every third job
