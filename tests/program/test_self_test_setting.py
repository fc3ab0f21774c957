"""`scheduled-jobs:selfTest: true` adds the canary jobs `jobctl selftest` runs: on a public image, with no
schedule, and on Spot only on a cluster the stack made; their names are reserved."""

from __future__ import annotations

import json

from tests.support.bad_input import P, assert_rejected_everywhere, configured, good
from tests.support.pulumi_mocks import ACCOUNT, Project, run_program

MACHINE = "aws:sfn/stateMachine:StateMachine"


def test_self_test_adds_the_canaries_unscheduled_on_the_public_image(project: Project) -> None:
    project.add_job("report.py", good())
    assert [m.name for m in run_program(project, configured({})).of_type(MACHINE) if "selftest" in m.name] == []
    mocks = run_program(project, configured({P + "selfTest": True}))
    canaries = sorted(m.name for m in mocks.of_type(MACHINE) if "selftest" in m.name)
    assert canaries == ["selftest-replace-state-machine", "selftest-spot-state-machine", "selftest-state-machine"]
    schedules = {s.name for s in mocks.of_type("aws:scheduler/schedule:Schedule")}
    assert schedules == {"report-schedule", "report-watch"}  # the canaries run only when jobctl starts them
    task = mocks.one("aws:ecs/taskDefinition:TaskDefinition", "selftest-task")
    [container] = json.loads(task.inputs["containerDefinitions"])
    assert container["image"] == "public.ecr.aws/docker/library/busybox:1.36"
    replace = json.loads(mocks.one(MACHINE, "selftest-replace-state-machine").inputs["definition"])
    assert "StopLockHolder" in replace["States"]
    spot = json.loads(mocks.one(MACHINE, "selftest-spot-state-machine").inputs["definition"])
    assert "RunJobOnSpot" in spot["States"]


def test_on_an_existing_cluster_there_is_no_spot_canary(project: Project) -> None:
    project.add_job("report.py", good())
    cluster = {P + "clusterArn": f"arn:aws:ecs:eu-central-1:{ACCOUNT}:cluster/platform", P + "selfTest": True}
    mocks = run_program(project, configured(cluster))
    assert sorted(m.name for m in mocks.of_type(MACHINE) if "selftest" in m.name) == [
        "selftest-replace-state-machine",
        "selftest-state-machine",
    ]


def test_a_job_may_not_take_a_canarys_name(project: Project) -> None:
    project.add_job("selftest.py", good())
    assert_rejected_everywhere(
        project, configured({}), ["name: 'selftest' is reserved for the stack's shared resources"]
    )
