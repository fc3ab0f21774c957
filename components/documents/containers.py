"""The ECS container definition a job's Fargate task runs, as a plain list of dicts."""

from __future__ import annotations

from typing import Any

from components.model.naming import JobNames
from components.model.spec import Job
from components.model.task_size import environment_entries, secret_entries

# How long ECS waits after SIGTERM before SIGKILL when a run is stopped (Fargate maximum: 120 s).
STOP_TIMEOUT_SECONDS = 120


def scratch_volumes(job: Job) -> list[dict[str, str]]:
    """The task's volumes: one bind mount per scratch path of a job with a read-only root filesystem. A Fargate
    bind mount without a host path lives on the task's ephemeral storage and goes with the task (ECS developer
    guide, "Bind mounts"). None for a writable root: its task definition stays as it was."""
    if not job.read_only_root_filesystem:
        return []
    return [{"name": f"scratch-{index}"} for index in range(len(job.scratch_paths))]


def container_definitions(job: Job, names: JobNames, image: str, region: str) -> list[dict[str, Any]]:
    """One essential container named `names.container`, logging to the job's log group; secrets are
    referenced by ARN or parameter name so no secret value ever lands in the task definition. A job without
    `command` (or `entrypoint`) has none in its definition, so the image's CMD (ENTRYPOINT) runs: ECS developer
    guide, task definition parameters, `command` and `entryPoint`. The keys for `user` and a read-only root
    filesystem appear only when the job sets them, so a job that does not keeps its task definition revision on
    upgrade."""
    process: dict[str, list[str]] = {}
    if job.entrypoint is not None:
        process["entryPoint"] = list(job.entrypoint)
    if job.command is not None:
        process["command"] = list(job.command)
    container: dict[str, Any] = {
        "name": names.container,
        "image": image,
        **process,
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
    if job.user is not None:
        container["user"] = job.user
    if job.read_only_root_filesystem is not None:
        container["readonlyRootFilesystem"] = job.read_only_root_filesystem
    volumes = scratch_volumes(job)
    if volumes:
        container["mountPoints"] = [
            {"sourceVolume": volume["name"], "containerPath": path, "readOnly": False}
            for volume, path in zip(volumes, job.scratch_paths, strict=True)
        ]
    return [container]
