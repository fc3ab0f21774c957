"""`jobctl dlq` and `jobctl redrive` on moto, with the real job machine.

The dead-letter messages are put in moto's queue shaped as EventBridge Scheduler sends them (Scheduler user guide,
"Configuring a dead-letter queue for EventBridge Scheduler", "Retrieve the dead-letter event"): the body is the
target's input, the message attributes ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS,
SCHEDULE_ARN and TARGET_ARN say why. `list` deletes nothing; `replay` handles every start it can (a job's runs its
slot, the slot watch's checks its slot or is obsolete once the slot ended) and deletes each once handled, so a
replayed queue is empty; `delete` removes messages by ID, by job or all, asking first. `redrive` runs a failed
run's slot again as a new run."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

import jobctl.commands.common as common
from tests.executed.test_slot_watch_on_moto import _scheduled, _watch
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


def _undelivered(queue: str, job: str, slot: str, code: str = "ThrottlingException", watch: bool = False) -> str:
    """A start of `job`'s schedule (or with `watch`, of its slot watch schedule) for `slot` that Scheduler gave up
    on, as it puts it in the dead-letter queue; returns the message ID."""
    group, machine = (
        (SHARED.slot_watch_schedule_group, SHARED.slot_watch_state_machine)
        if watch
        else (
            SHARED.schedule_group,
            f"{PREFIX}-{job}",
        )
    )
    attributes = {
        "ERROR_CODE": code,
        "ERROR_MESSAGE": "Rate exceeded",
        "EXHAUSTED_RETRY_CONDITION": "MaximumEventAgeInSeconds",
        "RETRY_ATTEMPTS": "20",
        "SCHEDULE_ARN": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{PREFIX}-{job}",
        "TARGET_ARN": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine}",
    }
    body = {"job": job, "slot": slot} if watch else {"scheduledTime": slot}
    return str(
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=queue,
            MessageBody=json.dumps(body),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )["MessageId"]
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
    assert lines[0].split() == [
        *["job", "slot", "(UTC)", "why", "it", "was", "not", "delivered", "sent", "(UTC)", "start", "of", "message"]
    ]
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


def test_dlq_replay_runs_each_start_as_its_slot_and_deletes_the_obsolete_ones(
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
    assert code == 0
    replays = {m["slot"]: m["replay"] for m in json.loads(out)["messages"]}
    assert replays[SLOT]["action"] == "started" and replays[SLOT]["outcome"] == "succeeded"
    assert replays[SLOT]["execution_arn"] == run.execution
    assert replays["2026-11-28T06:00:00Z"]["action"] == "obsolete"  # deleted: its slot already ran
    assert f"already ran in execution {ran} (succeeded)" in replays["2026-11-28T06:00:00Z"]["reason"]
    left = [json.loads(m["Body"])["scheduledTime"] for m in _waiting(queue)]
    assert left == [SLOT]  # the export start, shown again at once
    aws.no_more_runs()


def test_a_replayed_queue_is_empty_watch_starts_included(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    """An outage dead-letters both starts of a slot (the job's and its watch's) and the watch's of another slot:
    the job's runs its slot, which makes the same slot's watch start obsolete; the other slot's watch start
    starts the watch, which alerts that slot missed now; nothing is left, so the queue's alarm returns to OK."""
    _watch(aws, _scheduled())  # the job's machine and the slot watch
    queue = _queue()
    other = "2026-11-29T07:00:00Z"  # later: a success of an earlier slot does not end it
    _undelivered(queue, JOB, SLOT, watch=True)  # oldest first, but handled after the job's start
    _undelivered(queue, JOB, SLOT)
    _undelivered(queue, JOB, other, watch=True)

    background = jobctl_in_background(capsys, "--json", "dlq", "replay")
    aws.task_stopped(aws.next_run(), exit_code=0)
    code, out, err = background.ended()
    assert code == 0
    done = {(m["kind"], m["slot"]): m["replay"] for m in json.loads(out)["messages"]}
    assert done[("job", SLOT)]["outcome"] == "succeeded"
    assert done[("slot-watch", SLOT)]["action"] == "obsolete"
    assert done[("slot-watch", SLOT)]["reason"] == f"nothing left to watch: a run succeeded for slot {SLOT}"
    checked = done[("slot-watch", other)]
    assert checked["action"] == "checked" and checked["execution_arn"].endswith(":dlq-20261129T070000Z-report")
    assert aws.ended(checked["execution_arn"])["status"] == "SUCCEEDED"
    alerts = [(a["kind"], a["slot"]) for a in aws.alerts()]
    assert ("missed", other) in alerts and all(slot != SLOT for _, slot in alerts)
    assert _waiting(queue) == []
    assert f"{SHARED.schedule_dead_letter_queue} is empty; its alarm {SHARED.schedule_dead_letter_alarm}" in err

    _undelivered(queue, JOB, other, watch=True)  # delivered to the queue twice: the watch is not started twice
    code, out, _ = jobctl(capsys, "--json", "dlq", "replay")
    [again] = json.loads(out)["messages"]
    assert (code, again["replay"]["reason"]) == (0, "the slot watch checked this slot already")
    assert _waiting(queue) == []
    aws.no_more_runs()


def test_dlq_delete_removes_by_message_by_job_or_all_and_asks_first(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = _queue()
    first = _undelivered(queue, JOB, SLOT)
    _undelivered(queue, JOB, "2026-11-29T07:00:00Z", watch=True)
    _undelivered(queue, "export", SLOT)
    _undelivered(queue, "import", SLOT)

    code, _, err = jobctl(capsys, "dlq", "delete", "--all")  # off a terminal, without --yes
    assert code == 2 and "not on a terminal, so nobody can answer; add --yes" in err
    assert len(_waiting(queue)) == 4
    code, _, err = jobctl(capsys, "dlq", "delete")
    assert code == 2 and "say what to delete: --message ID (repeatable), --job JOB, or --all" in err

    code, out, _ = jobctl(capsys, "dlq", "delete", "--message", first, "--yes")
    assert code == 0 and first in out and "deleted by `jobctl dlq delete`" in out
    code, out, _ = jobctl(capsys, "--json", "dlq", "delete", "--job", JOB, "--yes")
    assert [m["replay"]["action"] for m in json.loads(out)["messages"]] == ["deleted"]  # the watch's start
    assert sorted(json.loads(m["Body"])["scheduledTime"] for m in _waiting(queue)) == [SLOT, SLOT]
    code, _, err = jobctl(capsys, "dlq", "delete", "--all", "--yes")
    assert code == 0 and _waiting(queue) == [] and "is empty; its alarm" in err
    code, _, err = jobctl(capsys, "dlq", "delete", "--message", first, "--yes")
    assert code == 1 and f"no message {first} in {SHARED.schedule_dead_letter_queue}" in err


def test_dlq_says_when_the_stack_has_no_dead_letter_queue(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = jobctl(capsys, "dlq")
    assert code == 6
    assert "the stack has no dead-letter queue 'test-job-schedule-dlq' in eu-central-1 (stack setting " in err
    assert "scheduleDeadLetterQueue: false)" in err


def test_redrive_runs_the_latest_failed_runs_slot_as_a_new_run(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    machine = aws.job_machine(NO_RETRIES.model_copy(update={"inputs": {"DAY": None}}))
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
