"""Every document a stack deploys (state machine definitions, IAM policies), rendered from the same
builders the Pulumi components use, so the offline plan shows exactly what `pulumi up` would send."""

from __future__ import annotations

from typing import Any

from components.documents import policies
from components.documents.alert_messages import AlertTarget
from components.documents.ci_identities import deploy_trust, preview_policy, preview_trust
from components.documents.dashboard import dashboard_bodies
from components.documents.deployer import deployer_policy_files
from components.documents.execution_roles import execution_role_pattern, execution_roles
from components.documents.grants import MachineDocuments, policy_document
from components.documents.job_machine import job_machine
from components.documents.lock_janitor import janitor_event_pattern, janitor_machine, start_janitor_policy
from components.documents.operator import operator_policy, reader_policy
from components.documents.run_task import RunTarget
from components.documents.slot_watch import slot_watch_machine
from components.documents.table_machine import TableMachineArgs
from components.documents.topic_key import (
    STATEMENTS_FILE,
    TopicKey,
    created_key_policy,
    statements_for_the_key_owner,
    topic_key,
)
from components.model.arns import AwsEnv
from components.model.config import StackConfig
from components.model.deadlines import deadline_summary
from components.model.naming import shared_names
from components.model.permissions import task_role_policy
from components.model.stack import Stack, StackJob


def cluster_name(config: StackConfig) -> str:
    return config.cluster_name or shared_names(config.name_prefix).cluster


def dead_letter_queue_arn(env: AwsEnv, config: StackConfig) -> str | None:
    if not config.schedule_dead_letter_queue:
        return None
    return env.arn("sqs", shared_names(config.name_prefix).schedule_dead_letter_queue)


def run_target(job: StackJob, config: StackConfig, env: AwsEnv) -> RunTarget:
    return RunTarget(
        env=env,
        prefix=config.name_prefix,
        cluster=cluster_name(config),
        task_family=job.names.task_family,
        container=job.names.container,
        subnets=tuple(config.subnets),
        security_groups=tuple(config.security_groups),
        assign_public_ip=config.assign_public_ip,
        task_role_arn=env.role_arn(job.names.task_role) if has_task_role(job) else None,
        # The pass grant is stack-wide (one role for every job's machine), so it names every execution role.
        execution_role_arn=execution_role_pattern(env, config.name_prefix),
    )


def has_task_role(job: StackJob) -> bool:
    """Only a job that declares `permissions` gets a task role: one without has no AWS identity in its
    container, and costs no IAM role (IAM allows 1,000 roles per account by default)."""
    return bool(job.spec.permissions)


def alarm_topic_key(config: StackConfig, env: AwsEnv) -> TopicKey | None:
    """The alert topic's KMS key, as alarmTopicKmsKeyArn or encryptAlarmTopic set it; None: not encrypted (or
    encrypted with a key nobody named, which plan.py warns about)."""
    alias = shared_names(config.name_prefix).alarm_topic_key_alias
    return topic_key(config.alarm_topic_kms_key_arn, config.encrypt_alarm_topic, alias, env)


def alert_target(config: StackConfig, stack: str, env: AwsEnv) -> AlertTarget:
    """The topic alerts go to: the stack's own, or the existing one `alarmTopicArn` names; with its key."""
    topic = config.alarm_topic_arn or env.arn("sns", shared_names(config.name_prefix).alarm_topic)
    return AlertTarget(topic_arn=topic, stack=stack, region=env.region, key=alarm_topic_key(config, env))


def alert_publisher_roles(config: StackConfig, env: AwsEnv) -> list[str]:
    """The roles whose states publish alerts: the job state machines', the janitor's and the slot watch's."""
    names = shared_names(config.name_prefix)
    return [env.role_arn(r) for r in (names.job_state_machine_role, names.janitor_role, names.slot_watch_role)]


def job_machine_documents(job: StackJob, stack: Stack, env: AwsEnv) -> MachineDocuments:
    """A job's state machine definition and its role's policy: run its task, pass its roles, hold its lock,
    stop its own holder, alert; each granted by the state that does it."""
    config = stack.config
    alerts = alert_target(config, stack.stack, env)
    return job_machine(job, run_target(job, config, env), shared_names(config.name_prefix).lock_table, alerts)


def job_machines_policy(machines: list[MachineDocuments]) -> dict[str, Any]:
    """The policy of the role every job's state machine shares: the union of every job machine's grants (their
    statements are stack-wide, so the union is as small as one machine's). Raises ValueError if two machines
    grant different things under one Sid."""
    return policy_document(statement for machine in machines for statement in machine.policy["Statement"])


def job_machines_trust(stack: Stack, env: AwsEnv) -> dict[str, Any]:
    """Step Functions may assume the shared role for the stack's job state machines (`<prefix>-*`)."""
    return policies.state_machine_trust(env, f"{stack.config.name_prefix}-*")


def scheduler_role_policy(stack: Stack, env: AwsEnv) -> dict[str, Any]:
    config = stack.config
    names = shared_names(config.name_prefix)
    return policies.scheduler_policy(
        env,
        config.name_prefix,
        [job.names.state_machine for job in stack.jobs] + [names.slot_watch_state_machine],
        dead_letter_queue_arn(env, config),
    )


def janitor_documents(stack: Stack, env: AwsEnv) -> MachineDocuments:
    prefix = stack.config.name_prefix
    names = shared_names(prefix)
    own = [names.janitor_state_machine, names.slot_watch_state_machine]
    return janitor_machine(
        TableMachineArgs(env=env, table=names.lock_table, alerts=alert_target(stack.config, stack.stack, env)),
        name_prefix=prefix,
        shared_machines=[name.removeprefix(f"{prefix}-") for name in own],
        sources={job.name: job.source for job in stack.jobs},
    )


