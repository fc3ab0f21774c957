"""The stack's schedule dead-letter queue `<prefix>-job-schedule-dlq` as jobctl reads it: the starts EventBridge
Scheduler could not deliver to a job (after its retry policy: components/resources/scheduled_job.py).

Scheduler user guide, "Configuring a dead-letter queue for EventBridge Scheduler", "Retrieve the dead-letter
event": the message body is the target's input (ours: {"scheduledTime": "<slot>"} for a job, {"job", "slot"} for
the slot watch), and its message attributes say why: ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION (which
retry limit ran out), RETRY_ATTEMPTS, SCHEDULE_ARN and TARGET_ARN. Whether the body has the context attributes
(<aws.scheduler.scheduled-time>) filled in, and the SCHEDULED_TIME attribute, are on the self-test list
(docs/security.md); the slot is read from the body, else from SCHEDULED_TIME, else it is not known."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from components.model.naming import SharedNames
from jobctl.errors import NotFound, error_code

# SQS ReceiveMessage: at most 10 messages a call; WaitTimeSeconds > 0 is a long poll, which "queries all of the
# servers" and so does not answer empty while messages wait, as a short poll may (SQS developer guide, "Amazon SQS
# short and long polling"). ChangeMessageVisibilityBatch: at most 10 entries (SQS API reference).
RECEIVE_MAX = 10
LONG_POLL_SECONDS = 1
# A listing hides each message for this long (ReceiveMessage's VisibilityTimeout) so one listing does not receive it
# twice, then shows it again at once; nothing is deleted.
LIST_HIDE_SECONDS = 30
# While `replay` works, the messages it holds stay hidden this long, renewed as it waits.
REPLAY_HIDE_SECONDS = 300
MAX_MESSAGES = 1000
# The queue does not exist: the JSON protocol's code and the query protocol's (SQS API reference, GetQueueUrl).
_NO_QUEUE = frozenset({"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"})


@dataclass(frozen=True)
class DeadLetter:
    """One start Scheduler could not deliver."""

    message_id: str
    receipt_handle: str
    kind: str  # "job" (a job's schedule), "slot-watch" (the watch's schedule of a job), "other"
    job: str | None
    slot: str | None
    attributes: dict[str, str]
    sent_at: datetime | None
    body: str

    @property
    def why(self) -> str:
        a = self.attributes
        reason = ": ".join(part for part in (a.get("ERROR_CODE"), a.get("ERROR_MESSAGE")) if part) or "no reason given"
        if a.get("RETRY_ATTEMPTS"):
            reason += f" (retries: {a['RETRY_ATTEMPTS']}"
            reason += f", {a['EXHAUSTED_RETRY_CONDITION']})" if a.get("EXHAUSTED_RETRY_CONDITION") else ")"
        return reason

    def to_json(self) -> dict[str, Any]:
        a = self.attributes
        return {
            "message_id": self.message_id,
            "kind": self.kind,
            "job": self.job,
            "slot": self.slot,
            "error_code": a.get("ERROR_CODE"),
            "error_message": a.get("ERROR_MESSAGE"),
            "exhausted_retry_condition": a.get("EXHAUSTED_RETRY_CONDITION"),
            "retry_attempts": a.get("RETRY_ATTEMPTS"),
            "schedule_arn": a.get("SCHEDULE_ARN"),
            "target_arn": a.get("TARGET_ARN"),
            "sent_at": None if self.sent_at is None else f"{self.sent_at:%Y-%m-%dT%H:%M:%SZ}",
            "body": self.body,
        }


def dead_letter(message: dict[str, Any], prefix: str, names: SharedNames) -> DeadLetter:
    """A DeadLetter from a ReceiveMessage message: the job from SCHEDULE_ARN (`...:schedule/<group>/<prefix>-<job>`)
    or else TARGET_ARN (`...:stateMachine:<prefix>-<job>`), the slot from the body."""
    attributes = {
        name: str(value.get("StringValue", "")) for name, value in (message.get("MessageAttributes") or {}).items()
    }
    kind, job = "other", None
    group, _, schedule = attributes.get("SCHEDULE_ARN", "").partition(":schedule/")[2].partition("/")
    if schedule.startswith(f"{prefix}-") and group in (names.schedule_group, names.slot_watch_schedule_group):
        kind = "job" if group == names.schedule_group else "slot-watch"
        job = schedule.removeprefix(f"{prefix}-")
    else:
        machine = attributes.get("TARGET_ARN", "").partition(":stateMachine:")[2]
        if machine == names.slot_watch_state_machine:
            kind = "slot-watch"
        elif machine.startswith(f"{prefix}-"):
            kind, job = "job", machine.removeprefix(f"{prefix}-")
    body = str(message.get("Body", ""))
    try:
        given = json.loads(body)
    except ValueError:
        given = {}
    slot = given.get("scheduledTime" if kind == "job" else "slot") if isinstance(given, dict) else None
    if kind == "slot-watch" and isinstance(given, dict) and isinstance(given.get("job"), str):
        job = given["job"]
    if not isinstance(slot, str) or slot.startswith("<"):  # a context attribute left as it was
        slot = attributes.get("SCHEDULED_TIME") or None
    sent = (message.get("Attributes") or {}).get("SentTimestamp")
    return DeadLetter(
        message_id=str(message["MessageId"]),
        receipt_handle=str(message["ReceiptHandle"]),
        kind=kind,
        job=job,
        slot=slot,
        attributes=attributes,
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        body=body,
    )


class DeadLetterQueue:
    def __init__(self, sqs: Any, name: str, region: str | None) -> None:
        self._sqs = sqs
        self.name = name
        self._region = region

    def url(self) -> str:
        try:
            return str(self._sqs.get_queue_url(QueueName=self.name)["QueueUrl"])
        except ClientError as error:
            if error_code(error) not in _NO_QUEUE:
                raise
            raise NotFound(
                f"the stack has no dead-letter queue {self.name!r} in {self._region} (stack setting "
                "scheduleDeadLetterQueue: false): starts EventBridge Scheduler could not deliver were dropped"
            ) from error

    def receive_all(self, url: str, hide_seconds: int) -> list[dict[str, Any]]:
        """Every message (up to MAX_MESSAGES), each received once and hidden for `hide_seconds`; oldest first."""
        found: dict[str, dict[str, Any]] = {}
        while len(found) < MAX_MESSAGES:
            messages = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=RECEIVE_MAX,
                VisibilityTimeout=hide_seconds,
                WaitTimeSeconds=LONG_POLL_SECONDS,
                MessageAttributeNames=["All"],
                AttributeNames=["SentTimestamp"],
            ).get("Messages", [])
            new = [m for m in messages if m["MessageId"] not in found]
            if not new:
                break
            found.update((m["MessageId"], m) for m in new)
        return sorted(found.values(), key=lambda m: int((m.get("Attributes") or {}).get("SentTimestamp", 0)))

    def hide(self, url: str, receipts: Iterable[str], seconds: int) -> None:
        """ChangeMessageVisibility for held messages: 0 shows them again at once, more keeps them hidden."""
        handles = list(receipts)
        for start in range(0, len(handles), RECEIVE_MAX):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                for i, handle in enumerate(handles[start : start + RECEIVE_MAX])
            ]
            self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)

    def delete(self, url: str, receipt: str) -> None:
        self._sqs.delete_message(QueueUrl=url, ReceiptHandle=receipt)
