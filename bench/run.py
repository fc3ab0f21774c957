"""Performance figures of the program in one run: `python bench/run.py` (about 3-4 minutes on 2 cores).

1. program evaluation under Pulumi mocks for 1, 50 and 500 generated jobs, against a floor program
   that registers the same resources with none of our logic (bench/floor_program.py);
2. AWS resources per job beyond the shared ones, counted from the registered resources;
3. state transitions per execution, walked along the generated definition;
4. the time of the test suite and of the offline plan.

Targets are reported, never enforced: the script exits 0 whatever the figures."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

from evaluation import PROJECT, SIZES, evaluation, print_evaluation
from report import print_table, target

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

JOB_COMPONENT = f"{PROJECT}:jobs:ScheduledJob"
RESOURCES_PER_ADDED_JOB_TARGET = 5.0  # issue 15: at most 5 AWS resources per added job on average
SUCCESS_TRANSITIONS_TARGET = 5  # issue: a first-try success costs at most 5 transitions
PYTEST_TIMEOUT_SECONDS = 300


# ---------------------------------------------------------------- 2. resources per job


def resources_per_job(recordings: dict[int, Path]) -> None:
    print("\n2. AWS resources per job (custom resources; component resources excluded)")
    loaded = {size: json.loads(path.read_text())["resources"] for size, path in recordings.items()}
    customs = {size: [r for r in entries if not r["component"]] for size, entries in loaded.items()}
    largest = max(loaded)
    per_job: dict[str, Counter[str]] = {}
    for r in customs[largest]:
        if under_job(r):
            per_job.setdefault(r["parent"].split("::")[-1], Counter())[r["type"]] += 1
    counts = Counter(sum(c.values()) for c in per_job.values())
    shared = {size: sum(1 for r in entries if not under_job(r)) for size, entries in customs.items()}
    print(f"per job ({largest} jobs): " + ", ".join(f"{n} resources for {k} jobs" for n, k in sorted(counts.items())))
    jobs_with = Counter(t for c in per_job.values() for t in c)
    for typ in sorted(jobs_with):
        most = max(c[typ] for c in per_job.values())
        print(f"  {typ:45} x{most}  ({jobs_with[typ]} of {len(per_job)} jobs)")
    print("shared (not under a job): " + ", ".join(f"{shared[s]} at {s} jobs" for s in sorted(shared)))
    roles = {size: sum(1 for r in entries if r["type"] == "aws:iam/role:Role") for size, entries in customs.items()}
    print("IAM roles: " + ", ".join(f"{roles[s]} at {s} jobs" for s in sorted(roles)))
    if len(customs) > 1:
        sizes = sorted(customs)
        a, b = sizes[-2], sizes[-1]
        marginal = (len(customs[b]) - len(customs[a])) / (b - a)
        role_rate = (roles[b] - roles[a]) / (b - a)
        print(
            f"marginal: {marginal:.2f} custom resources and {role_rate:.2f} IAM roles per added job ({a} -> {b} jobs)"
        )
        target(
            f"<= {RESOURCES_PER_ADDED_JOB_TARGET} resources per added job on average",
            f"{marginal:.2f} (most for one job: {max(counts)})",
            marginal <= RESOURCES_PER_ADDED_JOB_TARGET,
        )
    print(SHARING_NOTE)


def under_job(entry: dict[str, Any]) -> bool:
    """Whether a recorded resource is a child of a ScheduledJob (its parent URN ends in that type and a name)."""
    parts = (entry["parent"] or "").split("::")
    return len(parts) >= 2 and parts[-2].endswith(JOB_COMPONENT)


SHARING_NOTE = """shared per stack, and what each sharing costs (docs/performance.md, "Scale"):
  - state machine role: one for all job state machines, scoped by the name prefix (-1 resource and -1 role per
    job); one job's machine may now run another job's task and touch its lock item (generated code, not user
    code).
  - task role: only for a job with `permissions` (-1 resource and -1 role per job without); a job's own
    permissions stay on its own role.
  - not shared: the log group (per-job retention and `jobctl logs` by group; one stack group would save one
    more resource per job), the slot-watch schedule, job schedule, task definition and state machine."""


# ---------------------------------------------------------------- 3. state transitions


def transitions() -> None:
    from transitions import walk

    from components.documents.alert_messages import AlertTarget
    from components.documents.job_machine import job_definition
    from components.documents.run_task import RunTarget
    from components.model.arns import AwsEnv
    from components.model.aws_constants import DYNAMODB_CONDITION_FAILED, TASK_FAILED
    from components.model.naming import job_names
    from components.model.spec import Job
    from components.model.stack import StackJob

    print("\n3. State transitions per execution (walked along components.documents.job_machine.job_definition)")
    env = AwsEnv("aws", "eu-central-1", "123456789012")
    where = RunTarget(
        env, "bench", "cluster", "family", "job", ("subnet-1",), ("sg-1",), False, "task-role", "execution-role"
    )
    alerts = AlertTarget(env.arn("sns", "bench-job-alarms"), "bench", env.region)

    def definition(**fields: Any) -> dict[str, Any]:
        spec = Job(name="bench", command=["x"], timeout="30m", **fields)
        return job_definition(
            StackJob("bench", "jobs/bench.py", spec, job_names("bench", "bench")), where, "locks", alerts
        )

    forbid, allow = definition(retries=1), definition(retries=1, concurrency="allow")
    spot, replace = definition(capacity="spot"), definition(concurrency="replace")
    # ClassifyAttempt's rules, in order (components/documents/attempts.py): 0 success after an alerted
    # failure, 1 success, 2 timeout, then on Spot 3 "run on demand"; then the start retry, then the job
    # retry. AlertNow's Default is "no alert yet" (the first failure alerts: rule 0).
    success: dict[str, list[int | None]] = {"ClassifyAttempt": [1]}
    job_retry_then: dict[str, list[int | None]] = {"ClassifyAttempt": [4, None], "AlertNow": [0]}
    holder_found: dict[str, list[int | None]] = {"LockHolderFound": [None], "ClassifyAttempt": [1]}
    Scenario = tuple[str, dict[str, Any], dict[str, list[str]], dict[str, list[int | None]]]
    scenarios: list[Scenario] = [
        ("success, first try", forbid, {}, success),
        ("skip (lock held)", forbid, {"AcquireLock": [DYNAMODB_CONDITION_FAILED]}, {"LockHolderFound": [None]}),
        ("skip (job paused)", forbid, {"AcquireLock": [DYNAMODB_CONDITION_FAILED]}, {"LockHolderFound": [0]}),
        ("skip (slot delivered again)", forbid, {"ClaimSlot": [DYNAMODB_CONDITION_FAILED]}, success),
        ("failure, retried once, fails again", forbid, {"RunJob": [TASK_FAILED, TASK_FAILED]}, job_retry_then),
        ("failure, retried once, succeeds", forbid, {"RunJob": [TASK_FAILED, "ok"]}, {"ClassifyAttempt": [4, 1]}),
        ("start failure, started again", forbid, {"RunJob": ["AmazonECS.Unknown", "ok"]}, {"ClassifyAttempt": [3, 1]}),
        ('success, concurrency="allow"', allow, {}, success),
        ("success on Fargate Spot", spot, {}, success),
        (
            "Spot capacity unavailable, on demand",
            spot,
            {"RunJobOnSpot": ["AmazonECS.Unknown"]},
            {"ClassifyAttempt": [3, 1]},
        ),
        ('concurrency="replace", holder stopped', replace, {"AcquireLock": [DYNAMODB_CONDITION_FAILED]}, holder_found),
    ]
    rows = []
    counts = {}
    for label, machine, outcomes, choices in scenarios:
        path = walk(machine, outcomes, choices)
        entered = [p for p in path if not p.startswith("(")]
        counts[label] = len(entered)
        rows.append([label, str(len(entered)), " > ".join(path)])
    print_table(["execution", "transitions", "path"], rows)
    first_try = counts["success, first try"]
    target(f"success <= {SUCCESS_TRANSITIONS_TARGET}", str(first_try), first_try <= SUCCESS_TRANSITIONS_TARGET)


# ---------------------------------------------------------------- 4. suite and check


def timed(command: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess[str] | None]:
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None
    return time.perf_counter() - start, done


def time_plan(label: str, plan: list[str]) -> None:
    times = []
    for _ in range(5):
        seconds, done = timed(plan, 60)
        if done is None or done.returncode != 0:
            print(f"{label}: failed or timed out ({seconds:.1f}s)")
            return
        times.append(seconds)
    print(f"{label}: {statistics.median(times):.2f}s (median of {len(times)})")


def suite_and_check(tmp: Path, generated: tuple[int, Path], run_tests: bool) -> None:
    """The offline plan of the dev stack and of the largest generated project, then the test suite."""
    from tests.support.pulumi_mocks import BASE_CONFIG

    print("\n4. Test suite and offline check")
    time_plan("python plan.py --stack dev", [sys.executable, "plan.py", "--stack", "dev", "--out", str(tmp / "plan")])
    size, project = generated
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "Pulumi.bench.yaml").write_text(json.dumps({"config": BASE_CONFIG}))  # JSON is YAML
    plan = [sys.executable, "plan.py", "--stack", "bench", "--root", str(project), "--out", str(tmp / "plan-bench")]
    time_plan(f"python plan.py for the {size} generated jobs", plan)
    if not run_tests:
        print("python -m pytest -q: skipped (--no-tests)")
        return
    seconds, done = timed(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=3"], PYTEST_TIMEOUT_SECONDS
    )
    if done is None:
        print(f"python -m pytest -q: did not finish within {PYTEST_TIMEOUT_SECONDS}s")
        return
    lines = done.stdout.strip().splitlines()
    # pyproject's addopts adds a second -q, which drops pytest's summary line: count the progress marks.
    marks = Counter("".join(m.group(1) for line in lines if (m := re.match(r"^([.FEsxX]+)\s*(\[\s*\d+%\])?$", line))))
    outcomes = {"passed": ".", "failed": "F", "errors": "E", "skipped": "s", "xfailed": "x", "xpassed": "X"}
    summary = ", ".join(f"{marks[c]} {word}" for word, c in outcomes.items() if marks[c]) or "no tests ran"
    summary += f" (exit code {done.returncode})"
    print(f"python -m pytest -q: {seconds:.1f}s (1 run): {summary}")
    slowest = [line for line in lines if re.match(r"^\d+\.\d+s (call|setup|teardown)", line)]
    for line in slowest:
        print(f"  slowest: {line}")


# ---------------------------------------------------------------- report


def revision() -> str:
    """The commit measured, marked when the working tree differs from it."""
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        return "commit unknown"
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", ":!bench"], capture_output=True, text=True, check=False
    )
    return f"commit {head.stdout.strip()}" + (" + uncommitted changes" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="job counts to evaluate")
    parser.add_argument("--no-tests", action="store_true", help="skip timing the test suite")
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        f"scheduled-jobs bench, {date.today()}, {revision()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pulumi {metadata.version('pulumi')}, "
        f"pulumi-aws {metadata.version('pulumi-aws')}\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as name:
        tmp = Path(name)
        rows, projects = evaluation(tmp, tuple(args.sizes))
        print_evaluation(rows)
        resources_per_job({size: p.recorded for size, p in projects.items()})
        transitions()
        largest = max(projects)
        suite_and_check(tmp, (largest, projects[largest].program), not args.no_tests)
    print(f"\nbench took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
