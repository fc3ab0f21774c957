"""Security Hub's AWS Foundational Security Best Practices (FSBP) controls that apply to what a stack deploys,
evaluated offline on the validated stack, as cdk-nag does for a CDK app: one table of controls, each citing its
page in the Security Hub user guide, and per control the resources that pass or fail and the setting that
decides it. A finding may be accepted only with a written reason (the stack's `acceptedFindings`, a job's
`accepted_findings`), which the plan repeats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from components.model.aws_constants import SECURITY_HUB_CONTROLS
from components.model.stack import Stack, StackJob

GUIDE = "https://docs.aws.amazon.com/securityhub/latest/userguide"


@dataclass(frozen=True)
class Finding:
    """One resource that fails a control: what it is, and what setting would change it."""

    resource: str
    fix: str
    job: StackJob | None = None


@dataclass(frozen=True)
class Control:
    """A control: its id, what it checks, its page, and a check that returns None when it does not apply to the
    stack (nothing of its resource type is created), else the findings (empty: it passes)."""

    id: str
    title: str
    page: str
    check: Callable[[Stack], list[Finding] | None]

    @property
    def url(self) -> str:
        return f"{GUIDE}/{self.page}"


def _jobs_without(stack: Stack, field: str, fix: str) -> list[Finding]:
    return [Finding(f"job {job.name} ({job.source})", fix, job) for job in stack.jobs if not getattr(job.spec, field)]


def _topic_encrypted(stack: Stack) -> list[Finding] | None:
    config = stack.config
    if config.alarm_topic_arn is not None:
        return None  # the topic is its owner's
    if config.encrypt_alarm_topic or config.alarm_topic_kms_key_arn:
        return []
    return [Finding(f"topic {config.name_prefix}-job-alarms", "set scheduled-jobs:encryptAlarmTopic: true")]


def _delivery_status(stack: Stack) -> list[Finding] | None:
    if stack.config.alarm_topic_arn is not None:
        return None
    fix = "not built here (e-mail, the stack's own subscriptions, has no delivery-status logging); accept it"
    return [Finding(f"topic {stack.config.name_prefix}-job-alarms", fix)]


def _container_insights(stack: Stack) -> list[Finding] | None:
    if stack.config.cluster_arn is not None:
        return None  # the cluster is its owner's
    if stack.config.container_insights != "disabled":
        return []
    return [Finding(f"cluster {stack.config.name_prefix}-jobs", "set scheduled-jobs:containerInsights: enabled")]


def _retention(stack: Stack) -> list[Finding] | None:
    days = stack.config.log_retention_days
    if days >= 365:
        return []
    return [Finding(f"log groups ({days} days)", "set scheduled-jobs:logRetentionDays: 365 or more (more log storage)")]


CONTROLS: tuple[Control, ...] = (
    Control("DynamoDB.2", "point-in-time recovery", "dynamodb-controls.html#dynamodb-2", lambda s: []),
    Control("DynamoDB.6", "deletion protection", "dynamodb-controls.html#dynamodb-6", lambda s: []),
    Control(
        "ECS.5",
        "read-only root filesystem",
        "ecs-controls.html#ecs-5",
        lambda s: _jobs_without(
            s,
            "read_only_root_filesystem",
            "set read_only_root_filesystem=True, or scheduled-jobs:readOnlyRootFilesystem",
        ),
    ),
    # Jobs with credential names in `environment` are refused (components/model/spec.py).
    Control("ECS.8", "no credentials in environment variables", "ecs-controls.html#ecs-8", lambda s: []),
    Control("ECS.9", "a logging configuration", "ecs-controls.html#ecs-9", lambda s: []),
    Control("ECS.12", "Container Insights", "ecs-controls.html#ecs-12", _container_insights),
    Control(
        "ECS.20",
        "a non-root user",
        "ecs-controls.html#ecs-20",
        lambda s: _jobs_without(s, "user", "set user='1000' (a non-root user), or scheduled-jobs:user"),
    ),
    Control(
        "KMS.4",
        "key rotation",
        "kms-controls.html#kms-4",
        lambda s: [] if s.config.encrypt_alarm_topic else None,
    ),
    Control("SNS.1", "encrypted with KMS", "sns-controls.html#sns-1", _topic_encrypted),
    Control("SNS.2", "delivery-status logging", "sns-controls.html#sns-2", _delivery_status),
    # The schedules' dead-letter queue has SQS-managed server-side encryption.
    Control(
        "SQS.1",
        "encrypted at rest",
        "sqs-controls.html#sqs-1",
        lambda s: [] if s.config.schedule_dead_letter_queue else None,
    ),
    # Every state machine logs its executions (level ALL) to the stack's log group.
    Control("StepFunctions.1", "logging", "stepfunctions-controls.html#stepfunctions-1", lambda s: []),
    # In Security Hub's NIST SP 800-53 standard, not FSBP; listed because security teams run both.
    Control(
        "CloudWatch.16", "log retention of a year (NIST 800-53)", "cloudwatch-controls.html#cloudwatch-16", _retention
    ),
)
assert tuple(c.id for c in CONTROLS) == SECURITY_HUB_CONTROLS, "one list of the controls a finding may name"


@dataclass(frozen=True)
class Outcome:
    control: Control
    findings: list[Finding]  # not accepted
    accepted: list[tuple[Finding, str]]  # with the written reason
    applies: bool


def evaluate(stack: Stack) -> list[Outcome]:
    """Every control for the stack: its findings, less those a job or the stack accepts with a reason."""
    outcomes = []
    for control in CONTROLS:
        found = control.check(stack)
        if found is None:
            outcomes.append(Outcome(control, [], [], applies=False))
            continue
        open_findings, accepted = [], []
        for finding in found:
            own = finding.job.spec.accepted_findings.get(control.id) if finding.job is not None else None
            reason = own or stack.config.accepted_findings.get(control.id)
            if reason:
                accepted.append((finding, reason))
            else:
                open_findings.append(finding)
        outcomes.append(Outcome(control, open_findings, accepted, applies=True))
    return outcomes


def summary(stack: Stack) -> list[str]:
    """What the plan prints: the count per state, then each finding and each accepted one with its reason."""
    outcomes = evaluate(stack)
    passed = sum(1 for o in outcomes if o.applies and not o.findings and not o.accepted)
    failed = [o for o in outcomes if o.findings]
    accepted = [o for o in outcomes if o.accepted and not o.findings]
    inapplicable = sum(1 for o in outcomes if not o.applies)
    lines = [
        f"Security Hub controls (FSBP, and CloudWatch.16 of NIST 800-53) for stack {stack.stack}: {passed} pass, "
        f"{len(failed)} with findings, {len(accepted)} accepted, {inapplicable} not applicable "
        "(docs/security.md#security-hub-controls)"
    ]
    for outcome in outcomes:
        control = outcome.control
        for finding in outcome.findings:
            lines.append(f"finding: {control.id} ({control.title}): {finding.resource}: {finding.fix} [{control.url}]")
        for finding, reason in outcome.accepted:
            lines.append(f"accepted: {control.id} ({control.title}): {finding.resource}: {reason}")
    return lines
