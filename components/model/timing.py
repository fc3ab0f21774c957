"""How long a run may take in total, from a job's timeout and retries: the execution timeout and the
lock's lifetime are both derived here so they can never disagree."""

from __future__ import annotations

from components.model.aws_constants import SQS_MAX_MESSAGE_RETENTION_SECONDS

# Start failures (no capacity, ECS throttling) are retried this way before a run counts as failed.
START_RETRY_ATTEMPTS = 3
START_RETRY_INTERVAL_SECONDS = 30
START_RETRY_BACKOFF_RATE = 2.0
# Room for the lock and unlock steps, their retries and the delay between them.
LOCK_STEPS_MARGIN_SECONDS = 300
# The lock outlives the execution by this much, so a live execution never holds an expired lock.
LOCK_EXPIRY_MARGIN_SECONDS = 600


def _backoff_total(attempts: int, interval: int, rate: float) -> int:
    return int(sum(interval * rate**i for i in range(attempts)))


def total_attempts(retry_attempts: int, spot: bool) -> int:
    """Every attempt one execution may make: one on Spot, the run, its retries, and the start retries."""
    return (1 if spot else 0) + 1 + retry_attempts + START_RETRY_ATTEMPTS


def execution_timeout_seconds(
    timeout: int, retry_attempts: int, retry_interval: int, backoff_rate: float, spot: bool = False
) -> int:
    """The longest a whole execution may take, from the same loop the state machine runs
    (components/documents/attempts.py): every attempt it may make at the job's full timeout (one on Spot, then
    the run and its retries, and every start retry, since a task may fail to start only after minutes), the
    longest waits between them (full jitter waits at most its interval), and the lock steps."""
    attempts = total_attempts(retry_attempts, spot)
    start_waits = _backoff_total(START_RETRY_ATTEMPTS, START_RETRY_INTERVAL_SECONDS, START_RETRY_BACKOFF_RATE)
    job_waits = _backoff_total(retry_attempts, retry_interval, backoff_rate)
    return attempts * timeout + start_waits + job_waits + LOCK_STEPS_MARGIN_SECONDS


def lock_lifetime_seconds(execution_timeout: int) -> int:
    """How long after the execution started its lock stays valid if nobody releases it."""
    return execution_timeout + LOCK_EXPIRY_MARGIN_SECONDS


# A start EventBridge Scheduler could not deliver is retried for up to an hour, then goes to the
# dead-letter queue (RetryPolicy allows 0-185 attempts and 60-86400 s, CreateSchedule API): a start may come that
# long after its slot, so no slot is called missed before it (components/model/deadlines.py).
SCHEDULE_RETRY_ATTEMPTS = 20
SCHEDULE_MAX_EVENT_AGE_SECONDS = 3600

# A slot's claim (components/model/lock_item.py) is kept as long as the schedules' dead-letter queue keeps a
# start that could not be delivered, so a start replayed from it still meets the claim of a slot that ran.
SLOT_CLAIM_RETENTION_SECONDS = SQS_MAX_MESSAGE_RETENTION_SECONDS
# How far past its execution's start a run's slot may lie: a delivered slot is never after its invocation
# (components/documents/run_inputs.py cites Scheduler); this covers two services' clocks. No AWS page gives it.
FUTURE_SLOT_ALLOWANCE_SECONDS = 60
