"""The two identities CI uses for a stack: the preview role, which pull requests assume and which may only read
the stack's resources, and the deploy role, which only a job in the stack's GitHub environment may assume.

Trust: GitHub's OIDC provider (`token.actions.githubusercontent.com`, audience `sts.amazonaws.com` for
aws-actions/configure-aws-credentials) with `StringEquals` on the token's `aud` and `sub` (IAM user guide,
"Create a role for OpenID Connect federation", GitHub section: without a `sub` condition "GitHub Actions from
organizations or repositories outside of your control are able to assume roles"). The subject is
`repo:OWNER/REPO:pull_request` for a pull request's job that names no environment, and
`repo:OWNER/REPO:environment:NAME` for a job that names one (GitHub docs, "OpenID Connect reference",
example subject claims). `ForAllValues:` is not used: it is true when the claim is missing
(aws-actions/configure-aws-credentials README).

Read: `pulumi preview` with refresh reads every resource (the provider's read functions,
tests/support/deployer_calls.py) and validates changed state machine definitions; it writes nothing. The
preview policy is the deploy policy with only its read actions: the same resources, scoped to the stack's
names."""

from __future__ import annotations

from typing import Any

from components.documents.deployer import deployer_statements
from components.model.arns import AwsEnv
from components.model.aws_constants import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_PROVIDER
from components.model.config import StackConfig

Document = dict[str, Any]

# AWS names its read actions Describe*, Get* and List* (the Service Authorization Reference's Read and List
# access levels; tests/validators/test_ci_identities.py checks each against AWS's data).
READ_VERBS = ("Describe", "Get", "List")
# Read-level actions whose names do not say so: the provider validates a changed definition on preview
# (deployer.py).
OTHER_READS = frozenset({"states:ValidateStateMachineDefinition"})


def github_oidc_provider_arn(env: AwsEnv) -> str:
    """The IAM OIDC provider for GitHub Actions in this account (one per account; IAM: no region)."""
    return f"arn:{env.partition}:iam::{env.account_id}:oidc-provider/{GITHUB_OIDC_PROVIDER}"


def pull_request_subject(repository: str) -> str:
    return f"repo:{repository}:pull_request"


def environment_subject(repository: str, environment: str) -> str:
    return f"repo:{repository}:environment:{environment}"


def github_trust(env: AwsEnv, subject: str) -> Document:
    """A role only GitHub Actions tokens with exactly this subject, issued for AWS STS, may assume."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActions",
                "Effect": "Allow",
                "Principal": {"Federated": github_oidc_provider_arn(env)},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_PROVIDER}:aud": GITHUB_OIDC_AUDIENCE,
                        f"{GITHUB_OIDC_PROVIDER}:sub": subject,
                    }
                },
            }
        ],
    }


def preview_trust(env: AwsEnv, repository: str) -> Document:
    """Pull requests of the repository (their preview job names no environment), nothing else."""
    return github_trust(env, pull_request_subject(repository))


def deploy_trust(env: AwsEnv, repository: str, stack: str) -> Document:
    """Only a job in the repository's GitHub environment named after the stack, behind its protection rules."""
    return github_trust(env, environment_subject(repository, stack))


def is_read(action: str) -> bool:
    return action in OTHER_READS or action.split(":", 1)[1].startswith(READ_VERBS)


def preview_policy(config: StackConfig, env: AwsEnv, stack: str) -> Document:
    """What `pulumi preview` with refresh reads of this stack: the deploy policy's read actions, on the same
    resources; a statement left with no read action is dropped (passing roles, tagging on create)."""
    statements = []
    for statement in deployer_statements(config, env, stack):
        reads = [action for action in statement["Action"] if is_read(action)]
        if reads:
            statements.append({**statement, "Action": reads})
    return {"Version": "2012-10-17", "Statement": statements}
