"""An encrypted alert topic: CloudWatch alarms may use the topic's key with the key policy the stack deploys
(its own key) or the statements plan.py renders for the key's owner (a key the user names), and with no other
key; each machine role's grant reaches that key and no other (tests/validators/test_iam_simulation.py
simulates the roles' requests with the rest of their policies). Evaluated by @cloud-copilot/iam-simulate,
which applies KMS's rule that a key policy must allow a use for IAM policies to count."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.documents.rendered import alert_publisher_roles, rendered_documents
from components.documents.topic_key import CLOUDWATCH, STATEMENTS_FILE, account_key_statement
from components.loading.stack import load_stack
from components.model.arns import AwsEnv
from components.model.config import StackConfig, config_from_values
from components.model.stack import Stack
from tests.support.iam_simulator import Case, Request, simulate
from tests.support.pulumi_mocks import ACCOUNT, BASE_CONFIG, KEY_ID

ENV = AwsEnv("aws", "eu-central-1", ACCOUNT)
NAMED_KEY = "arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-12ab-34cd-56ef-1234567890ab"
OWN_KEY = ENV.arn("kms", f"key/{KEY_ID}")
OTHER_KEY = ENV.arn("kms", "key/9999ffff-12ab-34cd-56ef-1234567890ab")
ROLE_POLICIES = [
    "shared/job-state-machines-role.policy.json",
    "shared/lock-janitor-role.policy.json",
    "shared/slot-watch-role.policy.json",
]
WITHOUT_EMAILS = {key: value for key, value in BASE_CONFIG.items() if key != "scheduled-jobs:alarmEmails"}
STACKS = {
    "own-key": {**BASE_CONFIG, "scheduled-jobs:encryptAlarmTopic": True},
    "own-topic-named-key": {**BASE_CONFIG, "scheduled-jobs:alarmTopicKmsKeyArn": NAMED_KEY},
    "named-topic-named-key": {
        **WITHOUT_EMAILS,
        "scheduled-jobs:alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:ops-alarms",
        "scheduled-jobs:alarmTopicKmsKeyArn": NAMED_KEY,
    },
}


def _stack(tmp_path: Path, config: dict[str, Any]) -> Stack:
    jobs = tmp_path / "jobs"
    jobs.mkdir(parents=True)
    (jobs / "report.py").write_text(
        'from components import Job\n\njob = Job(command=["run"], timeout="30m", schedule="rate(1 hour)")\n'
    )
    return load_stack(jobs, config, "scheduled-jobs", "kms", "Pulumi.kms.yaml")


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _key_policy(name: str, documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The key's policy as deployed: the stack's own, or KMS's default one plus what plan.py tells the owner."""
    if "shared/alarm-topic-key.policy.json" in documents:
        return documents["shared/alarm-topic-key.policy.json"]
    assert name != "own-key"
    return _document(account_key_statement(ENV), *documents[STATEMENTS_FILE]["Statement"])


def _key(name: str) -> tuple[str, dict[str, Any]]:
    """The topic's key and what KMS sees of it in a request (the stack's own key carries the stack's alias)."""
    if name == "own-key":
        return OWN_KEY, {"kms:ResourceAliases": ["alias/test-job-alarms"]}
    return NAMED_KEY, {}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    base = tmp_path_factory.mktemp("kms")
    return {name: rendered_documents(_stack(base / name, config), ENV) for name, config in STACKS.items()}


def _wrong(expected: list[tuple[str, bool]], cases: list[Case]) -> list[str]:
    return [
        f"{what}: expected {'allowed' if allowed else 'denied'}, got {o.result} {'; '.join(o.errors)}"
        for (what, allowed), o in zip(expected, simulate(cases), strict=True)
        if o.allowed != allowed or o.errors
    ]


def _cloudwatch_requests(name: str, key_policy: dict[str, Any]) -> tuple[list[tuple[str, bool]], list[Case]]:
    key, context = _key(name)
    expected: list[tuple[str, bool]] = []
    cases: list[Case] = []
    default = _document(account_key_statement(ENV))
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        cases.append((Request(CLOUDWATCH, action, key, context), [], key_policy))
        expected.append((f"{name}: CloudWatch {action} on the topic's key", True))
        # Another key of the account, whose policy is KMS's default: no service principal may use it.
        cases.append((Request(CLOUDWATCH, action, OTHER_KEY, {}), [], default))
        expected.append((f"{name}: CloudWatch {action} on another key", False))
        cases.append((Request("events.amazonaws.com", action, key, context), [], key_policy))
        expected.append((f"{name}: EventBridge {action} on the topic's key", False))
    return expected, cases


