"""The execution role changes form as the fleet grows: one role while it fits, then roles that each read only their
own jobs' secrets, every one within IAM's 10,240 characters; growth only adds roles, and the first keeps its name."""

from __future__ import annotations

import pytest

from components.documents import policies
from components.documents.execution_roles import (
    EXECUTION_ROLE_BUDGET,
    JobTooLargeForARole,
    execution_role_changes,
    execution_roles,
    role_of_job,
)
from components.documents.policies import SECRET_SUFFIX
from components.model.aws_constants import DOCUMENT_LIMITS
from components.model.permissions import policy_length
from components.model.stack import Stack, StackJob
from tests.support.builders import ENV
from tests.support.fleets import PREFIX, fleet_stack

IAM_ROLE_LIMIT = DOCUMENT_LIMITS["role inline policies"].limit


def _granted(policy: dict[str, object]) -> set[str]:
    statements = policy["Statement"]
    assert isinstance(statements, list)
    return {
        arn
        for s in statements
        if s["Sid"] in ("ReadJobParameters", "ReadJobSecrets")
        for arn in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }


def _needed(job: StackJob) -> set[str]:
    """The grants the job's references need, as policies.secret_resources writes them."""
    return _granted(
        policies.execution_role_policy(ENV, log_group_prefix="/x/", images=[], secret_refs=job.spec.secrets.values())
    )


@pytest.mark.parametrize(("jobs", "secrets"), [(200, 2), (300, 3), (2000, 5)], ids=["200x2", "300x3", "2000x5"])
def test_every_execution_role_fits_and_reads_exactly_its_own_jobs_secrets(jobs: int, secrets: int) -> None:
    stack = fleet_stack(jobs, secrets)
    roles = execution_roles(stack, ENV)
    assert len(roles) > 1  # one role could not hold them (issue 40: 30,444 and 67,744 characters)
    assert sorted(job for role in roles for job in role.jobs) == sorted(job.name for job in stack.jobs)
    by_name = {job.name: job for job in stack.jobs}
    for role in roles:
        assert policy_length(role.policy) <= EXECUTION_ROLE_BUDGET < IAM_ROLE_LIMIT, role.name
        assert _granted(role.policy) == set().union(*(_needed(by_name[j]) for j in role.jobs)), role.name
    assert [role.name for role in roles] == [f"{PREFIX}-job-execution"] + [
        f"{PREFIX}-job-execution-{i}" for i in range(2, len(roles) + 1)
    ]


def test_a_stack_that_fits_keeps_its_one_role_and_its_policy_unchanged() -> None:
    stack = fleet_stack(10, 2)
    [role] = execution_roles(stack, ENV)
    assert role.name == f"{PREFIX}-job-execution" and role.document_path == "shared/execution-role"
    assert role.jobs == tuple(job.name for job in stack.jobs)
    assert role.policy == policies.execution_role_policy(
        ENV,
        log_group_prefix=f"/scheduled-jobs/{PREFIX}/",
        images=sorted({str(job.spec.image) for job in stack.jobs}),
        secret_refs=sorted({ref for job in stack.jobs for ref in job.spec.secrets.values()}),
    )


def test_growing_the_fleet_only_adds_roles_at_the_end() -> None:
    """Jobs added after the others in name order leave every earlier role as it was, so no role a run may be using is
    deleted or loses a job (docs/changing-a-deployed-stack.md)."""
    before = execution_roles(fleet_stack(150, 3), ENV)
    after = execution_roles(fleet_stack(400, 3), ENV)
    assert len(after) > len(before)
    assert after[: len(before) - 1] == before[:-1]
    assert set(before[-1].jobs) <= set(after[len(before) - 1].jobs)


def test_jobs_added_anywhere_in_name_order_never_lower_the_number_of_roles() -> None:
    """Jobs sorting between the others move later jobs to the next role, but no role disappears."""
    base = fleet_stack(150, 3)
    counts = [len(execution_roles(base, ENV))]
    for tag in ("job-0", "job-00", "job-01", "aaa"):  # `job-0-0000` sorts between job-0000 and job-0001
        extra = fleet_stack(30, 4, tag=tag).jobs
        base = Stack(project=base.project, stack=base.stack, config=base.config, jobs=[*base.jobs, *extra])
        counts.append(len(execution_roles(base, ENV)))
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_each_role_pulls_only_its_own_jobs_images() -> None:
    stack = fleet_stack(300, 3, images=40)
    images = {job.name: str(job.spec.image).split(":")[0].rsplit("/", 1)[1] for job in stack.jobs}
    for role in execution_roles(stack, ENV):
        [pull] = [s for s in role.policy["Statement"] if s["Sid"] == "PullJobImages"]
        assert {arn.rsplit("/", 1)[1] for arn in pull["Resource"]} == {images[j] for j in role.jobs}


def test_references_to_one_secret_by_json_key_cost_one_grant() -> None:
    """The lever the refusal names: keys of one secret are one grant (the ARN without `:key::`)."""
    secret = f"arn:aws:secretsmanager:eu-central-1:{ENV.account_id}:secret:billing/creds"
    refs = [f"{secret}:key{k}::" for k in range(50)]
    grants = _granted(policies.execution_role_policy(ENV, log_group_prefix="/x/", images=[], secret_refs=refs))
    assert grants == {f"{secret}-??????"} and not SECRET_SUFFIX.search(secret)


def test_a_job_whose_own_secrets_cannot_fit_one_role_is_refused_naming_its_file_the_field_and_the_lever() -> None:
    stack = fleet_stack(3, 2)
    big = fleet_stack(1, 150, tag="huge").jobs[0]
    stack = Stack(project=stack.project, stack=stack.stack, config=stack.config, jobs=[*stack.jobs, big])
    with pytest.raises(JobTooLargeForARole) as refused:
        execution_roles(stack, ENV)
    message = str(refused.value)
    assert message.startswith("jobs/huge_0000.py: secrets: the job's 150 secret references need")
    assert "10,240" in message and "JSON keys" in message


def test_every_job_is_given_the_role_its_secrets_are_granted_on() -> None:
    stack = fleet_stack(120, 4)
    roles = execution_roles(stack, ENV)
    given = role_of_job(roles)
    policies_by_name = {role.name: role.policy for role in roles}
    for job in stack.jobs:
        assert _needed(job) <= _granted(policies_by_name[given[job.name]])


def test_the_plan_says_which_execution_roles_a_change_adds_and_which_it_deletes_under_runs_in_flight() -> None:
    grown = execution_roles(fleet_stack(200, 2), ENV)
    files = {f"{role.document_path.removeprefix('shared/')}.policy.json" for role in grown}
    assert execution_role_changes({"execution-role.policy.json"}, grown, PREFIX) == [
        f"execution roles {', '.join(r.name for r in grown[1:])} are added: jobs that move to them get a new task "
        "definition revision naming their new role; a run in flight keeps its task's role, whose log grant stays"
    ]
    shrunk = execution_roles(fleet_stack(10, 2), ENV)
    notes = execution_role_changes(files, shrunk, PREFIX)
    assert len(notes) == len(grown) - 1
    assert notes[0].startswith(f"execution role {PREFIX}-job-execution-2 is removed: `pulumi up` deletes it at its end")
    assert "deploy when no job runs (`jobctl status`)" in notes[-1]
    assert execution_role_changes(files, grown, PREFIX) == []
