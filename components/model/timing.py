"""How long a run may take in total, from a job's timeout and retries: the execution timeout and the
lock's lifetime are both derived here so they can never disagree."""

from __future__ import annotations

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


def execution_timeout_seconds(timeout: int, retry_attempts: int, retry_interval: int, backoff_rate: float) -> int:
    """The longest a whole execution may take: every allowed run at its full timeout, every wait
    between runs and between start attempts, and the lock steps."""
    runs = 1 + retry_attempts
    start_waits = _backoff_total(START_RETRY_ATTEMPTS, START_RETRY_INTERVAL_SECONDS, START_RETRY_BACKOFF_RATE)
    return (
        runs * timeout
        + runs * start_waits
        + _backoff_total(retry_attempts, retry_interval, backoff_rate)
        + LOCK_STEPS_MARGIN_SECONDS
    )


def lock_lifetime_seconds(execution_timeout: int) -> int:
    """How long after the execution started its lock stays valid if nobody releases it."""
    return execution_timeout + LOCK_EXPIRY_MARGIN_SECONDS
