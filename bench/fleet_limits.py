"""Fleets of real shape against AWS's limits: `python bench/fleet_limits.py [--sizes 500 2000]` (about a minute).

Each generated job reads secrets of its own (tests/support/fleets.py: SSM parameter names and ARNs, Secrets Manager
ARNs with and without their suffix, some by JSON key), every third has permissions (a task role), the jobs use
several images, carry tags, and have names as long as the prefix allows. For each size it prints the stack's
footprint against AWS's default quotas, its execution roles, the largest document of each kind against its size
limit (components/documents/limits.py), and how long the limits check takes per job, as a ratio between sizes.
Targets are reported, never enforced."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from report import print_table, target

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from components.documents.execution_roles import execution_roles  # noqa: E402
from components.documents.footprint import footprint, footprint_rows  # noqa: E402
from components.documents.limits import headroom_rows, stack_headroom, stack_limit_problems  # noqa: E402
from components.documents.rendered import job_machine_documents  # noqa: E402
from components.model.arns import AwsEnv  # noqa: E402
from components.model.stack import Stack  # noqa: E402
from tests.support.fleets import PREFIX, fleet_stack  # noqa: E402

ENV = AwsEnv("aws", "eu-central-1", "123456789012")
SECRETS_PER_JOB = 5
IMAGES = 8
# The longest job name the prefix allows is 54 characters (its task role `<prefix>-<job>-task`, 64): 49 + "-0001".
LONG_TAG = "nightly-billing-reconciliation-export-to-ledger-x"[:49]
FLAT_TOLERANCE = 1.15  # as bench/evaluation.py: time per job at the largest size within 1.15x of the smallest
REPEATS = 3


def _seconds(stack: Stack) -> float:
    """The program's added work: the limits check given the job machines it builds anyway (SharedInfra)."""
    machines = [job_machine_documents(job, stack, ENV) for job in stack.jobs]
    texts = {job.name: json.dumps(m.definition, sort_keys=True) for job, m in zip(stack.jobs, machines, strict=True)}
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        stack_limit_problems(stack, ENV, machines, texts)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def report(size: int) -> float:
    stack = fleet_stack(size, SECRETS_PER_JOB, images=IMAGES, tag=LONG_TAG)
    print(f"\n{size} jobs x {SECRETS_PER_JOB} secrets of their own, permissions on every third, {IMAGES} images")
    print_table(["what", "this stack", "default quota", "share", "source"], footprint_rows(footprint(stack)))
    roles = execution_roles(stack, ENV)
    sizes = sorted(len(role.jobs) for role in roles)
    print(f"execution roles: {len(roles)} ({sizes[0]} to {sizes[-1]} jobs each), {PREFIX}-job-execution and -2 ...")
    found, problems = stack_headroom(stack, ENV)
    print_table(["document", "largest", "size", "used", "source"], headroom_rows(found)[:6])
    closest = max(found, key=lambda h: h.share)
    target(
        f"every document within its AWS limit at {size} jobs",
        f"largest share {closest.share:.0%} ({closest.largest}), {len(problems)} refused",
        not problems,
    )
    seconds = _seconds(stack)
    print(f"limits check: {seconds:.2f} s ({seconds / size * 1000:.2f} ms per job)")
    return seconds / size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    sizes = sorted(parser.parse_args().sizes)
    per_job = {size: report(size) for size in sizes}
    if len(sizes) > 1:
        growth = per_job[sizes[-1]] / per_job[sizes[0]]
        target(
            f"limits check time per job flat from {sizes[0]} to {sizes[-1]} jobs (<= {FLAT_TOLERANCE}x)",
            f"{growth:.2f}x",
            growth <= FLAT_TOLERANCE,
        )


if __name__ == "__main__":
    main()
