"""Every document a stack deploys (state machine definitions, IAM policies), rendered from the same
builders the Pulumi components use, so the offline plan shows exactly what `pulumi up` would send."""

from __future__ import annotations

from typing import Any

from components import policies
from components.asl import RunTarget, job_definition
from components.config import StackConfig
from components.lock_janitor import janitor_definition, janitor_event_pattern
from components.naming import job_log_group_prefix, shared_names
from components.permissions import task_role_policy
from components.policies import AwsEnv
from components.stack import Stack, StackJob


def cluster_name(config: StackConfig) -> str:
    return config.cluster_name or shared_names(config.name_prefix).cluster


def dead_letter_queue_arn(env: AwsEnv, config: StackConfig) -> str | None:
    if not config.schedule_dead_letter_queue:
        return None
    return env.arn("sqs", shared_names(config.name_prefix).schedule_dead_letter_queue)


def run_target(job: StackJob, config: StackConfig, cluster: str) -> RunTarget:
    return RunTarget(
        cluster=cluster,
        task_family=job.names.task_family,
        container=job.names.container,
        subnets=tuple(config.subnets),
        security_groups=tuple(config.security_groups),
        assign_public_ip=config.assign_public_ip,
    )


def lock_table_arn(env: AwsEnv, config: StackConfig) -> str:
    return env.arn("dynamodb", f"table/{shared_names(config.name_prefix).lock_table}")


def role_arn(env: AwsEnv, role_name: str) -> str:
    return f"arn:{env.partition}:iam::{env.account_id}:role/{role_name}"  # our roles keep the default path "/"


def state_machine_definition(job: StackJob, config: StackConfig) -> dict[str, Any]:
    lock_table = shared_names(config.name_prefix).lock_table
    return job_definition(job.spec, run_target(job, config, cluster_name(config)), lock_table)


def state_machine_policy(job: StackJob, config: StackConfig, env: AwsEnv) -> dict[str, Any]:
    """What a job's state machine may do: run its task, pass its roles, hold its lock, stop its own holder."""
    return policies.job_state_machine_policy(
        env,
        job_name=job.name,
        task_family=job.names.task_family,
        cluster_name=cluster_name(config),
        task_role_arn=role_arn(env, job.names.task_role),
        execution_role_arn=role_arn(env, shared_names(config.name_prefix).execution_role),
        lock_table_arn=lock_table_arn(env, config) if job.spec.concurrency != "allow" else None,
        state_machine_name=job.names.state_machine if job.spec.concurrency == "replace" else None,
    )


def execution_role_policy(stack: Stack, env: AwsEnv) -> dict[str, Any]:
    """The shared execution role's policy: every job's image and secrets, the jobs' log groups."""
    config = stack.config
    return policies.execution_role_policy(
        env,
        log_group_prefix=job_log_group_prefix(config.name_prefix),
        images=sorted({job.spec.image or config.image for job in stack.jobs}),
        secret_refs=sorted({ref for job in stack.jobs for ref in job.spec.secrets.values()}),
    )


def scheduler_role_policy(stack: Stack, env: AwsEnv) -> dict[str, Any]:
    config = stack.config
    return policies.scheduler_policy(
        env,
        config.name_prefix,
        [job.names.state_machine for job in stack.jobs],
        dead_letter_queue_arn(env, config),
    )


def janitor_role_policy(stack: Stack, env: AwsEnv) -> dict[str, Any]:
    return policies.janitor_policy(env, lock_table_arn(env, stack.config), [job.name for job in stack.jobs])


def rendered_documents(stack: Stack, env: AwsEnv) -> dict[str, dict[str, Any]]:
    """Relative file path -> document, for every job and the shared pieces."""
    config = stack.config
    shared = shared_names(config.name_prefix)
    documents: dict[str, dict[str, Any]] = {}
    for job in stack.jobs:
        base = f"jobs/{job.name}"
        documents[f"{base}/state-machine.asl.json"] = state_machine_definition(job, config)
        documents[f"{base}/state-machine-role.policy.json"] = state_machine_policy(job, config, env)
        documents[f"{base}/state-machine-role.trust.json"] = policies.state_machine_trust(env, job.names.state_machine)
        documents[f"{base}/task-role.trust.json"] = policies.ecs_task_trust(env)
        if (permissions := task_role_policy(job.spec.permissions)) is not None:
            documents[f"{base}/task-role.policy.json"] = permissions
    documents["shared/lock-janitor.asl.json"] = janitor_definition(shared.lock_table, config.name_prefix)
    documents["shared/lock-janitor.event-pattern.json"] = janitor_event_pattern(
        env.arn("states", f"stateMachine:{config.name_prefix}-")
    )
    documents["shared/lock-janitor-role.policy.json"] = janitor_role_policy(stack, env)
    documents["shared/lock-janitor-role.trust.json"] = policies.state_machine_trust(env, shared.janitor_state_machine)
    documents["shared/lock-janitor-events-role.policy.json"] = policies.start_janitor_policy(
        env, shared.janitor_state_machine
    )
    documents["shared/lock-janitor-events-role.trust.json"] = policies.events_trust(env, shared.janitor_rule)
    documents["shared/execution-role.policy.json"] = execution_role_policy(stack, env)
    documents["shared/execution-role.trust.json"] = policies.ecs_task_trust(env)
    documents["shared/scheduler-role.policy.json"] = scheduler_role_policy(stack, env)
    documents["shared/scheduler-role.trust.json"] = policies.scheduler_trust(env, shared.schedule_group)
    return documents
