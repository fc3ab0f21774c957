"""AWS calls per jobctl command at 1, 50 and 500 jobs: `python bench/jobctl_calls.py` (about 2 minutes).

Each size gets a stack in moto (tests/support/jobctl_harness.py): N jobs, each with RUNS_PER_JOB finished runs,
its lock-table item and its schedule. Every command runs through `jobctl.cli.main`, and every AWS call it makes
is counted with a botocore `before-call` hook on each session boto3 opens (so retries do not count twice).
The time each count needs under Step Functions' API quotas is then worked out with their token buckets
(Step Functions developer guide, "Step Functions service quotas", API action throttling: bucket size and
refill rate per second; the figures are in QUOTAS below). Figures are printed, never enforced."""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SIZES = (1, 50, 500)
RUNS_PER_JOB = 6
# (bucket size, refill per second) of the Step Functions API actions jobctl uses, per account and region:
# Step Functions developer guide, "Step Functions service quotas" (API action throttling);
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html. "large": us-east-1, us-west-2,
# eu-west-1; "other": every other region. Calls to other services are not limited here (their quotas are
# far higher; see docs/jobctl.md).
QUOTAS: dict[str, dict[str, tuple[int, int]]] = {
    "large": {
        "ListStateMachines": (100, 5),
        "ListExecutions": (200, 5),
        "DescribeExecution": (300, 15),
        "DescribeStateMachine": (200, 20),
        "GetExecutionHistory": (400, 20),
        "StartExecution": (1300, 300),
        "StopExecution": (1000, 200),
    },
    "other": {
        "ListStateMachines": (100, 5),
        "ListExecutions": (100, 2),
        "DescribeExecution": (250, 10),
        "DescribeStateMachine": (200, 20),
        "GetExecutionHistory": (400, 20),
        "StartExecution": (800, 150),
        "StopExecution": (500, 25),
    },
}


class CallCounter:
    """Counts every API call of every boto3 session opened while `counting()` is on."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.on = False

    def hook(self, model: Any, **_: Any) -> None:
        if self.on:
            self.calls[model.name] += 1

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        self.calls = Counter()
        self.on = True
        try:
            yield self.calls
        finally:
            self.on = False


def install(counter: CallCounter) -> None:
    """Make every boto3.Session register the counter (jobctl opens its own session per command)."""
    import boto3

    original = boto3.Session

    class CountedSession(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.events.register("before-call", counter.hook)

    boto3.Session = CountedSession


def seconds_under_quotas(calls: Counter[str], quotas: dict[str, tuple[int, int]]) -> float:
    """The least time the calls need when each action's bucket starts full: (n - bucket) / refill, the
    slowest action deciding (the actions have separate buckets and run in parallel)."""
    times = [max(0.0, (n - quotas[op][0]) / quotas[op][1]) for op, n in calls.items() if op in quotas]
    return max(times, default=0.0)


def build_stack(size: int) -> Any:
    from tests.support import jobctl_harness as harness

    stack = harness.Stack()
    stack.schedule_group()
    for number in range(size):
        job = f"job-{number:03d}"
        stack.machine(job, harness.SUCCEEDS)
        stack.schedule(job, "cron(0 6 * * ? *)", "Europe/Berlin")
        for run in range(RUNS_PER_JOB):
            stack.execute(job, f"scheduled-{run}", wait=False)
        stack.hold_lock(job, harness.HOLDER, timedelta(hours=-1))
    stack.wait_for_all()
    stack.write_log("job-000", harness.TASK_ARN.rsplit("/", 1)[1], ["one line"])
    return stack


COMMANDS = (
    ("status", ["status"]),
    ("status --failing", ["status", "--failing"]),
    ("status JOB", ["status", "job-000"]),
    ("ls", ["ls"]),
    ("history JOB", ["history", "job-000"]),
    ("run JOB", ["run", "job-000"]),
    ("logs JOB", ["logs", "job-000"]),
    ("stop JOB --yes", ["stop", "job-000", "--yes"]),
    ("unlock JOB --yes", ["unlock", "job-000", "--yes"]),
)


def measure(sizes: tuple[int, ...]) -> dict[str, dict[int, tuple[Counter[str] | None, float, int]]]:
    from moto import mock_aws

    from jobctl.cli import main
    from tests.support.jobctl_harness import PREFIX, REGION

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        SCHEDULED_JOBS_PREFIX=PREFIX,
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    counter = CallCounter()
    install(counter)
    results: dict[str, dict[int, tuple[Counter[str] | None, float, int]]] = {label: {} for label, _ in COMMANDS}
    for size in sizes:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            started = time.perf_counter()
            build_stack(size)
            print(f"{size} jobs: stack built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
            for label, argv in COMMANDS:
                out, err = io.StringIO(), io.StringIO()
                with counter.counting() as calls, redirect_stdout(out), redirect_stderr(err):
                    started = time.perf_counter()
                    known = True
                    try:
                        code = main(argv)
                    except SystemExit as exit_:  # argparse: a command or option this version does not have
                        code, known = int(exit_.code or 0), False
                    seconds = time.perf_counter() - started
                results[label][size] = (Counter(calls) if known else None, seconds, code)
    return results


def report(results: dict[str, dict[int, tuple[Counter[str] | None, float, int]]], sizes: tuple[int, ...]) -> None:
    from report import print_table

    header = ["command", *(f"calls at {s}" for s in sizes)]
    header += [f"min. time at {sizes[-1]} (other / large regions)", f"moto time at {sizes[-1]}", "exit"]
    rows = []
    for label, by_size in results.items():
        last = by_size[sizes[-1]]
        if last[0] is None:
            rows.append([label, *("n/a" for _ in sizes), "-", "-", "-"])
            continue
        counts = [str(sum(c.values())) if (c := by_size[s][0]) is not None else "n/a" for s in sizes]
        other, large = (seconds_under_quotas(last[0], QUOTAS[kind]) for kind in ("other", "large"))
        rows.append([label, *counts, f"{other:.0f}s / {large:.0f}s", f"{last[1]:.1f}s", str(last[2])])
    print_table(header, rows)
    print(f"\nper API action at {sizes[-1]} jobs:")
    for label, by_size in results.items():
        calls = by_size[sizes[-1]][0]
        if calls:
            print(f"  {label}: " + ", ".join(f"{op} {n}" for op, n in sorted(calls.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    sizes = tuple(parser.parse_args().sizes)
    report(measure(sizes), sizes)


if __name__ == "__main__":
    main()
