"""Plain values for the pure builders' tests."""

from __future__ import annotations

from typing import Any

from components.asl import RunTarget
from components.policies import AwsEnv
from components.spec import Job

ENV = AwsEnv("aws", "eu-central-1", "123456789012")
TARGET = RunTarget(
    cluster="prod-jobs",
    task_family="prod-report",
    container="job",
    subnets=("subnet-0123456789abcdef0",),
    security_groups=("sg-0123456789abcdef0",),
    assign_public_ip=False,
)


def job(**fields: Any) -> Job:
    values: dict[str, Any] = {"name": "report", "command": ["run"], "timeout": "30m"}
    values.update(fields)
    return Job(**values)
