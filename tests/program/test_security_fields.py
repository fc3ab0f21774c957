"""The job fields and stack defaults for what Security Hub's FSBP controls check on a job's task (ECS.5 read-only
root filesystem, ECS.20 non-root user, ECS.8 credentials in the environment) and the ephemeral storage: what
the task definition gets, and the one clear message a bad value gets from the loader and the program alike
(tests/support/bad_input.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.bad_input import CONFIG_FILE, P, assert_rejected_everywhere, configured, good
from tests.support.pulumi_mocks import Project, RecordingMocks, run_program


def _task(mocks: RecordingMocks) -> tuple[dict[str, Any], dict[str, Any]]:
    task = mocks.one("aws:ecs/taskDefinition:TaskDefinition", "report-task")
    [container] = json.loads(task.inputs["containerDefinitions"])
    return task.inputs, container


def test_a_read_only_job_gets_its_scratch_paths_as_bind_mounts_on_ephemeral_storage(project: Project) -> None:
    extra = ', read_only_root_filesystem=True, scratch_paths=["/tmp", "/app/cache"], user="1000:1000"'
    project.add_job("report.py", good(extra + ", ephemeral_storage=50"))
    task, container = _task(run_program(project, configured({})))
    assert container["readonlyRootFilesystem"] is True
    assert container["user"] == "1000:1000"
    assert container["mountPoints"] == [
        {"sourceVolume": "scratch-0", "containerPath": "/tmp", "readOnly": False},
        {"sourceVolume": "scratch-1", "containerPath": "/app/cache", "readOnly": False},
    ]
    assert task["volumes"] == [{"name": "scratch-0"}, {"name": "scratch-1"}]  # no host path: task storage
    assert task["ephemeralStorage"] == {"sizeInGib": 50}


def test_a_job_that_sets_none_of_them_keeps_the_task_definition_it_had(project: Project) -> None:
    """Upgrade safety: no new key in its container definition, so no new revision on `pulumi up`."""
    project.add_job("report.py", good())
    task, container = _task(run_program(project, configured({})))
    assert not {"user", "readonlyRootFilesystem", "mountPoints"} & set(container)
    assert "volumes" not in task and "ephemeralStorage" not in task


def test_the_stack_defaults_apply_to_every_job_that_does_not_set_its_own(project: Project) -> None:
    project.add_job("report.py", good())
    project.add_job("other.py", good(', user="app", read_only_root_filesystem=False'))
    stack = {P + "user": "1000", P + "readOnlyRootFilesystem": True, P + "ephemeralStorage": 30}
    mocks = run_program(project, configured(stack))
    task, container = _task(mocks)
    assert (container["user"], container["readonlyRootFilesystem"], task["ephemeralStorage"]) == (
        "1000",
        True,
        {"sizeInGib": 30},
    )
    other = mocks.one("aws:ecs/taskDefinition:TaskDefinition", "other-task")
    [own] = json.loads(other.inputs["containerDefinitions"])
    assert (own["user"], own["readonlyRootFilesystem"], "mountPoints" in own) == ("app", False, False)


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:staff"])
def test_a_root_user_is_refused_in_the_job_and_in_the_stack_default(project: Project, user: str) -> None:
    project.add_job("report.py", good(f", user={user!r}"))
    assert_rejected_everywhere(project, configured({}), ["jobs/report.py:3: user: runs the container as root"])
    project.add_job("report.py", good())
    assert_rejected_everywhere(
        project,
        configured({P + "user": user}),
        [f"{CONFIG_FILE}: scheduled-jobs:user: runs the container as root (Security Hub ECS.20)"],
    )


@pytest.mark.parametrize("name", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"])
def test_a_credential_in_the_environment_is_refused_with_how_to_pass_it(project: Project, name: str) -> None:
    project.add_job("report.py", good(f", environment={{{name!r}: 'AKIAEXAMPLEVALUE'}}"))
    [message] = assert_rejected_everywhere(
        project,
        configured({}),
        [f"jobs/report.py:3: environment.{name}: is a credential", "Security Hub ECS.8", f"secrets={{{name!r}:"],
    )
    assert "AKIAEXAMPLEVALUE" not in message


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (", ephemeral_storage=20", "ephemeral_storage: 20 GiB: Fargate allows 21 to 200 GiB"),
        (", ephemeral_storage=201", "ephemeral_storage: 201 GiB: Fargate allows 21 to 200 GiB"),
        (', scratch_paths=["tmp"]', "scratch_paths: 'tmp' is not an absolute container path"),
        (', scratch_paths=["/tmp", "/tmp"]', "scratch_paths: names a path twice"),
        (', user="a b"', "user: is not a container user"),
    ],
)
def test_bad_values_of_the_new_fields_are_refused_with_what_is_allowed(
    project: Project, extra: str, fragment: str
) -> None:
    project.add_job("report.py", good(extra))
    assert_rejected_everywhere(project, configured({}), [f"jobs/report.py:3: {fragment}"])
