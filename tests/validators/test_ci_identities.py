"""The two identities CI uses (components/documents/ci_identities.py), evaluated by the IAM simulator: the preview
role may make every read `pulumi preview` with refresh makes and no write; the deploy role's policy cannot reach
the CI roles themselves; each condition of their trust policies is needed. Who may assume which role is checked
with the stack's other trust policies (test_iam_simulation.py, requests in tests/support/aws_requests.py)."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

import plan
from components.documents.ci_identities import deploy_trust, preview_policy, preview_trust
from components.documents.deployer import deployer_policies
from components.model.arns import AwsEnv
from components.model.config import StackConfig
from tests.support.aws_requests import (
    CI_PREVIEW_ROLE,
    OIDC_KEYS,
    Expected,
    ci_deploy_role,
    ci_trust_requests,
    github_token,
)
from tests.support.deployer_calls import Call, resource_policy, stack_calls
from tests.support.iam_simulator import Outcome, Request, access_levels, simulate
from tests.support.pulumi_mocks import BASE_CONFIG

ENV = AwsEnv("aws", "eu-central-1", "123456789012")
PREVIEWER = "arn:aws:iam::123456789012:role/ci/scheduled-jobs-preview"
MANAGED_POLICY_CHARACTERS = 6144  # IAM quotas: managed policy size, whitespace not counted
READ_LEVELS = ("Read", "List")  # Service Authorization Reference, "Access levels"
# The writes the issue names; each must be among the calls the preview role is refused.
NAMED_WRITES = {"states:CreateStateMachine", "iam:PassRole", "iam:PutRolePolicy", "dynamodb:DeleteTable"}


def _outcomes(policy: dict[str, Any], calls: list[Call]) -> list[Outcome]:
    return simulate(
        [(Request(PREVIEWER, c.action, c.resource, dict(c.context)), [policy], resource_policy(c, ENV)) for c in calls]
    )


@pytest.fixture(scope="module")
def dev() -> tuple[StackConfig, list[Call], dict[str, str | None]]:
    stack = plan.load("dev")
    calls = stack_calls(stack, ENV)
    return stack.config, calls, access_levels([c.action for c in calls])


def _reads(calls: list[Call], levels: dict[str, str | None]) -> list[Call]:
    return [c for c in calls if levels[c.action] in READ_LEVELS]


def test_the_preview_role_may_make_every_read_of_preview_with_refresh(dev: Any) -> None:
    config, calls, levels = dev
    reads = _reads(calls, levels)
    assert {"states:DescribeStateMachine", "iam:GetRolePolicy", "dynamodb:DescribeTable"} <= {c.action for c in reads}
    wrong = [
        f"{c.action} on {c.resource} ({c.source}): {o.result} {'; '.join(o.errors)}"
        for c, o in zip(reads, _outcomes(preview_policy(config, ENV, "dev"), reads), strict=True)
        if not o.allowed
    ]
    assert not wrong, "\n".join(wrong)


def test_the_preview_role_may_not_write(dev: Any) -> None:
    config, calls, levels = dev
    writes = [c for c in calls if levels[c.action] not in READ_LEVELS]
    assert NAMED_WRITES <= {c.action for c in writes}
    wrong = [
        f"{c.action} on {c.resource}: {o.result} {'; '.join(o.errors)}"
        for c, o in zip(writes, _outcomes(preview_policy(config, ENV, "dev"), writes), strict=True)
        if not o.denied
    ]
    assert not wrong, "\n".join(wrong)


def test_every_action_of_the_preview_policy_is_a_read_in_aws_data(dev: Any) -> None:
    config, _, _ = dev
    actions = [a for statement in preview_policy(config, ENV, "dev")["Statement"] for a in statement["Action"]]
    levels = access_levels(actions)
    assert {a: level for a, level in levels.items() if level not in READ_LEVELS} == {}


def test_every_statement_of_the_preview_policy_is_needed_by_some_read(dev: Any) -> None:
    config, calls, levels = dev
    policy, reads = preview_policy(config, ENV, "dev"), _reads(calls, levels)
    statements = policy["Statement"]
    reduced = [{**policy, "Statement": statements[:i] + statements[i + 1 :]} for i in range(len(statements))]
    cases = [
        (Request(PREVIEWER, c.action, c.resource, dict(c.context)), [r], resource_policy(c, ENV))
        for r in reduced
        for c in reads
    ]
    outcomes = iter(simulate(cases))  # one batch: every read against the policy without each statement in turn
    survivors = [s["Sid"] for s in statements if all([next(outcomes).allowed for _ in reads])]
    assert not survivors, f"no read needs: {survivors}"


def test_the_preview_policy_fits_a_managed_policy(dev: Any) -> None:
    config, _, _ = dev
    assert len(json.dumps(preview_policy(config, ENV, "dev"), separators=(",", ":"))) <= MANAGED_POLICY_CHARACTERS


@pytest.mark.parametrize("prefix", ["dev", "ci", "scheduled"])
def test_no_stack_deploy_role_can_rewrite_or_pass_a_ci_role(prefix: str) -> None:
    """The CI roles live under the IAM path /ci/; a stack's deploy policy manages roles `<prefix>-*`, and a
    prefix has no `/`, so not even a stack named `ci` or `scheduled` may change who assumes them."""
    config = StackConfig.model_validate({**_config(), "namePrefix": prefix})
    deployer = f"arn:aws:iam::123456789012:role/{ci_deploy_role(prefix)}"
    policies = deployer_policies(config, ENV, prefix)
    control = (Request(deployer, "iam:PutRolePolicy", ENV.role_arn(f"{prefix}-x"), {}), policies, None)
    cases = [
        (Request(deployer, action, ENV.role_arn(role), {}), policies, None)
        for role in (CI_PREVIEW_ROLE, ci_deploy_role(prefix), ci_deploy_role("prod"))
        for action in ("iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRole", "iam:TagRole")
    ]
    allowed, *outcomes = simulate([control, *cases])
    assert allowed.allowed, "the control: the deploy policy does change the stack's own roles"
    wrong = [
        f"{case[0].action} on {case[0].resource}: {o.result}"
        for case, o in zip(cases, outcomes, strict=True)
        if not o.denied
    ]
    assert not wrong, "\n".join(wrong)


def _config() -> dict[str, Any]:
    return {
        "region": "eu-central-1",
        "image": BASE_CONFIG["scheduled-jobs:image"],
        "subnets": BASE_CONFIG["scheduled-jobs:subnets"],
        "securityGroups": BASE_CONFIG["scheduled-jobs:securityGroups"],
        "namePrefix": "dev",
        "githubRepository": "octo-org/scheduled-jobs",
    }


def _without_key(document: dict[str, Any], key: str) -> dict[str, Any]:
    mutated = copy.deepcopy(document)
    del mutated["Statement"][0]["Condition"]["StringEquals"][key]
    return mutated


def test_each_condition_of_the_ci_trust_policies_refuses_a_token_on_its_own() -> None:
    """Dropping only the audience, or only the subject, from either trust policy lets some refused token in."""
    stack = dataclasses.replace(plan.load("dev"), config=StackConfig.model_validate(_config()))
    expected = ci_trust_requests(stack, ENV)
    documents = {
        "deployer.trust.json": deploy_trust(ENV, "octo-org/scheduled-jobs", "dev"),
        "previewer.trust.json": preview_trust(ENV, "octo-org/scheduled-jobs"),
    }

    def wrong(docs: dict[str, dict[str, Any]]) -> list[Expected]:
        outcomes = simulate([(e.request, [], docs[e.document]) for e in expected])
        return [e for e, o in zip(expected, outcomes, strict=True) if o.errors or o.allowed != e.allowed]

    assert wrong(documents) == []
    for path, document in documents.items():
        for key in OIDC_KEYS:
            assert wrong({**documents, path: _without_key(document, key)}), f"{path} without {key}: nothing noticed"


def test_the_driver_insists_the_unlisted_keys_are_exactly_the_ones_aws_data_lacks() -> None:
    """The OIDC keys bypass the simulator's key check only when declared, and only while AWS's data lacks them."""
    trust = preview_trust(ENV, "octo-org/scheduled-jobs")
    token = github_token(ENV, CI_PREVIEW_ROLE, "repo:octo-org/scheduled-jobs:pull_request")
    undeclared = Request(token.principal, token.action, token.resource, token.context)
    listed = Request(
        token.principal,
        token.action,
        token.resource,
        {**token.context, "aws:SourceAccount": "123456789012"},
        unlisted_keys=(*OIDC_KEYS, "aws:SourceAccount"),
    )
    good, bare, stale = simulate([(token, [], trust), (undeclared, [], trust), (listed, [], trust)])
    assert good.allowed
    assert bare.result == "ImplicitlyDenied" and len(bare.errors) == 2  # both keys dropped, each reported
    assert any("aws:SourceAccount is declared unlisted" in error for error in stale.errors)
