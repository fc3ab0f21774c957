"""Physical AWS names, derived in one place so their length limits are checked in one place.

Names are fixed (no random suffix) because the ops CLI and operators find resources by them."""

from __future__ import annotations

from dataclasses import dataclass, fields

from components.model.aws_constants import NAME_LIMITS

# Job names that would collide with the stack's shared resources.
# And the self-test canaries' (components/model/self_test.py).
RESERVED_JOB_NAMES = frozenset(
    {"lock-janitor", "job-locks", "job-alarms", "jobs", "slot-watch", "selftest", "selftest-replace", "selftest-spot"}
)


# Which AWS name limit (aws_constants.NAME_LIMITS) applies to each JobNames field.
_LIMIT_KIND = {
    "state_machine": "state machine",
    "schedule": "schedule",
    "task_family": "task definition family",
    "log_group": "log group",
    "task_role": "IAM role",
}


@dataclass(frozen=True)
class JobNames:
    """Every physical name one job's resources get."""

    state_machine: str
    schedule: str
    task_family: str
    container: str
    log_group: str
    task_role: str  # only a job with `permissions` has one

    def too_long(self) -> list[str]:
        """Each derived name that exceeds its AWS limit, said so a user can act on it."""
        problems = []
        for field in fields(self):
            kind = _LIMIT_KIND.get(field.name)
            value = getattr(self, field.name)
            if kind and len(value) > NAME_LIMITS[kind]:
                problems.append(f"{kind} name {value!r} is {len(value)} characters; AWS allows {NAME_LIMITS[kind]}")
        return problems


def job_names(prefix: str, job: str) -> JobNames:
    base = f"{prefix}-{job}"
    return JobNames(
        state_machine=base,
        schedule=base,
        task_family=base,
        container="job",
        log_group=f"{job_log_group_prefix(prefix)}{job}",
        task_role=f"{base}-task",
    )


def job_log_group_prefix(prefix: str) -> str:
    """Every job's container logs go under this, so the execution role can be scoped to it."""
    return f"/scheduled-jobs/{prefix}/"


@dataclass(frozen=True)
class SharedNames:
    lock_table: str
    alarm_topic: str
    alarm_topic_key_alias: str
    cluster: str
    execution_role: str
    scheduler_role: str
    job_state_machine_role: str
    schedule_group: str
    janitor_state_machine: str
    janitor_role: str
    janitor_rule: str
    janitor_events_role: str
    janitor_alarm: str
    slot_watch_state_machine: str
    slot_watch_role: str
    slot_watch_schedule_group: str
    slot_watch_alarm: str
    state_machine_log_group: str
    dashboard: str
    schedule_dead_letter_queue: str
    schedule_dead_letter_alarm: str


def shared_names(prefix: str) -> SharedNames:
    return SharedNames(
        lock_table=f"{prefix}-job-locks",
        alarm_topic=f"{prefix}-job-alarms",
        # The key the stack creates for its topic (encryptAlarmTopic), which grants name by this alias.
        alarm_topic_key_alias=f"alias/{prefix}-job-alarms",
        cluster=f"{prefix}-jobs",
        execution_role=f"{prefix}-job-execution",
        scheduler_role=f"{prefix}-job-scheduler",
        # One role for every job's state machine (its grants are stack-wide: components/documents/run_task.py).
        job_state_machine_role=f"{prefix}-jobs-sfn",  # "jobs" is a reserved job name: no job has this role
        schedule_group=f"{prefix}-jobs",
        janitor_state_machine=f"{prefix}-lock-janitor",
        janitor_role=f"{prefix}-lock-janitor",
        janitor_rule=f"{prefix}-lock-janitor",
        janitor_events_role=f"{prefix}-lock-janitor-events",
        janitor_alarm=f"{prefix}-lock-janitor-failed",
        slot_watch_state_machine=f"{prefix}-slot-watch",
        slot_watch_role=f"{prefix}-slot-watch-sfn",
        # Same schedule names as the jobs' own (`<prefix>-<job>`), in a group of their own.
        slot_watch_schedule_group=f"{prefix}-slot-watch",
        slot_watch_alarm=f"{prefix}-slot-watch-failed",
        # Step Functions' log delivery needs a log group resource policy; the /aws/vendedlogs/ prefix
        # keeps that policy from growing with every log group (CloudWatch Logs docs, "vended logs").
        state_machine_log_group=f"/aws/vendedlogs/states/{prefix}-jobs",
        dashboard=f"{prefix}-jobs",
        schedule_dead_letter_queue=f"{prefix}-job-schedule-dlq",
        schedule_dead_letter_alarm=f"{prefix}-job-schedule-dlq-not-empty",
    )
