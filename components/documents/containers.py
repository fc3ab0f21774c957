"""The ECS container definition a job's Fargate task runs, as a plain list of dicts."""

from __future__ import annotations

from typing import Any

from components.model.naming import JobNames
from components.model.spec import Job
from components.model.task_size import environment_entries, secret_entries

# How long ECS waits after SIGTERM before SIGKILL when a run is stopped (Fargate maximum: 120 s).
STOP_TIMEOUT_SECONDS = 120


def container_definitions(job: Job, names: JobNames, image: str, region: str) -> list[dict[str, Any]]:
    """One essential container named `names.container`, logging to the job's log group; secrets are
    referenced by ARN or parameter name so no secret value ever lands in the task definition."""
    return [
        {
            "name": names.container,
            "image": image,
            "command": list(job.command),
            "essential": True,
            "environment": environment_entries(job.environment),
            "secrets": secret_entries(job.secrets),
            "stopTimeout": STOP_TIMEOUT_SECONDS,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": names.log_group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": "job",
                },
            },
        }
    ]
