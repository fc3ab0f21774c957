"""A redriven execution (the console's Redrive button, RedriveExecution) never runs the task, executed on moto:
every state of a job's machine a redrive can re-enter on the way to a run, for every kind of job, ends in the
refusal, alerted, with the lock as it found it (or released, if the redrive took it again).

moto has no RedriveExecution: workaround 12 in tests/support/moto_harness.py starts the machine at the
re-entered state with the Context object's Execution.RedriveCount at 1, as AWS redrives "from the unsuccessful
step" with "the same input" (Step Functions API reference, RedriveExecution)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from components.documents.redrive import REDRIVE_REFUSED
from components.model.spec import Job
from tests.support.moto_harness import ACCOUNT, JOB, REGION, REPORT, Aws, running_aws, with_redrive_counts

ANOTHER_RUN = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:test-report:the-next-slots-run"
SLOT = {"scheduledTime": "2026-12-07T06:00:00Z"}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with_redrive_counts(monkeypatch)  # workaround 12
    yield from running_aws(monkeypatch)


# Each kind of job, and the states of its machine that lie on the way to a run (a redrive re-enters the state an
# execution failed, was stopped or timed out in: the run itself, the waits before another attempt, the
# classifier, and the states that take the lock).
KINDS: dict[str, tuple[Job, tuple[str, ...]]] = {
    "forbid": (
        REPORT,
        ("RunJob", "WaitBeforeRetry", "WaitBeforeStartRetry", "ClassifyAttempt", "AcquireLock", "ReadLockHolder"),
    ),
    "replace": (
        REPORT.model_copy(update={"concurrency": "replace"}),
        ("RunJob", "WaitBeforeRetry", "ClassifyAttempt", "AcquireLock", "ReadLockHolder", "LockHolderFound"),
    ),
    "spot": (
        REPORT.model_copy(update={"capacity": "spot"}),
        ("RunJobOnSpot", "RunJob", "WaitBeforeRetry", "ClassifyAttempt"),
    ),
    "allow": (REPORT.model_copy(update={"concurrency": "allow"}), ("RunJob", "WaitBeforeRetry", "StartRun")),
}
CASES = [(kind, state) for kind, (_, states) in KINDS.items() for state in states]


def _refused(aws: Aws, execution: str) -> None:
    ended = aws.ended(execution)
    assert (ended["status"], ended.get("error")) == ("FAILED", REDRIVE_REFUSED), ended
    assert f"jobctl redrive {JOB}" in ended["cause"]
    time.sleep(0.2)  # a run the machine asked for would be on the stand-in's queue by now
    aws.no_more_runs()
    [alert] = aws.alerts()
    assert (alert["kind"], alert["job"], alert["slot"], alert["redriveCount"]) == (
        "redrive-refused",
        JOB,
        SLOT["scheduledTime"],
        1,
    )
    assert f"jobctl redrive {JOB}" in alert["cause"]


@pytest.mark.parametrize(("kind", "state"), CASES, ids=[f"{kind}-{state}" for kind, state in CASES])
def test_a_redrive_into_any_state_before_the_run_runs_nothing_and_leaves_the_next_runs_lock(
    aws: Aws, kind: str, state: str
) -> None:
    """The janitor released the stopped execution's lock long ago and the next slot's run holds it now."""
    job, _ = KINDS[kind]
    if job.concurrency != "allow":
        aws.put_lock(ANOTHER_RUN, int(time.time()) + 3600)
    redriven = aws.redrive(aws.redriven_machine(job, state), SLOT)
    _refused(aws, redriven)
    if job.concurrency != "allow":
        assert aws.holder() == ANOTHER_RUN


@pytest.mark.parametrize("kind", ["forbid", "replace"])
def test_a_redrive_that_takes_the_lock_again_releases_it_when_it_refuses(aws: Aws, kind: str) -> None:
    """Stopped in AcquireLock: the redrive takes the (free) lock as a new start would, then refuses the run and
    gives the lock back, so the next slot's run is not skipped."""
    job, _ = KINDS[kind]
    redriven = aws.redrive(aws.redriven_machine(job, "AcquireLock"), SLOT)
    _refused(aws, redriven)
    assert "RefuseRedrive" in aws.entered(redriven)
    assert aws.lock() is None


def test_a_redrive_whose_lock_the_janitor_has_not_released_yet_releases_it(aws: Aws) -> None:
    """A redrive keeps the execution's ARN (RedriveExecution): a lock still held under it is this execution's,
    and the refusal releases it."""
    machine = aws.redriven_machine(REPORT, "RunJob")
    own_arn = machine.replace(":stateMachine:", ":execution:") + ":redrive-1"
    aws.put_lock(own_arn, int(time.time()) + 3600)
    _refused(aws, aws.redrive(machine, SLOT))
    assert aws.lock() is None


def test_an_execution_that_was_not_redriven_still_runs(aws: Aws) -> None:
    """The control: with RedriveCount 0 in the Context object the same machine runs the task."""
    execution = aws.start(aws.job_machine(), "scheduled-1", SLOT)
    run = aws.next_run()
    assert run.execution == execution
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(execution)["status"] == "SUCCEEDED"


@pytest.mark.parametrize("state", ["ReadLockHolder", "LockHolderFound", "StopLockHolder"])
def test_a_redriven_replace_job_never_stops_the_run_that_holds_the_lock(aws: Aws, state: str) -> None:
    """concurrency="replace": a new start stops the lock's holder; a redrive re-entering the states that do so
    must not stop the next slot's run, which is running."""
    job, _ = KINDS["replace"]
    running = aws.start(aws.job_machine(job), "the-next-slots-run", SLOT)
    run = aws.next_run()
    redriven = aws.redrive(aws.redriven_machine(job, state), SLOT)
    ended = aws.ended(redriven)
    assert ended["status"] == "FAILED", ended
    # StopLockHolder re-entered directly raises before StopExecution is called and ends in FailRun (the
    # refusal's alert is only on the paths through ClassifyAttempt and LockHolderFound: redrive.py).
    if state != "StopLockHolder":
        assert ended["error"] == REDRIVE_REFUSED
    assert aws.sfn.describe_execution(executionArn=running)["status"] == "RUNNING"
    assert aws.holder() == running
    aws.task_stopped(run, exit_code=0)
    assert aws.ended(running)["status"] == "SUCCEEDED"
