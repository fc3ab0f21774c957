"""The change report in words: what one up from graph `before` to graph `after` does to runs, state and alerts,
and the safe way, for the day-two changes a user makes (namePrefix, the dead-letter queue off, log retention
shortened, a schedule's expression, permissions, a task definition replaced, an alarm, a role, a job removed or
renamed: day_two.py). Derived from the upgrade check's classification (upgrade_check.py), so the words and
the check agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from components.model.resource_graph import Graph, GraphResource
from components.model.schedule import parse_schedule
from components.model.upgrade_check import Change, UpgradeReport


@dataclass(frozen=True)
class ChangeWords:
    lines: tuple[str, ...]
    refusals: tuple[str, ...]  # changes that cannot succeed, or need a confirmation first: the plan exits 1


def _short(identity: str) -> str:
    return identity.split("::")[-1]


def _next_runs(expression: str, timezone: str, now: datetime) -> str:
    schedule = parse_schedule(expression)
    if schedule.rate_seconds is not None:
        # Only a schedule deployed by an earlier release is still a rate (this one deploys rates as crons:
        # rate_slots.py): without a start date it "starts invoking the target immediately" (Scheduler user guide,
        # "Schedule types"), so its runs carry the moment it was created or last updated, which no plan knows.
        return f"{schedule.describe()} from when Scheduler created or last updated it (not known offline)"
    runs = schedule.next_runs(timezone, 3, now)
    return ", ".join(run.strftime("%Y-%m-%d %H:%M") for run in runs) or "none"


def describe_changes(
    report: UpgradeReport,
    before: Graph,
    after: Graph,
    now: datetime,
    accepted: frozenset[str] = frozenset(),
) -> ChangeWords:
    """Words per resource change (the jobs removed, added and renamed are day_two.job_changes'); `accepted`
    holds the confirmations given (e.g. "dlq-off")."""
    old, new = before.by_identity(), after.by_identity()
    lines: list[str] = []
    refusals: list[str] = []
    by_action: dict[str, list[Change]] = {}
    for change in report.changes:
        by_action.setdefault(change.action, []).append(change)

    prefix = _prefix_change(report, old, new)
    if prefix is not None:
        refusals.append(prefix)
        return ChangeWords((prefix,), tuple(refusals))

    for change in report.changes:
        resource_before = old.get(change.renamed_from or change.identity)
        resource_after = new.get(change.identity)
        line = _words(change, resource_before, resource_after, now)
        if line:
            lines.append(line)
    dlq = [c for c in by_action.get("forget", []) if c.type == "aws:sqs/queue:Queue"]
    if dlq and "dlq-off" not in accepted:
        refusals.append(
            f"the dead-letter queue {_short(dlq[0].identity)} may hold starts Scheduler could not deliver: run "
            "`jobctl dlq list` (replay or note them); when it shows none, run the plan again with --accept dlq-off"
        )
    lines += [f"UNSAFE: {problem}" for problem in report.problems]
    return ChangeWords(tuple(lines), tuple(refusals) + tuple(f"unsafe: {p}" for p in report.problems))


def _prefix_change(report: UpgradeReport, old: dict[str, GraphResource], new: dict[str, GraphResource]) -> str | None:
    for change in report.changes:
        if change.type == "aws:dynamodb/table:Table" and change.action == "replace" and "name" in change.fields:
            was = old[change.renamed_from or change.identity].inputs.get("name")
            now = new[change.identity].inputs.get("name")
            return (
                f"namePrefix changed (lock table {was} -> {now}): every physical name changes, so every resource "
                "would be replaced; the lock table is protected, so `pulumi preview` fails and nothing is changed. "
                "A new prefix is a new stack: `pulumi stack init`, deploy it, then destroy the old one"
            )
    return None


def _words(change: Change, before: GraphResource | None, after: GraphResource | None, now: datetime) -> str | None:
    kind, name = change.type, _short(change.identity)
    if kind == "aws:sqs/queue:Queue" and change.action == "forget":
        return (
            f"dead-letter queue {name} leaves the stack, kept in AWS with its messages (retain_on_delete); "
            "starts Scheduler cannot deliver from now on are dropped after its retries"
        )
    if kind == "aws:cloudwatch/metricAlarm:MetricAlarm" and change.action == "delete":
        return (
            f"alarm {name} is deleted: nothing watches what it watched, and if it is in ALARM no OK notification "
            "follows; check it first (`aws cloudwatch describe-alarms --alarm-names ...`) and tell its recipients"
        )
    if kind == "aws:cloudwatch/logGroup:LogGroup" and change.action == "update" and before and after:
        was, now_days = before.inputs.get("retentionInDays"), after.inputs.get("retentionInDays")
        # Pulumi's wire format carries numbers as floats (protobuf Struct): 14 arrives as 14.0.
        if isinstance(was, int | float) and isinstance(now_days, int | float) and now_days < was:
            return (
                f"log group {after.inputs.get('name')}: retention {was:g} -> {now_days:g} days: CloudWatch Logs "
                f"deletes the events older than {now_days:g} days (PutRetentionPolicy); export what you need first"
            )
        return None
    if kind == "aws:scheduler/schedule:Schedule" and change.action == "update" and before and after:
        return _schedule_words(change, before, after, now)
    if kind == "aws:ecs/taskDefinition:TaskDefinition" and change.action == "replace" and before and after:
        same_family = before.inputs.get("family") == after.inputs.get("family")
        if same_family:
            role = " with a task role" if "taskRoleArn" in change.fields and after.inputs.get("taskRoleArn") else ""
            return (
                f"task definition {after.inputs.get('family')}: a new revision{role} ({', '.join(change.fields)}); a "
                "run in flight keeps its container on the old revision, the next run (and a retry) starts the new "
                "one (RunTask: the latest ACTIVE revision of the family)"
            )
        return None
    if kind == "aws:iam/role:Role" and change.action == "create" and change.job:
        return (
            f"job {change.job} gets its own task role {after.inputs.get('name') if after else name} (permissions added)"
        )
    if kind == "aws:iam/role:Role" and change.action in ("delete", "replace"):
        return (
            f"role {before.inputs.get('name') if before else name} is {change.action}d: a run in flight that uses "
            "it is denied its next call; keep it one release (see the upgrade check below)"
        )
    return None


def _schedule_words(change: Change, before: GraphResource, after: GraphResource, now: datetime) -> str | None:
    was, new = before.inputs.get("scheduleExpression"), after.inputs.get("scheduleExpression")
    if (
        not isinstance(was, str)
        or not isinstance(new, str)
        or (was == new and "scheduleExpressionTimezone" not in change.fields)
    ):
        return None
    if change.identity.endswith("-watch"):
        return None  # the watch mirrors the job's schedule; one line says it
    tz_before = str(before.inputs.get("scheduleExpressionTimezone") or "UTC")
    tz_after = str(after.inputs.get("scheduleExpressionTimezone") or "UTC")
    return (
        f"job {change.job}: schedule {was} ({tz_before}) -> {new} ({tz_after}): next runs before "
        f"{_next_runs(was, tz_before, now)}; after {_next_runs(new, tz_after, now)}; a run in flight finishes on "
        "the old definition"
    )
