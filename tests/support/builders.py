"""Plain values for the pure builders' tests."""

from __future__ import annotations

from typing import Any

from components.documents.alert_messages import AlertTarget
from components.documents.run_task import RunTarget
from components.model.arns import AwsEnv
from components.model.naming import job_names
from components.model.spec import Job
from components.model.stack import StackJob

ENV = AwsEnv("aws", "eu-central-1", "123456789012")
TARGET = RunTarget(
    env=ENV,
    prefix="prod",
    cluster="prod-jobs",
    task_family="prod-report",
    container="job",
    subnets=("subnet-0123456789abcdef0",),
    security_groups=("sg-0123456789abcdef0",),
    assign_public_ip=False,
    task_role_arn="arn:aws:iam::123456789012:role/prod-report-task",
    execution_role_arn="arn:aws:iam::123456789012:role/prod-job-execution",
)

ALERTS = AlertTarget(
    topic_arn="arn:aws:sns:eu-central-1:123456789012:prod-job-alarms", stack="prod", region="eu-central-1"
)


def stack_job(spec: Job, prefix: str = "prod") -> StackJob:
    """`spec` as a stack deploys it (its `name` must be set), with the names `prefix` gives it."""
    assert spec.name is not None, "give the spec a name"
    return StackJob(
        name=spec.name, source=f"jobs/{spec.name.replace('-', '_')}.py", spec=spec, names=job_names(prefix, spec.name)
    )


def job(**fields: Any) -> StackJob:
    values: dict[str, Any] = {"name": "report", "command": ["run"], "timeout": "30m"}
    values.update(fields)
    return stack_job(Job(**values))
