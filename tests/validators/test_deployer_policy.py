"""The deploying identity's policy (`build/<stack>/deployer.policy.json`) allows every call preview and up make
for the stack's resources (tests/support/deployer_calls.py, from the provider's source) and none against
another stack, as evaluated by the IAM simulator; and it fits a managed policy."""

from __future__ import annotations

import json
from typing import Any

import plan
from components.documents.deployer import deployer_policy
from components.model.arns import AwsEnv
from tests.support.deployer_calls import Call, foreign_calls, stack_calls
from tests.support.iam_simulator import Outcome, Request, simulate

ENV = AwsEnv("aws", "eu-central-1", "123456789012")
DEPLOYER = "arn:aws:iam::123456789012:role/github-deploy"
MANAGED_POLICY_CHARACTERS = 6144  # IAM quotas: managed policy size, whitespace not counted


def _simulate(policy: dict[str, Any], calls: list[Call]) -> list[Outcome]:
    cases = [(Request(DEPLOYER, c.action, c.resource, dict(c.context)), [policy], None) for c in calls]
    return simulate(cases)


def test_the_deployer_may_make_every_call_of_preview_and_up() -> None:
    stack = plan.load("dev")
    policy = deployer_policy(stack.config, ENV)
    calls = stack_calls(stack, ENV)
    wrong = [
        f"{c.action} on {c.resource} {dict(c.context)} ({c.source}): {o.result} {'; '.join(o.errors)}"
        for c, o in zip(calls, _simulate(policy, calls), strict=True)
        if not o.allowed
    ]
    assert not wrong, "\n".join(wrong)


def test_the_deployer_may_not_touch_another_stack_or_pass_other_roles() -> None:
    stack = plan.load("dev")
    calls = foreign_calls(stack, ENV)
    outcomes = _simulate(deployer_policy(stack.config, ENV), calls)
    wrong = [
        f"{c.action} on {c.resource} ({c.source}): {o.result} {o.errors}"
        for c, o in zip(calls, outcomes, strict=True)
        if not o.denied
    ]
    assert not wrong, "\n".join(wrong)


def test_every_statement_is_needed_by_some_call() -> None:
    stack = plan.load("dev")
    policy = deployer_policy(stack.config, ENV)
    calls = stack_calls(stack, ENV)
    survivors = []
    for index, statement in enumerate(policy["Statement"]):
        reduced = {**policy, "Statement": [s for i, s in enumerate(policy["Statement"]) if i != index]}
        if all(o.allowed for o in _simulate(reduced, calls)):
            survivors.append(statement["Sid"])
    assert not survivors, f"no call needs: {survivors}"


def test_the_deployer_policy_fits_a_managed_policy() -> None:
    policy = deployer_policy(plan.load("dev").config, ENV)
    assert len(json.dumps(policy, separators=(",", ":"))) <= MANAGED_POLICY_CHARACTERS
