"""The plan's security team's view (components/documents/security_controls.py): for each Security Hub control
the stack's resources that pass or fail it, the setting that decides it, and a finding accepted only with its
written reason, in the words plan.py prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import plan
from components.documents.security_controls import CONTROLS, evaluate, summary
from components.loading.stack import load_stack
from components.model.errors import InvalidSetup
from components.model.stack import Stack
from tests.support.pulumi_mocks import BASE_CONFIG

P = "scheduled-jobs:"
STRICT = {
    P + "user": "1000",
    P + "readOnlyRootFilesystem": True,
    P + "encryptAlarmTopic": True,
    P + "logRetentionDays": 365,
    P + "acceptedFindings": {"SNS.2": "e-mail subscriptions have no delivery-status logging"},
}
WITHOUT_EMAILS = {k: v for k, v in BASE_CONFIG.items() if k != P + "alarmEmails"}
GUIDE = "https://docs.aws.amazon.com/securityhub/latest/userguide"


def _stack(tmp_path: Path, config: dict[str, Any], job: str = "") -> Stack:
    jobs = tmp_path / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    (jobs / "report.py").write_text(f'from components import Job\n\njob = Job(command=["run"], timeout="30m"{job})\n')
    return load_stack(jobs, config, "scheduled-jobs", "sec", "Pulumi.sec.yaml")


def _findings(stack: Stack) -> dict[str, list[str]]:
    return {o.control.id: [f.resource for f in o.findings] for o in evaluate(stack) if o.findings}


def test_a_strict_stack_has_no_finding_but_the_one_it_accepts_with_its_reason(tmp_path: Path) -> None:
    stack = _stack(tmp_path, {**BASE_CONFIG, **STRICT})
    assert _findings(stack) == {}
    lines = summary(stack)
    assert lines[0].startswith("Security Hub controls (FSBP, and CloudWatch.16 of NIST 800-53) for stack sec: ")
    assert "12 pass, 0 with findings, 1 accepted, 0 not applicable" in lines[0]
    assert lines[1:] == [
        "accepted: SNS.2 (delivery-status logging): topic test-job-alarms: e-mail subscriptions have no "
        "delivery-status logging"
    ]


def test_defaults_name_each_finding_with_its_resource_the_setting_and_the_control_page(tmp_path: Path) -> None:
    stack = _stack(tmp_path, BASE_CONFIG)
    assert _findings(stack) == {
        "ECS.5": ["job report (jobs/report.py)"],
        "ECS.20": ["job report (jobs/report.py)"],
        "SNS.1": ["topic test-job-alarms"],
        "SNS.2": ["topic test-job-alarms"],
        "CloudWatch.16": ["log groups (30 days)"],
    }
    lines = summary(stack)
    assert "7 pass, 5 with findings, 0 accepted, 1 not applicable" in lines[0]  # KMS.4: no key is created
    assert (
        "finding: ECS.20 (a non-root user): job report (jobs/report.py): set user='1000' (a non-root user), or "
        f"scheduled-jobs:user [{GUIDE}/ecs-controls.html#ecs-20]"
    ) in lines
    assert (
        "finding: SNS.1 (encrypted with KMS): topic test-job-alarms: set scheduled-jobs:encryptAlarmTopic: true "
        f"[{GUIDE}/sns-controls.html#sns-1]"
    ) in lines


@pytest.mark.parametrize(
    ("config", "job", "control", "found"),
    [
        ({}, ", read_only_root_filesystem=True", "ECS.5", False),
        ({}, ', user="app"', "ECS.20", False),
        ({P + "containerInsights": "disabled"}, "", "ECS.12", True),
        ({P + "containerInsights": "enhanced"}, "", "ECS.12", False),
        (
            {
                P + "alarmTopicKmsKeyArn": "arn:aws:kms:eu-central-1:123456789012:key/"
                + "0" * 8
                + "-0000" * 3
                + "-"
                + "0" * 12
            },
            "",
            "SNS.1",
            False,
        ),
        ({P + "logRetentionDays": 400}, "", "CloudWatch.16", False),
    ],
)
def test_each_setting_turns_its_control_from_finding_to_pass_or_back(
    tmp_path: Path, config: dict[str, Any], job: str, control: str, found: bool
) -> None:
    assert (control in _findings(_stack(tmp_path, {**BASE_CONFIG, **config}, job))) is found


def test_what_the_stack_does_not_own_is_not_applicable(tmp_path: Path) -> None:
    config = {
        **WITHOUT_EMAILS,
        P + "alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:ops",
        P + "clusterArn": "arn:aws:ecs:eu-central-1:123456789012:cluster/shared",
        P + "scheduleDeadLetterQueue": False,
    }
    inapplicable = {o.control.id for o in evaluate(_stack(tmp_path, config)) if not o.applies}
    assert inapplicable == {"ECS.12", "KMS.4", "SNS.1", "SNS.2", "SQS.1"}


def test_a_job_accepts_its_own_finding_and_the_plan_repeats_its_reason(tmp_path: Path) -> None:
    job = ', accepted_findings={"ECS.5": "it writes its report next to its binary"}'
    lines = summary(_stack(tmp_path, BASE_CONFIG, job))
    assert (
        "accepted: ECS.5 (read-only root filesystem): job report (jobs/report.py): it writes its report next to "
        "its binary"
    ) in lines
    assert not [line for line in lines if line.startswith("finding: ECS.5")]


@pytest.mark.parametrize(
    ("accepted", "problem"),
    [
        ({"ECS.99": "no such control here"}, "ECS.99: is not a control the plan evaluates; allowed: DynamoDB.2,"),
        ({"SNS.2": "ok"}, "SNS.2: an accepted finding needs a written reason of at least 3 words"),
    ],
)
def test_an_accepted_finding_needs_a_known_control_and_a_reason(
    tmp_path: Path, accepted: dict[str, str], problem: str
) -> None:
    with pytest.raises(InvalidSetup) as raised:
        _stack(tmp_path, {**BASE_CONFIG, P + "acceptedFindings": accepted})
    assert f"scheduled-jobs:acceptedFindings.{problem}" in str(raised.value)
    with pytest.raises(InvalidSetup) as raised:
        _stack(tmp_path / "job", BASE_CONFIG, f", accepted_findings={accepted!r}")
    assert f"jobs/report.py:3: accepted_findings.{problem}" in str(raised.value)


def test_the_shipped_dev_stack_has_no_finding_except_those_it_accepts_with_a_reason() -> None:
    stack = plan.load("dev")
    assert _findings(stack) == {}
    assert {o.control.id for o in evaluate(stack) if o.accepted} == {"SNS.2", "CloudWatch.16"}


def test_every_control_cites_its_security_hub_page() -> None:
    for control in CONTROLS:
        section = control.id.split(".")[0].lower()
        assert control.url == f"{GUIDE}/{section}-controls.html#{control.id.lower().replace('.', '-')}"
