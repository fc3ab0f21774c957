"""concurrency="replace", executed on moto through tests/support/moto_harness.py
and tests/support/moto_run_states.py (workarounds 1-11
there). Every assertion is on the lock table, on the states an execution entered and on how it ended."""

from __future__ import annotations

import threading
import time

from moto.dynamodb.models import DynamoDBBackend

from tests.support import moto_harness as harness
from tests.support import moto_run_states as run_states
from tests.support.moto_harness import JOB, SHARED, WAIT, Aws
from tests.support.moto_run_states import (
    REPLACE,
    REPLACED_UP_TO_RUN,
    answer_success,
    assert_replaced,
    assert_skipped_after_reading,
    before_reads_of_the_lock,
    create_machine,
    execution_arn,
)

aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS
aws_sdk_parameters = run_states.aws_sdk_parameters  # workaround 11, for every test here
waits = run_states.waits  # workaround 10: Wait states recorded, not slept


# --- concurrency="replace" ------------------------------------------------------------------------------------


def test_replacer_stops_the_live_holder_takes_the_lock_and_runs(aws: Aws) -> None:
    machine = create_machine(aws, REPLACE)
    holder = aws.start(machine, "holder")
    aws.next_run()
    assert aws.holder() == holder

    replacer = aws.start(machine, "replacer")
    run = aws.next_run()
    assert run.execution == replacer
    assert aws.entered(replacer) == REPLACED_UP_TO_RUN
    assert aws.holder() == replacer
    assert_replaced(aws, holder, by=[replacer])
    assert aws.holder() == replacer  # the stopped holder released nothing

    answer_success(aws, run)
    aws.no_more_runs()
    assert aws.lock() is None


def test_two_replacers_started_together_one_runs_and_one_skips(aws: Aws) -> None:
    machine = create_machine(aws, REPLACE)
    holder = aws.start(machine, "holder")
    aws.next_run()

    # "Together": both replacers read the holder before either takes the lock over (the first two reads
    # meet at a barrier), so both stop the same holder and the conditional TakeOverLock alone decides.
    both_read = threading.Barrier(2, timeout=WAIT)
    first_two = iter([True, True])

    def meet_at_the_barrier(_: DynamoDBBackend) -> None:
        if next(first_two, False):
            both_read.wait()

    before_reads_of_the_lock(aws, meet_at_the_barrier)
    replacers = aws.start_together(machine, 2)
    run = aws.next_run()
    assert run.execution in replacers
    assert aws.entered(run.execution) == REPLACED_UP_TO_RUN
    (loser,) = [execution for execution in replacers if execution != run.execution]
    assert_skipped_after_reading(aws, loser)
    aws.no_more_runs()
    assert aws.holder() == run.execution
    assert_replaced(aws, holder, by=replacers)  # both stopped it

    answer_success(aws, run)
    aws.no_more_runs()
    assert aws.lock() is None


def test_replacer_that_reads_the_lock_after_the_other_took_it_over_replaces_that_one(aws: Aws) -> None:
    """Where "exactly one of two replacers runs" ends: if one replacer takes the lock over before the other
    has read it, the other reads the new holder and replaces it in turn (both start a run; the first is
    stopped). The lock never has two holders, and the execution started last runs."""
    machine = create_machine(aws, REPLACE)
    holder = aws.start(machine, "holder")
    aws.next_run()

    late_read_waiting, go_on = threading.Event(), threading.Event()
    first = iter([True])

    def hold_the_first_read(_: DynamoDBBackend) -> None:
        if next(first, False):
            late_read_waiting.set()
            assert go_on.wait(WAIT)

    before_reads_of_the_lock(aws, hold_the_first_read)
    late = aws.start(machine, "late")  # its AcquireLock fails (holder); its read waits
    assert late_read_waiting.wait(WAIT)
    early = aws.start(machine, "early")
    early_run = aws.next_run()
    assert early_run.execution == early
    assert aws.holder() == early
    assert_replaced(aws, holder, by=[early])

    go_on.set()  # the late replacer reads the lock now: early holds it
    late_run = aws.next_run()
    assert late_run.execution == late
    assert aws.entered(late) == REPLACED_UP_TO_RUN
    assert aws.holder() == late
    assert_replaced(aws, early, by=[late], entered=tuple(REPLACED_UP_TO_RUN))

    answer_success(aws, late_run)
    aws.no_more_runs()
    assert aws.lock() is None


def test_lock_released_between_the_failed_put_and_the_read_is_taken_without_a_stop(aws: Aws) -> None:
    aws.put_lock(execution_arn("finishing"), int(time.time()) + 3600)
    # The holder releases its lock just after the replacer's AcquireLock failed: before the (first) read.
    first = iter([True])

    def release_before_the_first_read(backend: DynamoDBBackend) -> None:
        if next(first, False):
            backend.delete_item(SHARED.lock_table, {"LockId": {"S": JOB}})

    before_reads_of_the_lock(aws, release_before_the_first_read)
    replacer = aws.start(create_machine(aws, REPLACE), "replacer")
    run = aws.next_run()
    assert run.execution == replacer
    taken_over = ["ClaimSlot", "AcquireLock", "ReadLockHolder", "LockHolderFound", "TakeOverLock", "RunJob"]
    assert aws.entered(replacer) == taken_over
    assert aws.holder() == replacer

    answer_success(aws, run)
    assert aws.lock() is None


def test_lock_of_an_execution_that_does_not_exist_is_taken_over(aws: Aws) -> None:
    # StopExecution answers ExecutionDoesNotExist (moto, like AWS), which StopLockHolder catches.
    aws.put_lock(execution_arn("never-started"), int(time.time()) + 3600)
    replacer = aws.start(create_machine(aws, REPLACE), "replacer")
    run = aws.next_run()
    assert run.execution == replacer
    assert aws.entered(replacer) == REPLACED_UP_TO_RUN
    history = aws.sfn.get_execution_history(executionArn=replacer)["events"]
    assert [e["taskFailedEventDetails"]["error"] for e in history if "taskFailedEventDetails" in e] == [
        "DynamoDB.ConditionalCheckFailedException",  # AcquireLock
        "Sfn.ExecutionDoesNotExistException",  # StopLockHolder, caught
    ]
    assert aws.holder() == replacer

    answer_success(aws, run)
    assert aws.lock() is None
