"""Who hears the stack's alerts: the alert topic's subscriptions, confirmed, pending confirmation, or none left.

An SNS e-mail carries an unsubscribe link, and corporate mail scanners follow every link of a message: one click
and the subscription is gone, with no alert about it, and `pulumi up` without refresh does not put it back. Where
the confirmation was authenticated (ConfirmSubscription with AuthenticateOnUnsubscribe "true": "only the topic
owner and the subscription owner can unsubscribe the endpoint. The unsubscribe action requires AWS authentication",
SNS API reference, ConfirmSubscription), the link cannot remove it; GetSubscriptionAttributes says which
(`ConfirmationWasAuthenticated`, and `PendingConfirmation`: SNS API reference). A pending subscription is listed
with the SubscriptionArn "PendingConfirmation" (SNS API reference, Subscribe, ReturnSubscriptionArn), and
GetTopicAttributes counts the topic's confirmed, pending and deleted subscriptions (`SubscriptionsConfirmed`,
`SubscriptionsPending`, `SubscriptionsDeleted`).

The topic is found where the alarms send: the AlarmActions of the stack's own alarms (DescribeAlarms by name), so
an `alarmTopicArn` in another account or region is read where it is; without them, the stack's own topic name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from components.model.naming import shared_names
from jobctl.errors import NOT_FOUND_CODES, error_code

PENDING_ARN = "PendingConfirmation"
# Protocols whose messages carry an unsubscribe link a person (or a mail scanner) can follow (SNS developer guide,
# "Email notifications": every e-mail notification ends with an unsubscribe link).
_LINKED = frozenset({"email", "email-json"})
CONFIRMED, PENDING = "confirmed", "pending confirmation"


@dataclass(frozen=True)
class Subscription:
    protocol: str
    endpoint: str
    state: str  # CONFIRMED or PENDING
    subscription_arn: str | None  # None while pending
    authenticated: bool | None  # ConfirmationWasAuthenticated; None when not known (pending)

    @property
    def unprotected(self) -> bool:
        """An unsubscribe link anyone can follow removes it: a confirmed e-mail subscription not authenticated."""
        return self.state == CONFIRMED and self.protocol in _LINKED and self.authenticated is False

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "endpoint": self.endpoint,
            "state": "confirmed" if self.state == CONFIRMED else "pending",
            "subscription_arn": self.subscription_arn,
            "confirmation_was_authenticated": self.authenticated,
            "unsubscribe_link_removes_it": self.unprotected,
        }


@dataclass(frozen=True)
class AlertTopic:
    """The topic and its subscriptions; `exists` False when the topic is not there at all."""

    topic_arn: str
    found_in: str  # where the ARN came from: "the alarms' actions" or "the stack's own topic name"
    exists: bool = True
    subscriptions: list[Subscription] = field(default_factory=list)
    deleted: int | None = None  # SubscriptionsDeleted

    @property
    def confirmed(self) -> list[Subscription]:
        return [s for s in self.subscriptions if s.state == CONFIRMED]

    @property
    def pending(self) -> list[Subscription]:
        return [s for s in self.subscriptions if s.state == PENDING]

    def warnings(self) -> list[str]:
        """What a person must act on: nobody hears the alerts, or only through links anyone can follow."""
        found: list[str] = []
        if not self.exists:
            return [f"the alert topic {self.topic_arn} does not exist ({self.found_in}): alerts reach nobody"]
        if not self.confirmed:
            pending = f"; {len(self.pending)} pending confirmation" if self.pending else ""
            found.append(
                f"no confirmed subscription on the alert topic {self.topic_arn}{pending}: alerts reach nobody. "
                "Subscribe again (`pulumi up --refresh` puts back the stack's alarmEmails) and confirm with "
                "AuthenticateOnUnsubscribe, or route the topic to a chat or pager (docs/alerts.md)"
            )
        elif all(s.unprotected for s in self.confirmed):
            found.append(
                f"every confirmed subscription of {self.topic_arn} is an e-mail whose unsubscribe link anyone (or a "
                "mail scanner) can follow: confirm with AuthenticateOnUnsubscribe, or add a chat or pager route "
                "(docs/alerts.md)"
            )
        return found

    def summary(self) -> str:
        """One line: `alerts: <topic>: 2 confirmed (1 e-mail removable by its unsubscribe link), 1 pending`."""
        if not self.exists:
            return f"alerts: {self.topic_arn}: no such topic"
        unprotected = sum(s.unprotected for s in self.confirmed)
        text = f"alerts: {self.topic_arn}: {len(self.confirmed)} confirmed"
        if unprotected:
            text += f" ({unprotected} e-mail removable by its unsubscribe link)"
        text += f", {len(self.pending)} pending confirmation"
        if self.deleted:
            text += f", {self.deleted} deleted"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "topic_arn": self.topic_arn,
            "found_in": self.found_in,
            "exists": self.exists,
            "confirmed": len(self.confirmed),
            "pending": len(self.pending),
            "deleted": self.deleted,
            "unprotected": sum(s.unprotected for s in self.confirmed),
            "subscriptions": [s.to_json() for s in self.subscriptions],
            "warnings": self.warnings(),
        }


def topic_from_alarms(alarms: list[dict[str, Any]]) -> str | None:
    """The first SNS topic among the alarms' actions (the stack's alarms all notify the one alert topic)."""
    for alarm in alarms:
        for action in [*alarm.get("AlarmActions", []), *alarm.get("OKActions", [])]:
            if str(action).startswith("arn:") and ":sns:" in str(action):
                return str(action)
    return None


def read_alert_topic(
    session: Any, config: Any, prefix: str, region: str | None, account: Callable[[], str]
) -> AlertTopic:
    """DescribeAlarms of the stack's alarms, then GetTopicAttributes, ListSubscriptionsByTopic and one
    GetSubscriptionAttributes per confirmed subscription, with clients made by `session` (boto3) and `config`;
    `account` (GetCallerIdentity) is asked for only when no alarm names the topic."""
    names = shared_names(prefix)
    cloudwatch = session.client("cloudwatch", config=config)
    alarms = cloudwatch.describe_alarms(
        AlarmNames=[names.janitor_alarm, names.slot_watch_alarm, names.schedule_dead_letter_alarm]
    ).get("MetricAlarms", [])
    topic = topic_from_alarms(alarms)
    found_in = "the alarms' actions"
    if topic is None:
        partition = session.get_partition_for_region(region or "")
        topic, found_in = f"arn:{partition}:sns:{region}:{account()}:{names.alarm_topic}", "the stack's own topic name"
    sns = session.client("sns", config=config, region_name=topic.split(":")[3])  # the topic's own region
    try:
        attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    except ClientError as error:
        if error_code(error) not in NOT_FOUND_CODES | {"NotFound", "NotFoundException"}:
            raise
        return AlertTopic(topic, found_in, exists=False)
    subscriptions: list[Subscription] = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic):
        for item in page.get("Subscriptions", []):
            subscriptions.append(_subscription(sns, item))
    deleted = attributes.get("SubscriptionsDeleted")
    return AlertTopic(topic, found_in, True, subscriptions, int(deleted) if str(deleted or "").isdigit() else None)


def _subscription(sns: Any, item: dict[str, Any]) -> Subscription:
    arn = str(item.get("SubscriptionArn", ""))
    protocol, endpoint = str(item.get("Protocol", "")), str(item.get("Endpoint", ""))
    if arn == PENDING_ARN or not arn.startswith("arn:"):
        return Subscription(protocol, endpoint, PENDING, None, None)
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    if str(attributes.get("PendingConfirmation", "false")).lower() == "true":
        return Subscription(protocol, endpoint, PENDING, arn, None)
    authenticated = str(attributes.get("ConfirmationWasAuthenticated", "false")).lower() == "true"
    return Subscription(protocol, endpoint, CONFIRMED, arn, authenticated)
