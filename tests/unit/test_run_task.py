"""The state that runs the job's task (components/documents/run_task.py): ecs:runTask.sync on Fargate within
the job's timeout, and on Fargate Spot for a Spot job."""

from __future__ import annotations

from components.documents.job_machine import job_definition
from tests.support.builders import ALERTS, TARGET, job
from tests.support.machine_paths import success_path

TABLE = "prod-job-locks"


def test_run_waits_for_the_fargate_task_within_the_jobs_timeout() -> None:
    run = job_definition(job(timeout="45m"), TARGET, TABLE, ALERTS)["States"]["RunJob"]
    assert run["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    assert run["TimeoutSeconds"] == 2700
    arguments = run["Arguments"]
    assert arguments["Cluster"] == "prod-jobs"
    assert arguments["TaskDefinition"] == "prod-report"
    assert arguments["LaunchType"] == "FARGATE"
    assert arguments["PropagateTags"] == "TASK_DEFINITION"
    assert arguments["NetworkConfiguration"]["AwsvpcConfiguration"] == {
        "Subnets": ["subnet-0123456789abcdef0"],
        "SecurityGroups": ["sg-0123456789abcdef0"],
        "AssignPublicIp": "DISABLED",
    }


def test_spot_job_runs_on_fargate_spot_and_falls_back_to_on_demand() -> None:
    definition = job_definition(job(capacity="spot"), TARGET, TABLE, ALERTS)
    states = definition["States"]
    assert success_path(definition) == ["ClaimSlot", "AcquireLock", "RunJobOnSpot", "ClassifyAttempt", "ReleaseLock"]
    spot = states["RunJobOnSpot"]["Arguments"]
    assert spot["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
    assert "LaunchType" not in spot  # RunTask refuses both
    assert states["RunJob"]["Arguments"]["LaunchType"] == "FARGATE"
    assert states["RunJobOnSpot"]["Assign"]["onSpot"] == "{% true %}"
    assert states["RunJob"]["Assign"]["onSpot"] == "{% false %}"
    [spot_rule] = [r for r in states["ClassifyAttempt"]["Choices"] if "$onSpot" in r["Condition"]]
    assert spot_rule["Next"] == "RunJob" and "SpotInterruption" in spot_rule["Condition"]
