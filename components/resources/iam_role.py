"""One IAM role for an AWS service, with its trust policy and at most one inline policy, both from the
pure builders in policies.py; the shape every role of the program shares."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

Document = dict[str, Any]


def sorted_json(document: Document | pulumi.Output[Document]) -> pulumi.Input[str]:
    """Key-sorted JSON of a plain document, or of one that waits on Outputs; stable across runs."""
    if isinstance(document, pulumi.Output):
        return document.apply(lambda d: json.dumps(d, sort_keys=True))
    return json.dumps(document, sort_keys=True)


def service_role(
    logical_name: str,
    *,
    name: str,
    description: str,
    trust: Document,
    policy: tuple[str, Document | pulumi.Output[Document]] | None,
    tags: dict[str, str],
    parent: pulumi.Resource,
    aliases: list[pulumi.Alias] | None = None,
) -> aws.iam.Role:
    """`policy` is (inline policy name, document), or None for a role with no permissions of its own.

    Either way the role's inline policies are Pulumi's alone: with no inline policy given, pulumi-aws would
    stop managing them and leave a removed grant on the role; one empty block instead removes every inline
    policy not declared (pulumi/pulumi-aws#4050, #4045). Attached managed policies are left alone."""
    inline = [
        aws.iam.RoleInlinePolicyArgs(name=policy[0], policy=sorted_json(policy[1]))
        if policy is not None
        else aws.iam.RoleInlinePolicyArgs()
    ]
    return aws.iam.Role(
        logical_name,
        name=name,
        description=description,
        assume_role_policy=sorted_json(trust),
        inline_policies=inline,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, aliases=aliases),
    )
