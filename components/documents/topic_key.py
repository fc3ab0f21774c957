"""The KMS key of an encrypted (SSE-KMS) alert topic, and the grants and key-policy statements it needs.

SNS developer guide, "Key management" (sns-key-management.html): a principal that publishes to a topic with
SSE needs kms:GenerateDataKey* and kms:Decrypt on the topic's key; and, "Enable compatibility between event
sources from AWS services and encrypted topics", an AWS service that publishes (CloudWatch alarms:
cloudwatch.amazonaws.com) needs a customer managed key whose key policy allows that service principal the same
two actions. A key policy must allow a use for IAM policies to count at all (KMS developer guide, "Key
policies in AWS KMS": "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
access to a KMS key"); the default key policy does so for the account ("Default key policy", its first
statement)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.model.arns import AwsEnv

Statement = dict[str, Any]
# What SNS calls on the key when a principal publishes to an encrypted topic (SNS "Key management").
PUBLISH_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]
CLOUDWATCH = "cloudwatch.amazonaws.com"


@dataclass(frozen=True)
class TopicKey:
    """The alert topic's key: a key the user names by ARN (`arn`), or the one the stack creates, whose ARN is
    only known after `pulumi up` and which grants therefore name by its alias (`alias`, with `env`)."""

    arn: str | None = None
    alias: str | None = None
    env: AwsEnv | None = None

    def publish_grant(self) -> Statement:
        """The statement every role that publishes alerts needs beside sns:Publish: scoped to the key's ARN, or
        to any key of the account that carries the stack's alias (kms:ResourceAliases, KMS developer guide,
        "Use aliases to control access to KMS keys"; an alias's change takes up to five minutes to count)."""
        statement: Statement = {"Sid": "EncryptAlerts", "Effect": "Allow", "Action": PUBLISH_ACTIONS}
        if self.arn is not None:
            return {**statement, "Resource": self.arn}
        assert self.alias is not None and self.env is not None, "a created key is named by its alias"
        return {
            **statement,
            "Resource": self.env.arn("kms", "key/*"),
            "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": self.alias}},
        }


def cloudwatch_key_statement() -> Statement:
    """The key-policy statement that lets CloudWatch alarms publish to a topic encrypted with the key, as the SNS
    developer guide writes it ("Enable compatibility between event sources from AWS services and encrypted
    topics"); in a key policy, Resource "*" is the key itself."""
    return {
        "Sid": "AllowCloudWatchAlarmsToUseTheKey",
        "Effect": "Allow",
        "Principal": {"Service": CLOUDWATCH},
        "Action": PUBLISH_ACTIONS,
        "Resource": "*",
    }


def account_key_statement(env: AwsEnv) -> Statement:
    """The default key policy's first statement: the account (its IAM policies) may use and manage the key
    (KMS developer guide, "Default key policy": "Allows access to the AWS account and enables IAM policies")."""
    return {
        "Sid": "EnableIamPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{env.partition}:iam::{env.account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def created_key_policy(env: AwsEnv) -> dict[str, Any]:
    """The key policy of the key the stack creates (encryptAlarmTopic): the account's IAM policies count (so the
    publishing roles' grants work, and the deploying identity can manage it), and CloudWatch may use it."""
    return {"Version": "2012-10-17", "Statement": [account_key_statement(env), cloudwatch_key_statement()]}


def statements_for_the_key_owner(publisher_roles: list[str]) -> dict[str, Any]:
    """What the owner of a key the user names must add to its key policy: CloudWatch's statement, always; and
    the publishing roles by ARN, needed only when the key policy does not let the account's IAM policies count
    (no EnableIamPolicies-like statement for the stack's account, e.g. a key of another account)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            cloudwatch_key_statement(),
            {
                "Sid": "AllowTheStacksAlertPublishers",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(publisher_roles)},
                "Action": PUBLISH_ACTIONS,
                "Resource": "*",
            },
        ],
    }


def topic_key(config_key_arn: str | None, encrypt: bool, alias: str, env: AwsEnv) -> TopicKey | None:
    """The alert topic's key as the stack config sets it: a named key, the stack's own, or None (unencrypted, or
    encrypted with a key nobody named: docs/alerts.md)."""
    if config_key_arn is not None:
        return TopicKey(arn=config_key_arn)
    if encrypt:
        return TopicKey(alias=alias, env=env)
    return None


STATEMENTS_FILE = "alarm-topic-key.statements-to-add.json"


def topic_key_notes(topic_arn: str | None, key_arn: str | None, encrypt: bool, prefix: str) -> list[str]:
    """What plan.py says about the alert topic's encryption. It is offline: it cannot read a topic's
    KmsMasterKeyId (sns:GetTopicAttributes) nor a key's policy (kms:GetKeyPolicy), so it warns where only
    AWS knows, and says how to look."""
    if topic_arn is not None and key_arn is None:
        return [
            f"warning: alarmTopicArn {topic_arn}: if that topic is encrypted (SSE-KMS), every alert is dropped "
            "unless alarmTopicKmsKeyArn names its key: plan is offline and cannot see whether it is; look with "
            f"`aws sns get-topic-attributes --topic-arn {topic_arn} --query Attributes.KmsMasterKeyId` "
            "(none printed: not encrypted; a key id or alias: set alarmTopicKmsKeyArn to that key's ARN; "
            "alias/aws/sns: CloudWatch alarms cannot use it, the topic needs a customer managed key)"
        ]
    if key_arn is not None:
        whose = "the topic" if topic_arn is not None else f"the stack's topic {prefix}-job-alarms"
        return [
            f"note: {whose} is encrypted with {key_arn}: the stack's alert states may use it; CloudWatch alarms "
            f"(and, for a key whose policy does not enable IAM policies, the alert states) only once the key's "
            f"owner adds the statements in {STATEMENTS_FILE} to its key policy (plan cannot read a key policy)"
        ]
    if encrypt:
        return [
            f"note: the stack's topic is encrypted with a key the stack creates (alias/{prefix}-job-alarms), "
            "whose policy lets CloudWatch alarms use it (shared/alarm-topic-key.policy.json)"
        ]
    return []
