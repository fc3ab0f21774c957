"""The slot watch, executed on moto with the job's own machine: a slot that is missed, started late, runs long,
is skipped, or ends in time, and the alert each sends (read from a queue subscribed to the stack's topic).
The watch's waits are held at gates (workaround 10 records them) so the test can run the job in between."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from components.documents.slot_watch import slot_watch_machine
from components.documents.table_machine import TableMachineArgs
from components.model.config import StackConfig
from components.model.spec import Job
from components.model.stack import Stack
from tests.support import moto_harness as harness
from tests.support.builders import stack_job
from tests.support.moto_harness import ACCOUNT, ALERTS, JOB, PREFIX, REGION, REPORT, ROLE, SHARED, WAIT, Aws
from tests.support.scheduler_model import fired

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS

SLOT = "2026-11-30T06:00:00Z"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{PREFIX}-{JOB}"
DLQ = SHARED.schedule_dead_letter_queue
NOT_STARTED = (
    f"no run started for this slot: EventBridge Scheduler may not have delivered it (look in SQS queue {DLQ}), "
    "or the job's schedule was changed or deleted"
)


def _scheduled(**fields: Any) -> Job:
    no_retries = REPORT.retries.model_copy(update={"attempts": 0})
    # Validated again, so durations are seconds as the deployed definition has them.
    return Job.model_validate(
        {**REPORT.model_copy(update={"retries": no_retries}).model_dump(), "schedule": "cron(0 6 * * ? *)", **fields}
    )


class Gates:
    """Hold the watch at its waits: each Wait state blocks until the test opens the next gate."""

    def __init__(self) -> None:
        self.reached = threading.Semaphore(0)
        self.open = threading.Semaphore(0)

    def wait_state(self, function: WaitFunction, env: Any, wait_seconds: int) -> None:
        self.reached.release()
        assert self.open.acquire(timeout=WAIT), "the test never opened the gate"

    def at_next_wait(self) -> None:
        assert self.reached.acquire(timeout=WAIT), "the watch never reached its next wait"

    def go_on(self) -> None:
        self.open.release()


@pytest.fixture
def gates(aws: Aws) -> Iterator[Gates]:
    gates = Gates()

    def wait_state(function: WaitFunction, env: Any, wait_seconds: int) -> None:
        gates.wait_state(function, env, wait_seconds)

    aws.monkeypatch.setattr(WaitFunction, "_wait_interval", wait_state)
    yield gates
    for _ in range(3):  # let a watch still held finish
        gates.go_on()


def _watch(aws: Aws, job: Job) -> tuple[str, str]:
    """The job's machine and the slot watch for a stack of that one job."""
    config = StackConfig.model_validate(
        {
            "region": REGION,
            "namePrefix": PREFIX,
            "image": "app:1",
            "subnets": ["subnet-0123456789abcdef0"],
            "securityGroups": ["sg-0123456789abcdef0"],
        }
    )
    stack = Stack("scheduled-jobs", PREFIX, config, [stack_job(job, PREFIX)])
    args = TableMachineArgs(env=harness.ENV, table=SHARED.lock_table, alerts=ALERTS)
    definition = slot_watch_machine(args, stack=stack, dead_letter_queue=DLQ).definition
    watch = aws.sfn.create_state_machine(
        name=SHARED.slot_watch_state_machine, definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    return aws.job_machine(job), str(watch)


def _start_watch(aws: Aws, watch: str) -> str:
    return aws.start(watch, "slot", {"job": JOB, "slot": SLOT})


def _alert_facts(alert: dict[str, Any]) -> dict[str, Any]:
    return {k: alert.get(k) for k in ("kind", "job", "slot", "known")}


def test_a_slot_nobody_ran_is_late_and_then_missed(aws: Aws, gates: Gates) -> None:
    _, watch = _watch(aws, _scheduled())
    execution = _start_watch(aws, watch)
    for _ in range(2):  # late, then the deadline (no warn_after)
        gates.at_next_wait()
        gates.go_on()
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert [_alert_facts(a) for a in aws.alerts()] == [
        {"kind": "late", "job": JOB, "slot": SLOT, "known": NOT_STARTED},
        {"kind": "missed", "job": JOB, "slot": SLOT, "known": NOT_STARTED},
    ]
    assert aws.entered(execution)[-3:] == ["EndedInTime", "SendMissedAlert", "Done"]


def test_a_slot_that_ran_in_time_sends_nothing(aws: Aws, gates: Gates) -> None:
    machine, watch = _watch(aws, _scheduled())
    execution = _start_watch(aws, watch)
    gates.at_next_wait()  # before the late check: the run starts in time
    run = aws.start(machine, "scheduled", {"scheduledTime": SLOT})
    task = aws.next_run()
    gates.go_on()
    gates.at_next_wait()  # before the deadline: the run ends well
    aws.task_stopped(task, exit_code=0)
    assert aws.ended(run)["status"] == "SUCCEEDED"
    gates.go_on()
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.alerts() == []


def test_a_late_start_alerts_once_and_a_success_before_the_deadline_is_not_missed(aws: Aws, gates: Gates) -> None:
    machine, watch = _watch(aws, _scheduled())
    execution = _start_watch(aws, watch)
    gates.at_next_wait()
    gates.go_on()  # late check: nothing started
    gates.at_next_wait()  # the deadline: meanwhile the run starts and succeeds
    run = aws.start(machine, "late-run", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=0)
    assert aws.ended(run)["status"] == "SUCCEEDED"
    gates.go_on()
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert [a["kind"] for a in aws.alerts()] == ["late"]


def test_a_long_run_says_so_once_and_one_still_running_at_the_deadline_is_missed(aws: Aws, gates: Gates) -> None:
    machine, watch = _watch(aws, _scheduled(warn_after="5m"))
    execution = _start_watch(aws, watch)
    gates.at_next_wait()
    run = aws.start(machine, "slow", {"scheduledTime": SLOT})
    aws.next_run()  # running, never answered
    gates.go_on()  # late check: started
    gates.at_next_wait()
    gates.go_on()  # warn check: still running
    gates.at_next_wait()
    gates.go_on()  # deadline: still running
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    long_run, missed = aws.alerts()
    assert (long_run["kind"], long_run["execution"]) == ("long-run", f"{EXECUTION}:slow")
    assert _alert_facts(missed) == {
        "kind": "missed",
        "job": JOB,
        "slot": SLOT,
        "known": f"still running: {EXECUTION}:slow",
    }
    aws.stop(run)


def test_a_slot_skipped_because_another_run_held_the_lock_is_missed_and_says_so(aws: Aws, gates: Gates) -> None:
    machine, watch = _watch(aws, _scheduled(late_after=None))
    execution = _start_watch(aws, watch)
    gates.at_next_wait()  # the deadline (no late check)
    earlier = aws.start(machine, "earlier-slot", {"scheduledTime": "2026-11-30T05:00:00Z"})
    held = aws.next_run()
    skipped = aws.start(machine, "this-slot", {"scheduledTime": SLOT})
    assert json.loads(aws.ended(skipped)["output"])["outcome"] == "skipped"
    gates.go_on()
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    [missed] = aws.alerts()
    assert missed["known"] == "skipped: another run held the lock"
    aws.task_stopped(held, exit_code=0)
    assert aws.ended(earlier)["status"] == "SUCCEEDED"


def test_a_failed_slot_is_not_missed_again_its_run_alerted(aws: Aws, gates: Gates) -> None:
    machine, watch = _watch(aws, _scheduled(late_after=None))
    execution = _start_watch(aws, watch)
    gates.at_next_wait()
    run = aws.start(machine, "fails", {"scheduledTime": SLOT})
    aws.task_stopped(aws.next_run(), exit_code=2)
    assert aws.ended(run)["status"] == "FAILED"
    gates.go_on()
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert [a["kind"] for a in aws.alerts()] == ["failed"]  # from the run itself, not from the watch


def test_a_rate_jobs_watch_keeps_the_jobs_own_slots_though_their_schedules_were_created_apart(
    aws: Aws, gates: Gates
) -> None:
    """Both schedules get the rate's cron (docs/runs.md#rate-schedules): the slot each hands its target, taken
    from the Scheduler model with the watch created 7 s after the job and the job updated an hour later, is one
    slot, so a run in time sends nothing."""
    job = _scheduled(schedule="rate(15 minutes)")
    deployed = job.parsed_schedule
    assert deployed is not None
    created = datetime(2026, 11, 30, 5, 31, 9, tzinfo=UTC)
    until = created + timedelta(hours=2)
    job_slots = fired(deployed.expression, job.schedule_timezone, created + timedelta(hours=1), until)
    watch_slots = fired(deployed.expression, job.schedule_timezone, created + timedelta(seconds=7), until)
    slot = job_slots[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert slot in {s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in watch_slots}
    machine, watch = _watch(aws, job)
    execution = aws.start(watch, "slot", {"job": JOB, "slot": slot})
    gates.at_next_wait()  # before the late check: the job's own schedule starts its run for its slot
    run = aws.start(machine, "scheduled", {"scheduledTime": slot})
    task = aws.next_run()
    gates.go_on()
    gates.at_next_wait()
    aws.task_stopped(task, exit_code=0)
    assert aws.ended(run)["status"] == "SUCCEEDED"
    gates.go_on()
    assert aws.ended(execution)["status"] == "SUCCEEDED"
    assert aws.alerts() == []


def test_a_watch_start_delivered_twice_alerts_once(aws: Aws, gates: Gates) -> None:
    _, watch = _watch(aws, _scheduled())
    first = _start_watch(aws, watch)
    gates.at_next_wait()  # the first delivery holds the slot's watch claim and waits to check
    again = aws.start(watch, "slot-again", {"job": JOB, "slot": SLOT})  # EventBridge Scheduler delivers it again
    assert aws.ended(again)["status"] == "SUCCEEDED"
    assert json.loads(aws.ended(again)["output"]) == {
        "watched": False,
        "reason": f"slot {SLOT} of {JOB} is already watched",
    }
    assert "WaitUntilLate" not in aws.entered(again)
    gates.go_on()
    gates.at_next_wait()
    gates.go_on()
    assert aws.ended(first)["status"] == "SUCCEEDED"
    assert [a["kind"] for a in aws.alerts()] == ["late", "missed"]  # once each
    claim = aws.stored(f"{JOB}#watch#{SLOT}")
    assert claim is not None and claim["ExecutionArn"]["S"] == first
    assert "ExpiresAt" in claim  # TTL removes the claim; never the job's own item
