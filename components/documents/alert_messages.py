"""The alerts a run sends to the stack's SNS topic, as Task states (with their grant) that publish one message.

Each message is published with MessageStructure "json" (SNS API, Publish: "send a different message for each
protocol"): e-mail subscribers get `email`, a plain text that reads well in a mail client; every other
protocol (SQS, HTTPS, Lambda, a chat bridge) gets `default`, a JSON document with the same facts under stable
keys, versioned by its `schema`. One topic and its subscribers serve both."""

from __future__ import annotations

import json
from dataclasses import dataclass

from components.documents.grants import State, Statement, Task
from components.documents.topic_key import TopicKey

SCHEMA = "scheduled-jobs/alert/v1"
SUBJECT_CHARACTERS = 100  # SNS Publish: Subject "must be less than 100 characters"


@dataclass(frozen=True)
class AlertTarget:
    """Where alerts go and what they name: the topic, the Pulumi stack, the region (for console links); and the
    topic's KMS key when it is encrypted."""

    topic_arn: str
    stack: str
    region: str
    key: TopicKey | None = None

    def grants(self) -> tuple[Statement, ...]:
        """sns:Publish on the topic (Step Functions dev guide, "IAM policies for Amazon SNS"), and the use of its
        key for an encrypted topic (components/documents/topic_key.py)."""
        publish = {"Sid": "SendAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": self.topic_arn}
        return (publish,) if self.key is None else (publish, self.key.publish_grant())

    def console(self) -> str:
        return f"https://{self.region}.console.aws.amazon.com"

    def execution_link(self, execution: str) -> str:
        """JSONata: the execution's page in the Step Functions console."""
        return f"'{self.console()}/states/home?region={self.region}#/v2/executions/details/' & {execution}"

    def logs_link(self, log_group: str, task_arn: str) -> str:
        """JSONata: the container's log stream (awslogs: `job/<container>/<task id>`), or the log group."""
        group = f"{self.console()}/cloudwatch/home?region={self.region}#logsV2:log-groups/log-group/" + (
            log_group.replace("/", "$252F")
        )
        stream = (
            f"$replace('job/job/' & $substringAfter({task_arn}, '/' & $split({task_arn}, '/')[1] & '/'), '/', '$252F')"
        )
        return f"({task_arn} ? '{group}/log-events/' & {stream} : '{group}')"


def jsonata_string(text: str) -> str:
    """`text` as a JSONata string literal: double-quoted with JSON's escapes, which JSONata reads
    (it has no \\' escape)."""
    return json.dumps(text)


def publish(
    target: AlertTarget,
    kind: str,
    subject: str,
    facts: list[tuple[str, str, str]],
    then: dict[str, object],
    if_not_sent: str,
) -> Task:
    """A Task state that publishes one alert. `subject` and each fact's value are JSONata expressions;
    `facts` are (JSON key, label in the e-mail, value), in the order the e-mail lists them. A fact whose value
    is absent is left out of both forms. `then`: {"Next": ...} or {"End": True}; an alert that cannot be sent
    (after SNS's throttling is retried) goes to `if_not_sent`, keeping the state's input."""
    payload = ", ".join(
        [f"'schema': '{SCHEMA}'", f"'kind': '{kind}'", *(f"'{key}': {value}" for key, _, value in facts)]
    )
    width = max(len(label) for _, label, _ in facts) + 2
    lines = " , ".join(
        f"($exists({value}) ? {jsonata_string((label + ':').ljust(width))} & $string({value}) : undefined)"
        for _, label, value in facts
    )
    text = f"$join([{subject}, '', {lines}], '\\n')"
    state: State = {
        "Type": "Task",
        "Comment": f"Send the {kind} alert to the stack's topic.",
        "Resource": "arn:aws:states:::sns:publish",
        "Arguments": {
            "TopicArn": target.topic_arn,
            "Subject": f"{{% $substring({subject}, 0, {SUBJECT_CHARACTERS - 1}) %}}",
            "MessageStructure": "json",
            "Message": f"{{% $string({{'default': $string({{{payload}}}), 'email': {text}}}) %}}",
        },
        "Retry": [
            {
                "ErrorEquals": ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.AmazonSNSException"],
                "IntervalSeconds": 2,
                "MaxAttempts": 5,
                "BackoffRate": 2.0,
                "JitterStrategy": "FULL",
            }
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.input %}", "Next": if_not_sent}],
        "Output": "{% $states.input %}",
        **then,
    }
    return Task(state, target.grants())
