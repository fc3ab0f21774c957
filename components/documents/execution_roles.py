"""The task execution roles of a stack: one role while its policy fits, then shards of the fleet.

ECS's agent uses a task's execution role to pull its image, write its logs and read its secrets (ECS developer
guide, "Amazon ECS task execution IAM role"). Every referenced secret is a grant on that role, and IAM counts the
sum of a role's inline policies against 10,240 characters (IAM user guide, "IAM and AWS STS quotas"): at about 40
jobs with three secrets of their own, one role no longer fits. So, as the other shared roles change form before
the limit (policies.scheduler_policy, grants.fit_inline), this one does too, keeping its promise that a role reads
only the secrets its jobs reference: past the budget the jobs, in name order, are packed into several roles,
`<prefix>-job-execution`, `<prefix>-job-execution-2`, ..., each naming only its own jobs' images and secrets.
A stack that fits keeps its one role, unchanged."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from components.documents import policies
from components.model.arns import AwsEnv
from components.model.naming import job_log_group_prefix, shared_names
from components.model.permissions import policy_length
from components.model.stack import Stack, StackJob

Document = dict[str, Any]

# Each execution role's policy is packed to at most this many of IAM's 10,240 characters per role (IAM user guide,
# "IAM and AWS STS quotas"). Measured as IAM counts (permissions.policy_length), so the margin is small: every
# role saved counts, as roles are the quota a large fleet fills first (1,000 per account; docs/limits.md).
EXECUTION_ROLE_BUDGET = 9_500


@dataclass(frozen=True)
class ExecutionRole:
    """One execution role: its place (1-based), IAM name, the jobs whose task definitions name it, its policy."""

    index: int
    name: str
    jobs: tuple[str, ...]
    policy: Document

    @property
    def document_path(self) -> str:
        """Where the plan writes its policy (`.policy.json`; `.trust.json` its trust policy) under build/<stack>/."""
        return "shared/execution-role" + ("" if self.index == 1 else f"-{self.index}")


class JobTooLargeForARole(ValueError):
    """One job's images and secrets alone do not fit one execution role's policy."""


def shard_name(prefix: str, index: int) -> str:
    """The `index`-th execution role's name (1-based): the first keeps the name a stack of one role has."""
    base = shared_names(prefix).execution_role
    return base if index == 1 else f"{base}-{index}"


def execution_role_pattern(env: AwsEnv, prefix: str) -> str:
    """Every execution role of the stack, whatever its form: what the run states and the deployer may pass."""
    return env.role_arn(f"{shared_names(prefix).execution_role}*")


def _policy(stack: Stack, env: AwsEnv, jobs: list[StackJob]) -> Document:
    config = stack.config
    return policies.execution_role_policy(
        env,
        log_group_prefix=job_log_group_prefix(config.name_prefix),
        images=sorted({job.spec.image or config.image for job in jobs}),
        secret_refs=sorted({ref for job in jobs for ref in job.spec.secrets.values()}),
    )


def execution_roles(stack: Stack, env: AwsEnv, budget: int = EXECUTION_ROLE_BUDGET) -> list[ExecutionRole]:
    """The stack's execution roles, each policy at most `budget` characters (minified, as IAM counts them).

    One role while every job fits in it; otherwise jobs in name order fill a role until the next would cross the
    budget, then start the next role. Filling in order needs the fewest roles any split of that order can have,
    and a job added anywhere (or given more secrets) cannot make a split need fewer, so growth never lowers the
    number of roles: the roles added are at the end, and no role a run may be using is deleted by growth
    (docs/changing-a-deployed-stack.md).
    Raises JobTooLargeForARole naming the job whose references alone cross the budget."""
    prefix = stack.config.name_prefix
    of_job = {job.name: _Grants.of(stack, env, job) for job in stack.jobs}
    every = _Grants().union(of_job.values())
    if every.names_at_least() <= budget:  # else the one policy, naming all of them, cannot fit
        everyone = _policy(stack, env, stack.jobs)
        if policy_length(everyone) <= budget:
            return [ExecutionRole(1, shard_name(prefix, 1), tuple(job.name for job in stack.jobs), everyone)]
    shards: list[list[StackJob]] = []
    current: list[StackJob] = []
    bound, granted = 0, _Grants()  # an upper bound of the current role's policy length, and what it names
    for job in sorted(stack.jobs, key=lambda j: j.name):
        grants = of_job[job.name]
        if current and bound + granted.growth(grants) <= budget:
            bound += granted.growth(grants)
            current, granted = [*current, job], granted | grants
            continue
        candidate = _policy(stack, env, [*current, job])  # near the budget: the exact length
        if policy_length(candidate) <= budget:
            current, granted, bound = [*current, job], granted | grants, policy_length(candidate)
            continue
        if not current:
            raise JobTooLargeForARole(_too_large(job, policy_length(candidate), budget))
        shards.append(current)
        alone = _policy(stack, env, [job])
        if policy_length(alone) > budget:
            raise JobTooLargeForARole(_too_large(job, policy_length(alone), budget))
        current, granted, bound = [job], grants, policy_length(alone)
    shards.append(current)
    return [
        ExecutionRole(index, shard_name(prefix, index), tuple(j.name for j in jobs), _policy(stack, env, jobs))
        for index, jobs in enumerate(shards, start=1)
    ]


