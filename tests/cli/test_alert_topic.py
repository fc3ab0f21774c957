"""Who hears the alerts (jobctl/alert_topic.py), as `jobctl status` reports it against a stack in moto: the topic
found where the stack's alarms send, its confirmed and pending subscriptions, and a warning when none is confirmed
or every one is an e-mail its unsubscribe link can remove (moto confirms every subscription at once, authenticated;
the tests set moto's subscription attributes where a case needs another state)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from components.model.naming import shared_names
from jobctl.alert_topic import PENDING_ARN, _subscription
from tests.support import jobctl_harness as harness
from tests.support.jobctl_harness import ONCALL, PREFIX, REGION, SUCCEEDS, Stack, jobctl, jobctl_json

stack = harness.stack
ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{shared_names(PREFIX).alarm_topic}"
NOBODY = f"jobctl: WARNING: no confirmed subscription on the alert topic {TOPIC}"


def _set(topic: str, **attributes: Any) -> None:
    """Give moto's subscriptions of `topic` attributes AWS would report (pending, or not authenticated)."""
    region = topic.split(":")[3]
    for subscription in sns_backends[ACCOUNT][region].subscriptions.values():
        if subscription.topic.arn == topic:
            subscription.attributes.update(attributes)


def _unsubscribe_all(topic: str) -> None:
    """What a mail scanner's click on each e-mail's unsubscribe link does."""
    sns = boto3.client("sns", region_name=topic.split(":")[3])
    for item in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=item["SubscriptionArn"])


def test_status_says_who_hears_the_alerts(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    code, out, err = jobctl(capsys, "status")
    assert code == 0 and "alerts:" not in out  # stdout stays the table
    assert f"jobctl: alerts: {TOPIC}: 1 confirmed, 0 pending confirmation" in err
    assert "WARNING" not in err
    code, status = jobctl_json(capsys, "status")
    topic = status["alert_topic"]
    assert (topic["topic_arn"], topic["found_in"], topic["confirmed"], topic["pending"], topic["warnings"]) == (
        TOPIC,
        "the alarms' actions",
        1,
        0,
        [],
    )
    [subscription] = topic["subscriptions"]
    assert (subscription["protocol"], subscription["endpoint"], subscription["state"]) == ("email", ONCALL, "confirmed")
    assert subscription["confirmation_was_authenticated"] is True
    assert subscription["unsubscribe_link_removes_it"] is False


def test_status_warns_when_no_confirmed_subscription_remains(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    _unsubscribe_all(TOPIC)
    code, _, err = jobctl(capsys, "status", "report")
    assert code == 0
    assert f"{NOBODY}: alerts reach nobody. Subscribe again (`pulumi up --refresh`" in err
    assert "confirm with AuthenticateOnUnsubscribe, or route the topic to a chat or pager (docs/alerts.md)" in err

    boto3.client("sns", region_name=REGION).subscribe(TopicArn=TOPIC, Protocol="email", Endpoint=ONCALL)
    _set(TOPIC, PendingConfirmation="true")  # subscribed again, not confirmed yet
    code, status = jobctl_json(capsys, "status")
    assert (status["alert_topic"]["confirmed"], status["alert_topic"]["pending"]) == (0, 1)
    [warning] = status["alert_topic"]["warnings"]
    assert warning.startswith(f"no confirmed subscription on the alert topic {TOPIC}; 1 pending confirmation")


def test_status_warns_when_every_confirmed_subscription_is_an_email_its_link_can_remove(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)
    _set(TOPIC, ConfirmationWasAuthenticated="false")  # confirmed by clicking the e-mail's link
    code, _, err = jobctl(capsys, "status")
    assert f"jobctl: alerts: {TOPIC}: 1 confirmed (1 e-mail removable by its unsubscribe link)" in err
    assert f"WARNING: every confirmed subscription of {TOPIC} is an e-mail whose unsubscribe link anyone" in err

    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.get_queue_attributes(
        QueueUrl=sqs.create_queue(QueueName="pager")["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=REGION).subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=queue)
    code, _, err = jobctl(capsys, "status")  # a route no link can remove
    assert code == 0 and "WARNING" not in err and "2 confirmed (1 e-mail removable by its unsubscribe link)" in err


def test_an_alarm_topic_arn_is_read_where_the_alarms_send(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    elsewhere = boto3.client("sns", region_name=REGION)
    shared = str(elsewhere.create_topic(Name="oncall-shared")["TopicArn"])  # the stack's alarmTopicArn, not its own
    boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName=shared_names(PREFIX).janitor_alarm,
        Namespace="AWS/States",
        MetricName="ExecutionsFailed",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[shared],
    )
    code, status = jobctl_json(capsys, "status")
    assert (code, status["alert_topic"]["topic_arn"], status["alert_topic"]["confirmed"]) == (0, shared, 0)
    assert status["alert_topic"]["warnings"][0].startswith(f"no confirmed subscription on the alert topic {shared}")


def test_a_missing_topic_is_said_as_such(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    boto3.client("sns", region_name=REGION).delete_topic(TopicArn=TOPIC)
    code, _, err = jobctl(capsys, "status")
    assert code == 0
    assert f"jobctl: WARNING: the alert topic {TOPIC} does not exist (the alarms' actions): alerts reach nobody" in err


class _NoCalls:
    def get_subscription_attributes(self, **_: Any) -> dict[str, Any]:
        raise AssertionError("a pending subscription has no ARN to ask about")


def test_a_subscription_listed_as_pending_confirmation_is_pending_without_a_call() -> None:
    item = {"SubscriptionArn": PENDING_ARN, "Protocol": "email", "Endpoint": ONCALL, "TopicArn": TOPIC}
    subscription = _subscription(_NoCalls(), item)
    assert (subscription.state, subscription.subscription_arn, subscription.unprotected) == (
        "pending confirmation",
        None,
        False,
    )
