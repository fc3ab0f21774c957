"""The program registers the execution roles the plan renders: past one role's policy, several, each job's task
definition naming the role that may read its secrets; the first role keeps its logical name (and URN), and a
stack with a job that no role can hold is refused before any resource is registered."""

from __future__ import annotations

import json

from components.documents.execution_roles import execution_roles
from components.loading.stack import load_stack
from components.model.arns import AwsEnv
from tests.support.fleets import fleet_config, write_fleet
from tests.support.pulumi_mocks import ACCOUNT, Project, run_program

ROLE = "aws:iam/role:Role"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def test_each_task_definition_names_the_execution_role_whose_policy_reads_its_secrets(project: Project) -> None:
    write_fleet(project.jobs, 45, 3)
    config = fleet_config()
    mocks = run_program(project, config)
    stack = load_stack(project.jobs, config, "scheduled-jobs", "test", "Pulumi.test.yaml")
    expected = execution_roles(stack, AwsEnv("aws", "eu-central-1", ACCOUNT))
    assert len(expected) >= 2
    registered = {r.inputs["name"]: r for r in mocks.of_type(ROLE) if "-job-execution" in r.inputs["name"]}
    assert sorted(registered) == sorted(role.name for role in expected)
    # The first keeps the logical name a one-role stack has: a deployed stack keeps its role.
    assert registered["test-job-execution"].name == "shared-execution-role"
    assert registered["test-job-execution-2"].name == "shared-execution-role-2"
    for role in expected:
        [inline] = registered[role.name].inputs["inlinePolicies"]
        assert json.loads(inline["policy"]) == role.policy
        for job in role.jobs:
            definition = mocks.one(TASK_DEFINITION, f"{job}-task")
            assert definition.inputs["executionRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{role.name}", job


def test_a_job_no_execution_role_can_hold_stops_the_program_before_any_resource(project: Project) -> None:
    write_fleet(project.jobs, 2, 1)
    write_fleet(project.jobs, 1, 150, tag="huge")
    mocks = run_program(project, fleet_config(), capture_error=True)
    assert "jobs/huge_0000.py: secrets: the job's 150 secret references" in str(mocks.error)
    assert [r for r in mocks.resources if not r.type.startswith("scheduled-jobs:")] == []