# A statement a role's policy gains with its first parameter, secret or ECR image (two for ECR: log in and pull)
# is shorter than this; each resource after the first adds its ARN, its quotes and a comma.
STATEMENT_ALLOWANCE = 300


@dataclass(frozen=True)
class _Grants:
    """The resources a policy names, by statement: parameters, secrets, image repositories."""

    kinds: tuple[frozenset[str], ...] = (frozenset(), frozenset(), frozenset())

    @classmethod
    def of(cls, stack: Stack, env: AwsEnv, job: StackJob) -> _Grants:
        parameters, secrets = policies.secret_resources(env, job.spec.secrets.values())
        images = [job.spec.image or stack.config.image]
        return cls((frozenset(parameters), frozenset(secrets), frozenset(policies.ecr_repositories(env, images))))

    def growth(self, other: _Grants) -> int:
        """At most how many characters the policy grows by when it also names `other`'s resources."""
        grown = 0
        for mine, theirs in zip(self.kinds, other.kinds, strict=True):
            grown += sum(len(arn) + 3 for arn in theirs - mine)
            grown += STATEMENT_ALLOWANCE if theirs and not mine else 0
        return grown

    def names_at_least(self) -> int:
        """A lower bound of the length of a policy that names them all: each ARN, its quotes and a comma."""
        return sum(len(arn) + 3 for kind in self.kinds for arn in kind)

    def union(self, others: Iterable[_Grants]) -> _Grants:
        kinds = [set(kind) for kind in self.kinds]
        for other in others:
            for mine, theirs in zip(kinds, other.kinds, strict=True):
                mine |= theirs
        return _Grants(tuple(frozenset(kind) for kind in kinds))

    def __or__(self, other: _Grants) -> _Grants:
        return _Grants(tuple(a | b for a, b in zip(self.kinds, other.kinds, strict=True)))


def _too_large(job: StackJob, size: int, budget: int) -> str:
    return (
        f"{job.source}: secrets: the job's {len(job.spec.secrets)} secret references need an execution role "
        f"policy of {size:,} characters, more than the {budget:,} one role is given (IAM allows 10,240 per role: "
        'IAM user guide, "IAM and AWS STS quotas"): keep several values in one Secrets Manager secret and '
        "reference its JSON keys (`arn:...:secret:NAME:KEY::`, one grant for all of them), or use fewer secrets"
    )


def role_of_job(roles: list[ExecutionRole]) -> dict[str, str]:
    """Job name -> the name of the execution role its task definition names."""
    return {job: role.name for role in roles for job in role.jobs}


def execution_role_changes(previous: set[str], roles: list[ExecutionRole], prefix: str) -> list[str]:
    """What a change of the execution roles' form does, for the plan: `previous`, the policy files of its last
    output (`execution-role*.policy.json`). Roles added at the end take jobs from the roles before them; a role
    removed (the fleet shrank) is deleted at the end of `pulumi up`, while a task started before may still use it."""
    before = {
        int(match[1] or 1)
        for name in previous
        if (match := re.fullmatch(r"execution-role(?:-(\d+))?\.policy\.json", name))
    }
    now = {role.index for role in roles}
    notes = []
    if added := sorted(now - before):
        shown = ", ".join(shard_name(prefix, index) for index in added)
        notes.append(
            f"execution roles {shown} are added: jobs that move to them get a new task definition revision naming "
            "their new role; a run in flight keeps its task's role, whose log grant stays"
        )
    for index in sorted(before - now):
        notes.append(
            f"execution role {shard_name(prefix, index)} is removed: `pulumi up` deletes it at its end, after its "
            "jobs' task definitions name other roles, but a task started before with it keeps it and cannot write its "
            "logs once it is gone: deploy when no job runs (`jobctl status`)"
        )
    return notes