def _role_requests(
    name: str, documents: dict[str, dict[str, Any]], key_policy: dict[str, Any]
) -> tuple[list[tuple[str, bool]], list[Case]]:
    key, context = _key(name)
    other_context = {"kms:ResourceAliases": ["alias/other-stack"]} if context else {}
    default = _document(account_key_statement(ENV))
    expected: list[tuple[str, bool]] = []
    cases: list[Case] = []
    for doc, role in zip(ROLE_POLICIES, alert_publisher_roles(_config(), ENV), strict=True):
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            cases.append((Request(role, action, key, context), [documents[doc]], key_policy))
            expected.append((f"{name}: {doc} {action} on the topic's key", True))
            cases.append((Request(role, action, OTHER_KEY, other_context), [documents[doc]], default))
            expected.append((f"{name}: {doc} {action} on another key", False))
    return expected, cases


def _config() -> StackConfig:
    """The roles are named from the prefix alone; every stack here has BASE_CONFIG's."""
    return StackConfig.model_validate(config_from_values(BASE_CONFIG, "scheduled-jobs", "kms"))


def test_cloudwatch_may_use_the_topics_key_with_the_rendered_statement_and_no_other_key(rendered: Any) -> None:
    expected: list[tuple[str, bool]] = []
    cases: list[Case] = []
    for name, documents in rendered.items():
        more_expected, more_cases = _cloudwatch_requests(name, _key_policy(name, documents))
        expected += more_expected
        cases += more_cases
    assert not (wrong := _wrong(expected, cases)), "\n".join(wrong)


def test_each_machine_role_that_alerts_may_use_the_topics_key_and_no_other(rendered: Any) -> None:
    expected: list[tuple[str, bool]] = []
    cases: list[Case] = []
    for name, documents in rendered.items():
        more_expected, more_cases = _role_requests(name, documents, _key_policy(name, documents))
        expected += more_expected
        cases += more_cases
    assert not (wrong := _wrong(expected, cases)), "\n".join(wrong)


def test_the_owners_statements_alone_let_the_roles_publish_with_a_key_that_does_not_enable_iam_policies(
    rendered: Any,
) -> None:
    """A key whose policy has no statement for the stack's account (another account's key): the roles need the
    rendered role statement there as well as their own grant."""
    documents = rendered["named-topic-named-key"]
    owners = _document(*documents[STATEMENTS_FILE]["Statement"])
    expected, cases = _role_requests("named-topic-named-key", documents, owners)
    assert not (wrong := _wrong(expected, cases)), "\n".join(wrong)
    without_roles = _document(documents[STATEMENTS_FILE]["Statement"][0])
    expected, cases = _role_requests("named-topic-named-key", documents, without_roles)
    assert len(_wrong(expected, cases)) == len(ROLE_POLICIES) * 2  # every publish on the topic's key is refused


def test_each_statement_of_the_stacks_key_policy_is_needed(rendered: Any) -> None:
    documents = rendered["own-key"]
    policy = documents["shared/alarm-topic-key.policy.json"]
    survived = []
    for index, statement in enumerate(policy["Statement"]):
        mutated = copy.deepcopy(policy)
        del mutated["Statement"][index]
        expected, cases = _cloudwatch_requests("own-key", mutated)
        role_expected, role_cases = _role_requests("own-key", documents, mutated)
        if not _wrong(expected + role_expected, cases + role_cases):
            survived.append(statement["Sid"])
    assert not survived, f"no request noticed the key policy without {survived}"


def test_an_unencrypted_topic_gets_no_key_grant_and_no_key_documents(tmp_path: Path) -> None:
    documents = rendered_documents(_stack(tmp_path, BASE_CONFIG), ENV)
    assert not [path for path in documents if "key" in path]
    for doc in ROLE_POLICIES:
        assert not [s for s in documents[doc]["Statement"] if "kms" in str(s["Action"])], doc
