"""`jobctl dlq` and `jobctl redrive` on moto, with the real job machine.

The dead-letter messages are put in moto's queue shaped as EventBridge Scheduler sends them (Scheduler user guide,
"Configuring a dead-letter queue for EventBridge Scheduler", "Retrieve the dead-letter event"): the body is the
target's input, the message attributes ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS,
SCHEDULE_ARN and TARGET_ARN say why. `list` deletes nothing; `replay` runs each start as its slot and deletes a
message only after its run started. `redrive` runs a failed run's slot again as a new run."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

import jobctl.commands.common as common
from tests.support import moto_harness as harness
from tests.support.jobctl_on_moto import jobctl, jobctl_in_background
from tests.support.moto_harness import ACCOUNT, JOB, PREFIX, REGION, REPORT, SHARED, Aws

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

SLOT = "2026-11-29T06:00:00Z"
NO_RETRIES = REPORT.model_copy(update={"retries": REPORT.retries.model_copy(update={"attempts": 0})})


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "POLL_SECONDS", 0.05)


def _queue() -> str:
    return str(
        boto3.client("sqs", region_name=REGION).create_queue(QueueName=SHARED.schedule_dead_letter_queue)["QueueUrl"]
    )


def _undelivered(queue: str, job: str, slot: str, code: str = "ThrottlingException") -> None:
    """A start of `job`'s schedule for `slot` that Scheduler gave up on, as it puts it in the dead-letter queue."""
    attributes = {
        "ERROR_CODE": code,
        "ERROR_MESSAGE": "Rate exceeded",
        "EXHAUSTED_RETRY_CONDITION": "MaximumEventAgeInSeconds",
        "RETRY_ATTEMPTS": "20",
        "SCHEDULE_ARN": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{SHARED.schedule_group}/{PREFIX}-{job}",
        "TARGET_ARN": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{PREFIX}-{job}",
    }
    boto3.client("sqs", region_name=REGION).send_message(
        QueueUrl=queue,
        MessageBody=json.dumps({"scheduledTime": slot}),
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )


def _waiting(queue: str) -> list[dict[str, Any]]:
    """Every message still in the queue (received once, with no hiding left behind)."""
    sqs = boto3.client("sqs", region_name=REGION)
    found: dict[str, dict[str, Any]] = {}
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=5).get("Messages"):
        found.update((m["MessageId"], m) for m in messages if m["MessageId"] not in found)
    for message in found.values():
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return list(found.values())