def janitor_rule_pattern(stack: Stack, env: AwsEnv) -> dict[str, Any]:
    """The janitor's rule: executions of the stack's state machines that ended badly."""
    return janitor_event_pattern(env, stack.config.name_prefix)


def slot_watch_documents(stack: Stack, env: AwsEnv) -> MachineDocuments:
    config = stack.config
    table = shared_names(config.name_prefix).lock_table
    dead_letters = (
        shared_names(config.name_prefix).schedule_dead_letter_queue if config.schedule_dead_letter_queue else None
    )
    return slot_watch_machine(
        TableMachineArgs(env=env, table=table, alerts=alert_target(config, stack.stack, env)),
        stack=stack,
        dead_letter_queue=dead_letters,
    )


def rendered_documents(
    stack: Stack, env: AwsEnv, machines: list[MachineDocuments] | None = None
) -> dict[str, dict[str, Any]]:
    """Relative file path -> document, for every job and the shared pieces; `machines`, the jobs' machine
    documents in job order when the caller has them already (job_machine_documents)."""
    config = stack.config
    shared = shared_names(config.name_prefix)
    documents: dict[str, dict[str, Any]] = {}
    built = machines if machines is not None else [job_machine_documents(job, stack, env) for job in stack.jobs]
    machines = []
    for job, machine in zip(stack.jobs, built, strict=True):
        base = f"jobs/{job.name}"
        machines.append(machine)
        documents[f"{base}/state-machine.asl.json"] = machine.definition
        if (permissions := task_role_policy(job.spec.permissions)) is not None:
            documents[f"{base}/task-role.trust.json"] = policies.ecs_task_trust(env)
            documents[f"{base}/task-role.policy.json"] = permissions
    if machines:
        documents["shared/job-state-machines-role.policy.json"] = job_machines_policy(machines)
        documents["shared/job-state-machines-role.trust.json"] = job_machines_trust(stack, env)
    janitor = janitor_documents(stack, env)
    documents["shared/lock-janitor.asl.json"] = janitor.definition
    documents["shared/lock-janitor.event-pattern.json"] = janitor_rule_pattern(stack, env)
    documents["shared/lock-janitor-role.policy.json"] = janitor.policy
    documents["shared/lock-janitor-role.trust.json"] = policies.state_machine_trust(env, shared.janitor_state_machine)
    documents["shared/lock-janitor-events-role.policy.json"] = start_janitor_policy(env, shared.janitor_state_machine)
    documents["shared/lock-janitor-events-role.trust.json"] = policies.events_trust(env, shared.janitor_rule)
    watch = slot_watch_documents(stack, env)
    documents["shared/slot-watch.asl.json"] = watch.definition
    documents["shared/slot-watch-role.policy.json"] = watch.policy
    documents["shared/slot-watch-role.trust.json"] = policies.state_machine_trust(env, shared.slot_watch_state_machine)
    if config.encrypt_alarm_topic:
        documents["shared/alarm-topic-key.policy.json"] = created_key_policy(env)
    elif config.alarm_topic_kms_key_arn is not None:
        # Not deployed: the key is the user's; its owner adds these (docs/alerts.md, "An encrypted topic").
        documents[STATEMENTS_FILE] = statements_for_the_key_owner(alert_publisher_roles(config, env))
    for role in execution_roles(stack, env):
        documents[f"{role.document_path}.policy.json"] = role.policy
        documents[f"{role.document_path}.trust.json"] = policies.ecs_task_execution_trust()
    documents["shared/scheduler-role.policy.json"] = scheduler_role_policy(stack, env)
    documents["shared/scheduler-role.trust.json"] = policies.scheduler_trust(
        env, [shared.schedule_group, shared.slot_watch_schedule_group]
    )
    # Not deployed: the two identities CI uses for this stack (docs/ci.md, docs/security.md "The deploying
    # identity"); their trust policies need the repository, `scheduled-jobs:githubRepository`.
    documents.update(deployer_policy_files(config, env, stack.stack))
    documents["previewer.policy.json"] = preview_policy(config, env, stack.stack)
    # Not deployed either: what the identity running `jobctl` for this stack needs (docs/jobctl.md, Permissions).
    documents["operator.policy.json"] = operator_policy(config, env)
    documents["reader.policy.json"] = reader_policy(config, env)
    if config.github_repository is not None:
        documents["deployer.trust.json"] = deploy_trust(env, config.github_repository, stack.stack)
        documents["previewer.trust.json"] = preview_trust(env, config.github_repository)
    return documents


def stack_dashboard_bodies(stack: Stack, env: AwsEnv) -> list[dict[str, Any]]:
    """The bodies of the stack's dashboards (one per 200 jobs): the jobs' machines and deadline rules, and the
    alarms of the shared pieces (the jobs' own alerts go to the topic from their state machines)."""
    config, names = stack.config, shared_names(stack.config.name_prefix)
    machines = {job.name: env.arn("states", f"stateMachine:{job.names.state_machine}") for job in stack.jobs}
    shared = [names.janitor_alarm, names.slot_watch_alarm]
    if config.schedule_dead_letter_queue:
        shared.append(names.schedule_dead_letter_alarm)
    alarms = [env.arn("cloudwatch", f"alarm:{alarm}") for alarm in shared]
    rules = {job.name: deadline_summary(job.spec) for job in stack.jobs if job.spec.schedule is not None}
    return dashboard_bodies(config.region, machines, alarms, names.state_machine_log_group, config.name_prefix, rules)
