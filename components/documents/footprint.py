"""What a stack counts against AWS's per-account quotas, before deploy: IAM roles, state machines, schedules,
alarms, log groups, task definition families, EventBridge rules, dashboards, tables. The plan prints it next to
each default quota (components/model/aws_constants.py, DEFAULT_QUOTAS) and warns at WARN_AT of one; the
program registers exactly these (tests/program/test_footprint.py compares the two)."""

from __future__ import annotations

from dataclasses import dataclass

from components.documents.dashboard import dashboard_count
from components.documents.execution_roles import JobTooLargeForARole, execution_roles
from components.documents.rendered import has_task_role
from components.model.arns import AwsEnv
from components.model.aws_constants import DEFAULT_QUOTAS
from components.model.stack import Stack

WARN_AT = 0.8  # of a default quota
# The stack's own roles: task execution (the first of them), schedules, lock janitor, its EventBridge rule, slot watch.
SHARED_ROLES = 5
# Role ARNs are as long in any account of a partition, so the execution roles' split does not depend on it.
ANY_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Use:
    thing: str  # a key of DEFAULT_QUOTAS
    count: int

    @property
    def share(self) -> float | None:
        """The share of the default quota this stack alone uses (None: AWS documents no limit)."""
        default = DEFAULT_QUOTAS[self.thing].default
        return None if default is None else self.count / default


def footprint(stack: Stack, partition: str = "aws") -> list[Use]:
    jobs = stack.jobs
    scheduled = sum(1 for job in jobs if job.spec.schedule is not None)
    task_roles = sum(1 for job in jobs if has_task_role(job))
    try:  # past one role's policy, the execution role is several (components/documents/execution_roles.py)
        more_execution_roles = len(execution_roles(stack, AwsEnv(partition, stack.config.region, ANY_ACCOUNT))) - 1
    except JobTooLargeForARole:
        more_execution_roles = 0  # refused by the limits check (components/documents/limits.py)
    counts = {
        # + the job state machines' shared role
        "IAM roles": SHARED_ROLES + more_execution_roles + (1 if jobs else 0) + task_roles,
        "state machines": len(jobs) + 2,  # + the lock janitor and the slot watch
        "schedules": 2 * scheduled,  # each scheduled job's schedule and its slot watch schedule
        "schedule groups": 2,
        # the janitor's, the slot watch's, and the dead-letter queue's
        "CloudWatch alarms": 2 + (1 if stack.config.schedule_dead_letter_queue else 0),
        "log groups": len(jobs) + 1,  # + the state machines' execution logs
        "task definition families": len(jobs),
        "EventBridge rules": 1,  # the janitor's, on the default event bus
        "dashboards": dashboard_count(len(jobs)),
        "DynamoDB tables": 1,
    }
    return [Use(thing, counts[thing]) for thing in DEFAULT_QUOTAS]


def footprint_rows(uses: list[Use]) -> list[list[str]]:
    """Rows for the plan's table: thing, this stack, default quota (scope), share, source."""
    rows = []
    for use in uses:
        quota = DEFAULT_QUOTAS[use.thing]
        limit = f"{quota.default:,} per {quota.scope}" if quota.default is not None else "none documented"
        share = f"{use.share:.1%}" if use.share is not None else "-"
        rows.append([use.thing, f"{use.count:,}", limit, share, quota.source])
    return rows


def footprint_warnings(uses: list[Use]) -> list[str]:
    """One warning per quota this stack alone fills to WARN_AT or more; nothing is refused."""
    warnings = []
    for use in uses:
        if use.share is not None and use.share >= WARN_AT:
            quota = DEFAULT_QUOTAS[use.thing]
            warnings.append(
                f"this stack uses {use.count:,} {use.thing}, {use.share:.0%} of AWS's default quota of "
                f"{quota.default:,} per {quota.scope} ({quota.source}); other stacks and everything else in the "
                "same account count too: ask AWS for more through Service Quotas before you deploy"
            )
    return warnings
