"""Generated fleets of real shape: each job with secrets of its own (SSM parameter names and ARNs, Secrets Manager
ARNs with and without their suffix, some by JSON key), permissions on every third, several images, and names as
long as the prefix allows; as a Stack (fast, for the pure builders) or as job modules (for the plan and program)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.model.config import StackConfig, config_from_values
from components.model.spec import Job
from components.model.stack import Stack
from tests.support.builders import stack_job
from tests.support.pulumi_mocks import ACCOUNT, BASE_CONFIG

REGION = "eu-central-1"
PREFIX = "test"  # BASE_CONFIG's


def secret_refs(name: str, count: int) -> dict[str, str]:
    """`count` references of the job's own, cycling through every form ECS accepts (ECS developer guide,
    "Pass sensitive data to an Amazon ECS container")."""
    forms = (
        lambda k: f"/fleet/{name}/value-{k}",
        lambda k: f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/fleet/{name}/value-{k}",
        lambda k: f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:fleet/{name}/value-{k}-Ab12Cd",
        lambda k: f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:fleet/{name}/creds-{k}:password::",
    )
    return {f"SECRET_{k}": forms[k % len(forms)](k) for k in range(count)}


def job_fields(
    index: int, secrets: int, *, permissions_every: int = 3, images: int = 4, tag: str = "job"
) -> dict[str, Any]:
    name = f"{tag}-{index:04d}"
    fields: dict[str, Any] = {
        "name": name,
        "command": ["python", "-m", f"app.tasks.{name.replace('-', '_')}"],
        "timeout": "30m",
        "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/app-{index % images}:1.{index % 7}",
        "secrets": secret_refs(name, secrets),
        "tags": {"owner": f"team-{index % 5}", "data-class": "internal"},
    }
    if index % 2 == 0:
        fields["schedule"] = f"cron({index % 60} {index % 24} * * ? *)"
    if index % permissions_every == 0:
        fields["permissions"] = [
            {"actions": ["s3:PutObject", "s3:GetObject"], "resources": [f"arn:aws:s3:::fleet-reports/{name}/*"]},
            {"actions": ["sqs:SendMessage"], "resources": [f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}-out"]},
        ]
    return fields


def fleet_config(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**BASE_CONFIG, "scheduled-jobs:tags": {"team": "platform", "cost-center": "cc-1234"}, **(extra or {})}


def fleet_stack(count: int, secrets: int, **fields: Any) -> Stack:
    """`count` jobs with `secrets` secrets of their own each, as the loader would return them."""
    config = StackConfig.model_validate(config_from_values(fleet_config(), "scheduled-jobs", "fleet"))
    jobs = [stack_job(Job(**job_fields(i, secrets, **fields)), PREFIX) for i in range(count)]
    return Stack(project="scheduled-jobs", stack="fleet", config=config, jobs=jobs)


def write_fleet(jobs_dir: Path, count: int, secrets: int, **fields: Any) -> None:
    """The same fleet as job modules in `jobs_dir`, one file per job."""
    jobs_dir.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        spec = job_fields(i, secrets, **fields)
        module = spec["name"].replace("-", "_")
        (jobs_dir / f"{module}.py").write_text(f"from components import Job\n\njob = Job(**{spec!r})\n")
