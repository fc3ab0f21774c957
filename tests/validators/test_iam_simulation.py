"""Every AWS request each role of the stack makes is allowed, and the ones it must not make are refused, as
evaluated by an independent IAM simulator (@cloud-copilot/iam-simulate, with AWS's authorization data) against
the rendered policies and trust policies; and every statement is needed: deleting any one fails a request.

The requests come from tests/support/aws_requests.py (read off the states, with the AWS sources there)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

import plan
from components.documents.rendered import rendered_documents
from components.loading.stack import load_stack
from components.model.arns import AwsEnv
from components.model.stack import Stack
from tests.support.aws_requests import Expected, stack_requests, trust_requests
from tests.support.fleets import fleet_config, write_fleet
from tests.support.iam_simulator import Case, Outcome, simulate
from tests.support.pulumi_mocks import ACCOUNT, BASE_CONFIG

ENV = AwsEnv("aws", "eu-central-1", ACCOUNT)
# Policies with their own checks, not read off a role of the stack: the deploying identity's
# (test_deployer_policy.py), the preview identity's (test_ci_identities.py) and jobctl's, operator and reader
# (test_operator_policy.py).
# The deploying identity's managed policies are deployer.policy.json, deployer-2.policy.json ... (deployer.py).
DEPLOYER_FILES = "deployer*.policy.json"
OWN_CHECKS = {
    "previewer.policy.json",
    "operator.policy.json",
    "reader.policy.json",
}
# Key policies, with their own checks (test_topic_key_simulation.py): who may use the alert topic's key.
KEY_POLICIES = {"shared/alarm-topic-key.policy.json"}
TOPIC = "arn:aws:sns:eu-central-1:123456789012:ops-alarms"
KEY = "arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-12ab-34cd-56ef-1234567890ab"
REPOSITORY = {"scheduled-jobs:githubRepository": "octo-org/scheduled-jobs"}
SECRET = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/db-Ab12Cd"
VARIANTS = {
    "forbid": f'schedule="cron(0 6 * * ? *)", secrets={{"DB": "{SECRET}", "KEY": "/app/key"}}',
    "replace": 'schedule="rate(1 hour)", concurrency="replace"',
    "allow": 'schedule="rate(1 hour)", concurrency="allow"',
    "spot": 'schedule="rate(1 hour)", capacity="spot", retries=1',
    "manual": "",
    "with_permissions": (
        'permissions=[{"actions": ["s3:PutObject", "s3:Get*"], "resources": ["arn:aws:s3:::reports/*"]},'
        ' {"actions": ["sqs:SendMessage"], "resources": ["arn:aws:sqs:eu-central-1:123456789012:out"]}]'
    ),
    "other_permissions": (
        'permissions=[{"actions": ["sns:Publish"], "resources": ["arn:aws:sns:eu-central-1:123456789012:t"]}]'
    ),
    # One statement for a bucket and its objects, as users write it: each action is asked about on the resource
    # type it takes (ListBucket on the bucket, GetObject on an object), never on the other.
    "bucket_and_objects": (
        'permissions=[{"actions": ["s3:GetObject", "s3:ListBucket"],'
        ' "resources": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]}, {"actions": ["dynamodb:*"],'
        ' "resources": ["arn:aws:dynamodb:eu-central-1:123456789012:table/orders"]}]'
    ),
}


def _variants_stack(tmp_path: Path, config: dict[str, Any]) -> Stack:
    jobs = tmp_path / "jobs"
    jobs.mkdir(parents=True)
    for name, fields in VARIANTS.items():
        extra = f", {fields}" if fields else ""
        (jobs / f"{name}.py").write_text(
            f'from components import Job\n\njob = Job(command=["run"], timeout="30m"{extra})\n'
        )
    return load_stack(jobs, config, "scheduled-jobs", "sim", "Pulumi.sim.yaml")


def _stacks(tmp_path: Path) -> dict[str, Stack]:
    existing_cluster = {
        **{key: value for key, value in BASE_CONFIG.items() if key != "scheduled-jobs:alarmEmails"},
        "scheduled-jobs:clusterArn": "arn:aws:ecs:eu-central-1:123456789012:cluster/shared",
        # A topic of another team's, encrypted with its customer managed key.
        "scheduled-jobs:alarmTopicArn": TOPIC,
        "scheduled-jobs:alarmTopicKmsKeyArn": KEY,
    }
    no_queue = {
        **BASE_CONFIG,
        "scheduled-jobs:scheduleDeadLetterQueue": False,
        # GitHub's immutable subject form ("OpenID Connect reference"), for repositories created after 2026-07-15.
        "scheduled-jobs:githubRepository": "octo-org@123456/scheduled-jobs@456789",
    }
    # Jobs with secrets of their own past one execution role's policy: each role must read its jobs' secrets and
    # no other role's (components/documents/execution_roles.py).
    write_fleet(tmp_path / "d" / "jobs", 30, 4)
    fleet = load_stack(tmp_path / "d" / "jobs", fleet_config(), "scheduled-jobs", "fleet", "Pulumi.fleet.yaml")
    return {
        "dev": plan.load("dev"),
        "own-secrets-fleet": fleet,
        # The stack's own topic, encrypted with the key the stack creates.
        "variants": _variants_stack(
            tmp_path / "a", {**BASE_CONFIG, **REPOSITORY, "scheduled-jobs:encryptAlarmTopic": True}
        ),
        "existing-cluster": _variants_stack(tmp_path / "b", existing_cluster),
        "no-dead-letter-queue": _variants_stack(tmp_path / "c", no_queue),
    }


def _cases(expected: Sequence[Expected], documents: dict[str, dict[str, Any]]) -> list[Case]:
    cases: list[Case] = []
    for item in expected:
        document = documents.get(item.document)
        if item.document.endswith(".trust.json"):
            cases.append((item.request, [], document))
        else:
            cases.append((item.request, [document] if document is not None else [], item.resource_policy))
    return cases


def _wrong(expected: Sequence[Expected], outcomes: Sequence[Outcome]) -> list[str]:
    wrong = []
    for item, outcome in zip(expected, outcomes, strict=True):
        request = item.request
        said = f"{outcome.result}{' ' + '; '.join(outcome.errors) if outcome.errors else ''}"
        if outcome.errors or outcome.allowed != item.allowed:
            wrong.append(
                f"{item.document}: {request.action} on {request.resource} {dict(request.context)} "
                f"[{item.why}]: expected {'Allowed' if item.allowed else 'denied'}, simulator said {said}"
            )
    return wrong


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, dict[str, Any]], list[Expected]]]:
    result = {}
    for name, stack in _stacks(tmp_path_factory.mktemp("stacks")).items():
        documents = rendered_documents(stack, ENV)
        result[name] = (documents, stack_requests(stack, documents, ENV) + trust_requests(stack, ENV))
    return result


def test_every_role_may_make_its_requests_and_none_it_must_not(rendered: Any) -> None:
    wrong = []
    for name, (documents, expected) in rendered.items():
        wrong += [f"{name}: {line}" for line in _wrong(expected, simulate(_cases(expected, documents)))]
    assert not wrong, "\n".join(wrong)


def test_every_policy_and_trust_policy_of_the_stack_is_checked(rendered: Any) -> None:
    for name, (documents, expected) in rendered.items():
        checked = {item.document for item in expected}
        rendered = {path for path in documents if path.endswith((".policy.json", ".trust.json"))}
        policies = {path for path in rendered - OWN_CHECKS - KEY_POLICIES if not fnmatch(path, DEPLOYER_FILES)}
        assert policies <= checked, f"{name}: no requests for {sorted(policies - checked)}"


def _without_statement(document: dict[str, Any], index: int) -> dict[str, Any]:
    mutated = copy.deepcopy(document)
    del mutated["Statement"][index]
    return mutated


def _without_conditions(document: dict[str, Any]) -> dict[str, Any]:
    mutated = copy.deepcopy(document)
    for statement in mutated["Statement"]:
        statement.pop("Condition", None)
    return mutated


def test_deleting_any_statement_or_any_condition_fails_a_request(rendered: Any) -> None:
    """The check above cannot pass by accident: each statement allows a request nothing else does, and each
    condition refuses a request that would otherwise pass (one mutation at a time)."""
    documents, expected = rendered["variants"]
    mutations: list[tuple[str, dict[str, dict[str, Any]], list[Expected]]] = []
    for path, document in documents.items():
        if (
            not path.endswith((".policy.json", ".trust.json"))
            or path in OWN_CHECKS | KEY_POLICIES
            or fnmatch(path, DEPLOYER_FILES)
        ):
            continue
        own = [item for item in expected if item.document == path]
        for index, statement in enumerate(document["Statement"]):
            label = f"{path} without statement {statement.get('Sid', index)}"
            mutations.append((label, {**documents, path: _without_statement(document, index)}, own))
        if any("Condition" in statement for statement in document["Statement"]):
            mutations.append(
                (f"{path} without its conditions", {**documents, path: _without_conditions(document)}, own)
            )
    cases = [case for _, docs, own in mutations for case in _cases(own, docs)]
    outcomes = iter(simulate(cases))
    survived = [label for label, _, own in mutations if not _wrong(own, [next(outcomes) for _ in own])]
    assert not survived, "no request noticed:\n" + "\n".join(survived)
