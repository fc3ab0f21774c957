"""The deploying identity's policy (`build/<stack>/deployer.policy.json`) allows every call preview and up make
for the stack's resources (tests/support/deployer_calls.py, from the provider's source) and none against
another stack, as evaluated by the IAM simulator; and it fits a managed policy."""

from __future__ import annotations

import json
from typing import Any

import pytest

import plan
from components.documents.deployer import deployer_policies, deployer_policy_files, deployer_statements
from components.model.arns import AwsEnv
from components.model.config import StackConfig
from components.model.stack import Stack
from tests.support.deployer_calls import Call, foreign_calls, resource_policy, stack_calls
from tests.support.iam_simulator import Outcome, Request, simulate

ENV = AwsEnv("aws", "eu-central-1", "123456789012")
DEPLOYER = "arn:aws:iam::123456789012:role/github-deploy"
MANAGED_POLICY_CHARACTERS = 6144  # IAM quotas: managed policy size, whitespace not counted


def _simulate(policies: list[dict[str, Any]], calls: list[Call]) -> list[Outcome]:
    cases = [
        (Request(DEPLOYER, c.action, c.resource, dict(c.context)), policies, resource_policy(c, ENV)) for c in calls
    ]
    return simulate(cases)


def _policies(stack: Stack) -> list[dict[str, Any]]:
    """The deploying identity's managed policies: the stack's, and its key's when it creates one."""
    return deployer_policies(stack.config, ENV, stack.stack)


def test_the_deployer_may_make_every_call_of_preview_and_up() -> None:
    stack = plan.load("dev")
    assert stack.config.encrypt_alarm_topic  # the dev stack creates its topic's key: its calls are here too
    calls = stack_calls(stack, ENV)
    wrong = [
        f"{c.action} on {c.resource} {dict(c.context)} ({c.source}): {o.result} {'; '.join(o.errors)}"
        for c, o in zip(calls, _simulate(_policies(stack), calls), strict=True)
        if not o.allowed
    ]
    assert not wrong, "\n".join(wrong)


def test_the_deployer_may_not_touch_another_stack_or_pass_other_roles() -> None:
    stack = plan.load("dev")
    calls = foreign_calls(stack, ENV)
    outcomes = _simulate(_policies(stack), calls)
    wrong = [
        f"{c.action} on {c.resource} ({c.source}): {o.result} {o.errors}"
        for c, o in zip(calls, outcomes, strict=True)
        if not o.denied
    ]
    assert not wrong, "\n".join(wrong)


def test_every_statement_is_needed_by_some_call() -> None:
    stack = plan.load("dev")
    policies = _policies(stack)
    calls = stack_calls(stack, ENV)
    survivors = []
    for which, policy in enumerate(policies):
        for index, statement in enumerate(policy["Statement"]):
            reduced = {**policy, "Statement": [s for i, s in enumerate(policy["Statement"]) if i != index]}
            others = [p for i, p in enumerate(policies) if i != which]
            if all(o.allowed for o in _simulate([reduced, *others], calls)):
                survivors.append(statement["Sid"])
    assert not survivors, f"no call needs: {survivors}"


def test_the_deployer_policies_each_fit_a_managed_policy() -> None:
    for policy in _policies(plan.load("dev")):
        assert len(json.dumps(policy, separators=(",", ":"))) <= MANAGED_POLICY_CHARACTERS


def _config(**overrides: Any) -> StackConfig:
    return StackConfig.model_validate(
        {
            "region": "eu-central-1",
            "namePrefix": "dev",
            "image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1.0",
            "subnets": ["subnet-0123456789abcdef0"],
            "securityGroups": ["sg-0123456789abcdef0"],
            **overrides,
        }
    )


NAMED_TOPIC = "arn:aws:sns:eu-central-1:123456789012:a-topic-the-platform-team-owns-for-every-alert-of-the-account"


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"encryptAlarmTopic": True},
        {"alarmTopicArn": NAMED_TOPIC},
        {"alarmTopicArn": NAMED_TOPIC, "namePrefix": "platform-reports-eu-west"},
        {"encryptAlarmTopic": True, "namePrefix": "platform-reports-eu-west"},
    ],
    ids=["plain", "own-key", "named-topic", "named-topic-long-prefix", "own-key-long-prefix"],
)
def test_every_stack_shape_gets_managed_policies_that_fit_and_together_hold_every_statement(
    overrides: dict[str, Any],
) -> None:
    """Whatever a stack's settings add to the deployer (a topic of its own, a key, a long prefix), the statements
    are packed into as many managed policies as IAM's 6,144 characters need, each within it, none lost."""
    config = _config(**overrides)
    policies = deployer_policies(config, ENV, "dev")
    assert all(len(json.dumps(p, separators=(",", ":"))) <= MANAGED_POLICY_CHARACTERS for p in policies)
    packed = [statement for policy in policies for statement in policy["Statement"]]
    assert packed == deployer_statements(config, ENV, "dev")
    together = len(json.dumps({"Version": "2012-10-17", "Statement": packed}, separators=(",", ":")))
    assert len(policies) == (1 if together <= MANAGED_POLICY_CHARACTERS else 2)


def test_the_plan_writes_each_deployer_policy_under_its_own_file() -> None:
    config = _config(alarmTopicArn=NAMED_TOPIC, namePrefix="platform-reports-eu-west")
    files = deployer_policy_files(config, ENV, "dev")
    assert list(files) == ["deployer.policy.json", "deployer-2.policy.json"]
    assert list(files.values()) == deployer_policies(config, ENV, "dev")


def test_the_plan_says_to_attach_every_deployer_policy_and_which_is_new(tmp_path: Any, capsys: Any) -> None:
    """An upgrade that splits the deployer's policy adds a managed policy the deploy role must have before the
    `pulumi up` that needs it: the plan says which, against its last output."""
    out = tmp_path / "build"
    assert plan.main(["--stack", "dev", "--out", str(out), "--no-graph"]) == 0
    first = capsys.readouterr().out
    assert "deploy role: attach all 2 managed policies written (deployer.policy.json, deployer-2.policy.json" in first
    assert "new since the last plan" not in first  # no earlier plan to compare with
    (out / "dev" / "deployer-2.policy.json").unlink()  # as the last release wrote only one
    assert plan.main(["--stack", "dev", "--out", str(out), "--no-graph"]) == 0
    assert "new since the last plan: deployer-2.policy.json: attach before the `pulumi up`" in capsys.readouterr().out
