"""The other side of tests/program/test_bad_values.py: inputs AWS accepts pass, and the job gets them as given
(image references of every shape, IAM actions in any case, tags up to AWS's limits, large but legal environments)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.model.aws_constants import TASK_DEFINITION_MAX_BYTES
from components.model.task_size import FIXED_PART_BYTES, variable_part_bytes
from tests.support.bad_input import P, configured, good, manual, problems
from tests.support.pulumi_mocks import Project, RecordingMocks, run_program

TASK = "aws:ecs/taskDefinition:TaskDefinition"
SHA = "sha256:" + "0123456789abcdef" * 4

GOOD_IMAGES = [
    "public.ecr.aws/docker/library/python:3.12-slim",
    f"123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/app@{SHA}",
    f"ghcr.io/org/app:1.0@{SHA}",
    "localhost:5000/app",
    "localhost/app",
    "[::1]:5000/app:1",
    "registry.example.com:443/team/my_app__v2/x--y.z:Latest_1.0-rc.1",
    "python",
    "busybox:1.36",
    "app:" + "a" * 128,
    "a" * 255,
]


def _container(mocks: RecordingMocks) -> dict[str, Any]:
    [container] = json.loads(mocks.one(TASK, "report-task").inputs["containerDefinitions"])
    return dict(container)


@pytest.mark.parametrize("image", GOOD_IMAGES)
def test_valid_image_reference_in_the_job_is_what_the_container_runs(project: Project, image: str) -> None:
    project.add_job("report.py", good(f", image={image!r}"))
    assert _container(run_program(project, configured({})))["image"] == image


@pytest.mark.parametrize("image", GOOD_IMAGES)
def test_valid_image_reference_as_stack_default_or_override_is_what_the_container_runs(
    project: Project, image: str
) -> None:
    project.add_job("report.py", good())
    assert _container(run_program(project, configured({P + "image": image})))["image"] == image
    override = configured({P + "jobs": {"report": {"image": image}}})
    assert _container(run_program(project, override))["image"] == image


@pytest.mark.parametrize(
    ("actions", "rendered"),
    [
        (["S3:GetObject"], ["s3:GetObject"]),
        (["IAM:listaccesskeys"], ["iam:listaccesskeys"]),
        (["Dynamodb:Get*", "SQS:SendMessage"], ["dynamodb:Get*", "sqs:SendMessage"]),
        (["S3:GetObject", "s3:GetObject"], ["s3:GetObject"]),
    ],
)
def test_iam_action_in_any_case_is_accepted_and_granted_with_a_lowercase_service(
    project: Project, actions: list[str], rendered: list[str]
) -> None:
    grant = {"actions": actions, "resources": ["arn:aws:s3:::reports/*"]}
    project.add_job("report.py", manual(f", permissions=[{grant!r}]"))
    role = run_program(project, configured({})).one("aws:iam/role:Role", "report-task-role")
    [statement] = json.loads(role.inputs["inlinePolicies"][0]["policy"])["Statement"]
    assert statement["Action"] == rendered


def test_fifty_tags_once_merged_and_longest_keys_and_values_are_accepted_on_every_job_resource(
    project: Project,
) -> None:
    job = {f"job{i}": "x" for i in range(24)} | {"k" * 128: "v" * 256, "team:aws": "data"}
    stack = {f"stack{i}": "y" for i in range(22)} | {"awsome": "", "job0": "from the stack"}
    project.add_job("report.py", good(f", tags={job!r}"))
    mocks = run_program(project, configured({P + "tags": stack}))
    tags = mocks.one(TASK, "report-task").inputs["tags"]
    assert len(tags) == 50
    assert tags["job0"] == "x" and tags["k" * 128] == "v" * 256 and tags["scheduled-jobs:job"] == "report"
    job_resources = [r for r in mocks.resources if r.parent and r.parent.endswith("::report") and "tags" in r.inputs]
    # (EventBridge Scheduler schedules take no tags; a job without permissions has no role of its own.)
    assert {r.type.rsplit(":", 1)[-1] for r in job_resources} == {"LogGroup", "TaskDefinition", "StateMachine"}
    assert all(r.inputs["tags"] == tags for r in job_resources)


def test_stack_with_forty_nine_tags_is_accepted_with_ours_on_the_shared_resources(project: Project) -> None:
    project.add_job("report.py", good())
    mocks = run_program(project, configured({P + "tags": {f"t{i}": "x" for i in range(49)}}))
    tags = mocks.one("aws:ecs/cluster:Cluster", "shared-cluster").inputs["tags"]
    assert len(tags) == 50 and tags["scheduled-jobs:stack"] == "test"


def test_environment_just_under_the_size_limit_is_accepted_and_measured_as_rendered(project: Project) -> None:
    # Fill the budget left after the command, the secrets and the fixed allowance, less a little.
    budget = TASK_DEFINITION_MAX_BYTES - FIXED_PART_BYTES - 200
    project.add_job(
        "report.py", manual(f', environment={{"BLOB": "\u00e9" * {budget // 2}}}, secrets={{"DB": "/app/db"}}')
    )
    assert problems(project, configured({})) == []
    container = _container(run_program(project, configured({})))

    def size(value: Any) -> int:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())

    measured = variable_part_bytes(
        container["command"],
        {e["name"]: e["value"] for e in container["environment"]},
        {s["name"]: s["valueFrom"] for s in container["secrets"]},
    )
    rendered = {k: size(container[k]) for k in ("environment", "secrets", "command")}
    assert measured == rendered
    assert sum(rendered.values()) + FIXED_PART_BYTES <= TASK_DEFINITION_MAX_BYTES
    rest = {k: v for k, v in container.items() if k not in rendered}
    assert size(rest) < FIXED_PART_BYTES // 2  # the allowance covers the rest with room for a long image
