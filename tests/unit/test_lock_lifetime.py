"""The rule the lock's expiry must keep, checked on the documents a job gets, not recomputed with the code
under test: a lock may expire only after its execution can no longer be running and after ECS may still be
stopping its task. A stopped or timed-out run's task gets SIGTERM, then SIGKILL after the container's
`stopTimeout` (ECS developer guide, task definition parameters, "stopTimeout": up to 120 s on Fargate)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.documents.containers import container_definitions
from components.documents.job_machine import job_definition
from tests.support.builders import ALERTS, TARGET, job

JOBS = {
    "30m, no retries": {"timeout": "30m"},
    "1m, 10 retries": {"timeout": "1m", "retries": {"attempts": 10, "interval": "10s", "backoff_rate": 1.0}},
    "6h, 2 retries with backoff": {"timeout": "6h", "retries": {"attempts": 2, "interval": "5m"}},
    "spot, 1h": {"timeout": "1h", "capacity": "spot"},
    "replace, 10m": {"timeout": "10m", "concurrency": "replace"},
}


def _lock_lifetime(definition: dict[str, Any], state: str) -> int:
    """Seconds from the execution's start to the lock's ExpiresAt, as the state writes it."""
    expires = definition["States"][state]["Arguments"]["ExpressionAttributeValues"][":expires"]["N"]
    match = re.fullmatch(
        r"\{% \$string\(\$floor\(\$toMillis\(\$states\.context\.Execution\.StartTime\) / 1000\) "
        r"\+ (\d+)\) %\}",
        expires,
    )
    assert match, expires
    return int(match.group(1))


@pytest.mark.parametrize("fields", JOBS.values(), ids=JOBS.keys())
def test_the_lock_outlives_the_execution_and_the_task_stopping_after_it(fields: dict[str, Any]) -> None:
    stack_job = job(**fields)
    definition = job_definition(stack_job, TARGET, "locks", ALERTS)
    [container] = container_definitions(stack_job.spec, stack_job.names, "image", "eu-central-1")
    states = ["AcquireLock", *(["TakeOverLock"] if fields.get("concurrency") == "replace" else [])]
    for state in states:
        lifetime = _lock_lifetime(definition, state)
        assert lifetime >= definition["TimeoutSeconds"] + container["stopTimeout"], state
        # ... and not for ever: a crashed run frees the job within half an hour of its execution's end.
        assert lifetime <= definition["TimeoutSeconds"] + 1800, state


def test_the_execution_outlasts_every_attempt_the_machine_may_make() -> None:
    """Each attempt at its full timeout, every wait, and the lock steps: literal figures, worked by hand."""
    retried = job(timeout="1m", retries={"attempts": 10, "interval": "10s", "backoff_rate": 1.0})
    # 1 run + 10 retries + 3 start retries = 14 attempts x 60 s; waits 10 x 10 s and 30 + 60 + 120; 300 for the lock
    assert job_definition(retried, TARGET, "locks", ALERTS)["TimeoutSeconds"] == 840 + 100 + 210 + 300
    spot = job(timeout="1h", capacity="spot")
    # one more attempt on Spot: 5 x 3600 + 210 + 300
    assert job_definition(spot, TARGET, "locks", ALERTS)["TimeoutSeconds"] == 18000 + 210 + 300
