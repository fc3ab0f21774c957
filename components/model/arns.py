"""Partition, region and account, and the ARNs built from them: plain strings, so every builder can name
the resources it grants on without waiting for Pulumi."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsEnv:
    """Partition, region and account that ARNs are built from."""

    partition: str
    region: str
    account_id: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    def role_arn(self, role_name: str) -> str:
        """IAM is global: no region. Our roles keep the default path "/"."""
        return f"arn:{self.partition}:iam::{self.account_id}:role/{role_name}"