def test_dlq_list_shows_job_slot_and_why_and_deletes_nothing(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    queue = _queue()
    _undelivered(queue, JOB, SLOT)
    _undelivered(queue, "export", "2026-11-29T07:00:00Z", code="AccessDeniedException")
    code, out, _ = jobctl(capsys, "dlq")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["job", "slot", "(UTC)", "why", "it", "was", "not", "delivered", "sent", "(UTC)"]
    why = "ThrottlingException: Rate exceeded (retries: 20, MaximumEventAgeInSeconds)"
    assert lines[1].startswith(f"report  {SLOT}  {why}")
    assert lines[2].startswith("export  2026-11-29T07:00:00Z  AccessDeniedException: Rate exceeded")
    assert lines[3].startswith("2 undelivered start(s) in test-job-schedule-dlq; nothing was deleted")
    assert len(_waiting(queue)) == 2  # still there, and visible again at once

    code, out, _ = jobctl(capsys, "--json", "dlq", "list", "--job", "export")
    document = json.loads(out)
    assert (document["command"], document["action"], document["queue"]) == ("dlq", "list", "test-job-schedule-dlq")
    [message] = document["messages"]
    assert (message["job"], message["slot"], message["error_code"]) == (
        "export",
        "2026-11-29T07:00:00Z",
        "AccessDeniedException",
    )
    assert (message["retry_attempts"], message["replay"]) == ("20", None)
    aws.no_more_runs()


def test_dlq_replay_runs_each_start_as_its_slot_and_deletes_only_what_started(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = aws.job_machine(NO_RETRIES)
    queue = _queue()
    ran = aws.start(machine, "ran", {"scheduledTime": "2026-11-28T06:00:00Z"})  # a later delivery ran this slot
    aws.task_stopped(aws.next_run(), exit_code=0)
    aws.ended(ran)
    _undelivered(queue, JOB, "2026-11-28T06:00:00Z")
    _undelivered(queue, JOB, SLOT)
    _undelivered(queue, "export", SLOT)  # another job's, left alone by --job

    background = jobctl_in_background(capsys, "--json", "dlq", "replay", "--job", JOB)
    run = aws.next_run()
    assert json.loads(aws.sfn.describe_execution(executionArn=run.execution)["input"])["scheduledTime"] == SLOT
    aws.task_stopped(run, exit_code=0)
    code, out, _ = background.ended()
    assert code == 1  # one message could not be replayed
    replays = {m["slot"]: m["replay"] for m in json.loads(out)["messages"]}
    assert replays[SLOT]["action"] == "started" and replays[SLOT]["outcome"] == "succeeded"
    assert replays[SLOT]["execution_arn"] == run.execution
    assert replays["2026-11-28T06:00:00Z"]["action"] == "kept"
    assert f"already ran in execution {ran} (succeeded)" in replays["2026-11-28T06:00:00Z"]["reason"]
    left = sorted((json.loads(m["Body"])["scheduledTime"], m["ReceiptHandle"] != "") for m in _waiting(queue))
    assert left == [("2026-11-28T06:00:00Z", True), (SLOT, True)]  # the export start and the slot that ran stay
    aws.no_more_runs()


def test_dlq_says_when_the_stack_has_no_dead_letter_queue(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = jobctl(capsys, "dlq")
    assert code == 6
    assert "the stack has no dead-letter queue 'test-job-schedule-dlq' in eu-central-1 (stack setting " in err
    assert "scheduleDeadLetterQueue: false)" in err


def test_redrive_runs_the_latest_failed_runs_slot_as_a_new_run(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    machine = aws.job_machine(NO_RETRIES)
    failed = aws.start(machine, "failed", {"scheduledTime": SLOT, "environment": {"DAY": "2026-11-28"}})
    aws.task_stopped(aws.next_run(), exit_code=1)
    assert aws.ended(failed)["status"] == "FAILED"

    background = jobctl_in_background(capsys, "redrive", JOB, "--wait")
    run = aws.next_run()
    assert run.execution != failed  # a new execution, not RedriveExecution of the old one
    started = json.loads(aws.sfn.describe_execution(executionArn=run.execution)["input"])
    assert started == {"environment": {"DAY": "2026-11-28"}, "scheduledTime": SLOT}
    aws.task_stopped(run, exit_code=0)
    code, out, err = background.ended()
    assert code == 0
    assert out.strip().startswith("report run manual-") and out.strip().endswith(f"for slot {SLOT}: succeeded")
    assert "redoing failed (failed); a new run, not RedriveExecution: a redrive restarts the failed step" in err
    assert aws.sfn.describe_execution(executionArn=failed)["status"] == "FAILED"  # the old run is left as it was

    code, _, err = jobctl(capsys, "redrive", JOB, "--execution", "failed")
    assert code == 2  # its slot has since run to success
    assert f"slot {SLOT} of report already ran in execution {run.execution} (succeeded)" in err
    code, _, err = jobctl(capsys, "redrive", JOB, "--execution", run.execution)
    assert (code, err.strip()) == (
        2,
        f"jobctl: run {run.execution.rsplit(':', 1)[1]} of report is succeeded, not failed: nothing to redrive",
    )
    aws.no_more_runs()


def test_redrive_without_a_failed_run_says_so(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    machine = aws.job_machine()
    ok = aws.start(machine, "ok", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=0)
    aws.ended(ok)
    code, _, err = jobctl(capsys, "--json", "redrive", JOB)
    assert code == 6
    assert "report has no failed, timed-out or stopped run among its latest 100" in err
    aws.no_more_runs()
