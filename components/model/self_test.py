"""The self-test canaries (`scheduled-jobs:selfTest: true`): small jobs on a public image, run only by `jobctl
selftest`, whose behaviour each scenario chooses through its run's environment (EXIT_CODE, SLEEP). They prove
in the user's own account what no machine of ours can reach: that runs start, end, time out, stop, replace, use
Spot, release their locks and alert (docs/self-test.md)."""

from __future__ import annotations

from components.model.spec import Job

# busybox from ECR Public, which Fargate pulls without credentials (the subnets need a route to it: a NAT
# gateway, or assignPublicIp in a public subnet).
CANARY_IMAGE = "public.ecr.aws/docker/library/busybox:1.36"
CANARY_COMMAND = [
    "sh",
    "-c",
    'echo "selftest: $JOB_NAME attempt $JOB_ATTEMPT, slot $SCHEDULED_TIME"; '
    'sleep "${SLEEP:-0}"; exit "${EXIT_CODE:-0}"',
]
# What each scenario chooses through its run's input: the exit code, and how long to sleep first (seconds).
CANARY_INPUTS: dict[str, str | list[str] | None] = {"EXIT_CODE": r"\d{1,3}", "SLEEP": r"\d{1,4}"}
CANARY_TIMEOUT = "2m"  # the timeout scenario sleeps past it
CANARY = "selftest"  # concurrency "forbid": success, failure, timeout, two at once, stop, alert, slot twice
CANARY_REPLACE = "selftest-replace"  # concurrency "replace"
CANARY_SPOT = "selftest-spot"  # capacity "spot", only on the stack's own cluster (it has FARGATE_SPOT)
CANARY_NAMES = (CANARY, CANARY_REPLACE, CANARY_SPOT)
CANARY_SOURCE = "(scheduled-jobs:selfTest canary)"


def canaries(own_cluster: bool) -> list[Job]:
    """The canary jobs: no schedule, no retries, no permissions, the public image; Spot only on a cluster this
    stack made (an existing cluster may lack the FARGATE_SPOT capacity provider)."""
    common = {
        "command": CANARY_COMMAND,
        "timeout": CANARY_TIMEOUT,
        "image": CANARY_IMAGE,
        "description": "self-test canary: run only by `jobctl selftest`",
        "inputs": CANARY_INPUTS,
    }
    jobs = [
        Job(name=CANARY, **common),
        Job(name=CANARY_REPLACE, concurrency="replace", **common),
    ]
    if own_cluster:
        jobs.append(Job(name=CANARY_SPOT, capacity="spot", **common))
    return jobs
