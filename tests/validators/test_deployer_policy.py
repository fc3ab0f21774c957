"""The deploying identity's policy (`build/<stack>/deployer.policy.json`) allows every call preview and up make
for the stack's resources (tests/support/deployer_calls.py, from the provider's source) and none against
another stack, as evaluated by the IAM simulator; and it fits a managed policy."""

from __future__ import annotations

import json
from typing import Any

import plan
from components.documents.deployer import deployer_key_policy, deployer_policy
from components.model.arns import AwsEnv
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
    key = deployer_key_policy(stack.config, ENV, stack.stack)
    return [deployer_policy(stack.config, ENV, stack.stack), *([key] if key else [])]


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
