"""What a job's own container may do in AWS: the job's `permissions`, as the task role's inline policy.

A job that writes a report to S3 or sends mail needs grants of its own; they belong to its task role and
nowhere else, so one job's grants never reach another job."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# IAM allows 10,240 characters of inline policy per role (IAM quotas); keep headroom for the trust policy.
INLINE_POLICY_BUDGET = 8000
# "service:Action", wildcards allowed in the action part (IAM policy grammar): "s3:PutObject", "s3:Get*".
# The prefix and the action name are case-insensitive (IAM User Guide, "IAM JSON policy elements: Action":
# iam:ListAccessKeys is the same as IAM:listaccesskeys); the prefix is written lowercase, as AWS writes it.
ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
# arn:partition:service:region:account:resource; region and account may be empty (S3, IAM) or "*".
RESOURCE_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9*-]*:(\d{12}|aws|\*)?:.+")


def _action(value: str) -> str:
    if value.strip("*?") == "":
        raise ValueError("grants every action of every service; name the actions, e.g. 's3:PutObject'")
    if not ACTION.fullmatch(value):
        raise ValueError("not an IAM action: write 'service:Action', e.g. 's3:PutObject' or 's3:Get*'")
    service, _, action = value.partition(":")
    return f"{service.lower()}:{action}"


def _resource(value: str) -> str:
    if value != "*" and not RESOURCE_ARN.fullmatch(value):
        raise ValueError(
            "not an ARN: write e.g. 'arn:aws:s3:::reports-bucket/*', or '*' for an action that has no resource type"
        )
    return value


class Permission(BaseModel):
    """One grant: these actions on these resources (an IAM Allow statement)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actions: list[Annotated[str, AfterValidator(_action)]] = Field(min_length=1, examples=[["s3:PutObject"]])
    resources: list[Annotated[str, AfterValidator(_resource)]] = Field(
        min_length=1, examples=[["arn:aws:s3:::reports-bucket/*"]]
    )


def task_role_policy(permissions: list[Permission]) -> dict[str, Any] | None:
    """The task role's inline policy, or None for a job that needs no AWS access of its own."""
    if not permissions:
        return None
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"JobPermission{index}",
                "Effect": "Allow",
                "Action": sorted(set(grant.actions)),
                "Resource": sorted(set(grant.resources)),
            }
            for index, grant in enumerate(permissions, start=1)
        ],
    }


def policy_length(document: dict[str, Any]) -> int:
    """A policy's size as IAM counts it against its quotas: its characters, white space aside (IAM user guide,
    "IAM and AWS STS quotas"), i.e. its minified JSON."""
    return len(json.dumps(document, separators=(",", ":")))


def fits_inline(document: dict[str, Any]) -> bool:
    """Whether a document fits in a role's inline policy budget (whitespace is not counted)."""
    return policy_length(document) <= INLINE_POLICY_BUDGET
