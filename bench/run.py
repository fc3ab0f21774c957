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
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))

PROJECT = "scheduled-jobs"  # our component type tokens are "<project>:jobs:<Type>"
JOB_COMPONENT = f"{PROJECT}:jobs:ScheduledJob"
SIZES = (1, 50, 500)
REPEATS = {1: 5, 50: 5, 500: 3}
FLOOR_RATIO_TARGET = 1.25
FLAT_TOLERANCE = 1.15  # "flat": time per job at 500 jobs at most this times the time per job at 50
RESOURCES_PER_JOB_TARGET = 8
SUCCESS_TRANSITIONS_TARGET = 4
PYTEST_TIMEOUT_SECONDS = 300

# Generated jobs cycle through these, like the shipped examples: daily cron in a time zone with
# retries and a secret, a rate, a weekly cron, and a manual-only job without a lock.
JOB_TEMPLATES = (
    'schedule="cron(0 6 * * ? *)", timezone="Europe/Berlin", retries=2, cpu=512, memory=1024, '
    'secrets={"SMTP_PASSWORD": "/app/smtp/password"}',
    'schedule="rate(6 hours)", retries={"attempts": 1, "interval": "10m"}, '
    'secrets={"DATABASE_URL": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/db-Ab12Cd"}',
    'schedule="cron(30 7 ? * MON *)", timezone="America/New_York", environment={"DRY_RUN": "false"}',
    'concurrency="allow"',
)


# ---------------------------------------------------------------- worker: one measured program run


def worker(project: Path, warm: Path, record: Path | None) -> None:
    """Run in a fresh subprocess: warm up on a 1-job project, then time one evaluation of `project`.

    Prints one JSON line: wall and CPU seconds, peak RSS (MiB) and the number of registered resources."""
    import pulumi_aws  # noqa: F401  (imported before timing, like every module the program uses)

    import components.scheduled_job
    import components.shared  # noqa: F401
    from tests.pulumi_mocks import BASE_CONFIG, Project, run_program

    run_program(Project(warm), BASE_CONFIG)  # same warm state (lazy imports, caches) for both variants
    start, cpu_start = time.perf_counter(), time.process_time()
    mocks = run_program(Project(project), BASE_CONFIG)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if record is not None:
        entries = [
            {
                "type": r.type,
                "name": r.name,
                "inputs": r.inputs,
                "parent": r.parent,
                "component": r.type.startswith(f"{PROJECT}:"),
            }
            for r in mocks.resources
        ]
        record.write_text(json.dumps({"resources": entries, "exports": mocks.exports}))
    print(
        json.dumps(
            {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mib": peak_mib, "resources": len(mocks.resources)}
        )
    )


# ---------------------------------------------------------------- 1. evaluation against the floor


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float
    peak_mib: float
    resources: int


@dataclass
class Projects:
    program: Path
    floor: Path
    typed_floor: Path
    recorded: Path


def job_module(index: int) -> str:
    template = JOB_TEMPLATES[index % len(JOB_TEMPLATES)]
    return (
        "from components import Job\n\n"
        f'job = Job(description="Generated job {index}", command=["python", "-m", "app.tasks.t{index}"], '
        f'timeout="30m", {template})\n'
    )


def make_projects(tmp: Path, size: int) -> Projects:
    """A program project with `size` generated jobs, and a floor project that replays its recording."""
    from tests.pulumi_mocks import make_project

    program = make_project(tmp / f"program-{size}")
    for index in range(size):
        program.add_job(f"job_{index:04d}.py", job_module(index))
    floor = make_project(tmp / f"floor-{size}")
    shutil.copy(BENCH / "floor_program.py", floor.root / "__main__.py")
    typed = make_project(tmp / f"typed-floor-{size}")
    shutil.copy(BENCH / "floor_program.py", typed.root / "__main__.py")
    (typed.root / "typed").touch()
    return Projects(program.root, floor.root, typed.root, floor.root / "recorded.json")


def measure(project: Path, warm: Path, record: Path | None = None) -> Sample:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(project), "--warm", str(warm)]
    if record is not None:
        command += ["--record", str(record)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark run of {project} failed:\n{done.stderr[-4000:]}")
    return Sample(**json.loads(done.stdout.strip().splitlines()[-1]))


@dataclass
class Row:
    size: int
    resources: int
    program: list[Sample]
    floor: list[Sample]
    typed_floor: list[Sample]

    @staticmethod
    def median(samples: list[Sample], field: str) -> float:
        return float(statistics.median(getattr(s, field) for s in samples))

    def ratio(self, field: str = "seconds", typed: bool = False) -> float:
        return self.median(self.program, field) / self.median(self.typed_floor if typed else self.floor, field)

    def ms_per_job(self, samples: list[Sample]) -> float:
        return 1000 * self.median(samples, "seconds") / self.size


def evaluation(tmp: Path, sizes: tuple[int, ...]) -> tuple[list[Row], dict[int, Path]]:
    """Interleave program and floor runs per size; the first program run records what the floor replays."""
    warm = make_projects(tmp / "warm", 1).program
    rows, recordings = [], {}
    for size in sizes:
        projects = make_projects(tmp, size)
        program: list[Sample] = []
        floor: list[Sample] = []
        typed: list[Sample] = []
        for repeat in range(REPEATS.get(size, 3)):
            program.append(measure(projects.program, warm, projects.recorded if repeat == 0 else None))
            if repeat == 0:
                shutil.copy(projects.recorded, projects.typed_floor / "recorded.json")
            floor.append(measure(projects.floor, warm))
            typed.append(measure(projects.typed_floor, warm))
            print(
                f"  {size} jobs, run {repeat + 1}: program {program[-1].seconds:.2f}s, floor {floor[-1].seconds:.2f}s, "
                f"typed floor {typed[-1].seconds:.2f}s",
                flush=True,
            )
        for variant in (floor, typed):
            if program[0].resources != variant[0].resources:
                raise SystemExit(f"a floor registered {variant[0].resources} resources, program {program[0].resources}")
        rows.append(Row(size, program[0].resources, program, floor, typed))
        recordings[size] = projects.recorded
    return rows, recordings


def print_evaluation(rows: list[Row]) -> None:
    print("1. Program evaluation under Pulumi mocks (median; one subprocess per run, warmed by a 1-job run)")
    header = ["jobs", "runs", "resources", "program s", "floor s", "x floor", "x floor (CPU)"]
    header += ["typed floor s", "x typed", "ms/job", "floor ms/job", "peak MiB", "floor MiB"]
    table = [
        [
            str(r.size),
            str(len(r.program)),
            str(r.resources),
            f"{r.median(r.program, 'seconds'):.2f}",
            f"{r.median(r.floor, 'seconds'):.2f}",
            f"{r.ratio():.2f}",
            f"{r.ratio('cpu_seconds'):.2f}",
            f"{r.median(r.typed_floor, 'seconds'):.2f}",
            f"{r.ratio(typed=True):.2f}",
            f"{r.ms_per_job(r.program):.1f}",
            f"{r.ms_per_job(r.floor):.1f}",
            f"{r.median(r.program, 'peak_mib'):.0f}",
            f"{r.median(r.floor, 'peak_mib'):.0f}",
        ]
        for r in rows
    ]
    print_table(header, table)
    by_size = {r.size: r for r in rows}
    if 500 in by_size:
        ratio = by_size[500].ratio()
        target(f"<= {FLOOR_RATIO_TARGET}x the bare floor at 500 jobs", f"{ratio:.2f}x", ratio <= FLOOR_RATIO_TARGET)
        typed_ratio = by_size[500].ratio(typed=True)
        target(
            f"<= {FLOOR_RATIO_TARGET}x the typed floor (same pulumi_aws classes) at 500 jobs",
            f"{typed_ratio:.2f}x",
            typed_ratio <= FLOOR_RATIO_TARGET,
        )
    if 50 in by_size and 500 in by_size:
        small, large = by_size[50].ms_per_job(by_size[50].program), by_size[500].ms_per_job(by_size[500].program)
        growth = large / small
        target(
            f"time per job flat from 50 to 500 jobs (<= {FLAT_TOLERANCE}x)",
            f"{small:.1f} -> {large:.1f} ms ({growth:.2f}x)",
            growth <= FLAT_TOLERANCE,
        )


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
    if len(customs) > 1:
        sizes = sorted(customs)
        a, b = sizes[-2], sizes[-1]
        marginal = (len(customs[b]) - len(customs[a])) / (b - a)
        print(f"marginal: {marginal:.2f} custom resources per added job ({a} -> {b} jobs)")
    worst = max(counts)
    target(f"<= {RESOURCES_PER_JOB_TARGET} per job", f"at most {worst}", worst <= RESOURCES_PER_JOB_TARGET)
    print(SHARING_NOTE)


def under_job(entry: dict[str, Any]) -> bool:
    """Whether a recorded resource is a child of a ScheduledJob (its parent URN ends in that type and a name)."""
    parts = (entry["parent"] or "").split("::")
    return len(parts) >= 2 and parts[-2].endswith(JOB_COMPONENT)


SHARING_NOTE = """could be shared without losing least privilege:
  - task role: it starts empty, and an empty role grants nothing; create it only for a job that asks for
    permissions (else leave taskRoleArn unset). Sharing one role across jobs would pool their grants: no.
  - log group: one stack group with a per-job stream prefix; the execution role already writes by prefix and
    reads can be scoped to log-stream ARNs. Costs per-job retention.
  - state machine role: a stack role scoped by name prefix (as the scheduler role is) works, but lets one job's
    machine run another job's task and touch its lock item: a loss of isolation, so keep it per job.
  - failure and missed-run alarms, schedule, task definition, state machine: per job by nature."""


# ---------------------------------------------------------------- 3. state transitions


def transitions() -> None:
    from transitions import walk

    from components.asl import RunTarget, job_definition
    from components.aws_constants import DYNAMODB_CONDITION_FAILED, TASK_FAILED
    from components.spec import Job

    print("\n3. State transitions per execution (walked along components.asl.job_definition)")
    where = RunTarget("cluster", "family", "job", ("subnet-1",), ("sg-1",), False)
    forbid = job_definition(Job(name="bench", command=["x"], timeout="30m", retries=1), where, "locks")
    allow = job_definition(Job(name="bench", command=["x"], timeout="30m", retries=1, concurrency="allow"), where, "")
    spot = job_definition(Job(name="bench", command=["x"], timeout="30m", capacity="spot"), where, "locks")
    replace = job_definition(Job(name="bench", command=["x"], timeout="30m", concurrency="replace"), where, "locks")
    exit_zero: dict[str, int | None] = {"CheckExitCode": 0}
    # On Spot, CheckExitCode's first rule catches an interrupted task; rule 1 is exit code 0.
    spot_exit_zero: dict[str, int | None] = {"CheckExitCode": 1}
    holder_found: dict[str, int | None] = {"LockHolderFound": None, "CheckExitCode": 0}
    scenarios = [
        ("success, first try", forbid, {}, exit_zero),
        ("skip (lock held)", forbid, {"AcquireLock": [DYNAMODB_CONDITION_FAILED]}, exit_zero),
        ("failure, retried once, fails again", forbid, {"RunJob": [TASK_FAILED, TASK_FAILED]}, exit_zero),
        ("failure, retried once, succeeds", forbid, {"RunJob": [TASK_FAILED, "ok"]}, exit_zero),
        ('success, concurrency="allow"', allow, {}, exit_zero),
        ("success on Fargate Spot", spot, {}, spot_exit_zero),
        ("Spot capacity unavailable, on demand", spot, {"RunJobOnSpot": ["AmazonECS.Unknown"]}, spot_exit_zero),
        ('concurrency="replace", holder stopped', replace, {"AcquireLock": [DYNAMODB_CONDITION_FAILED]}, holder_found),
    ]
    rows = []
    counts = {}
    for label, definition, outcomes, choices in scenarios:
        path = walk(definition, outcomes, choices)
        entered = [p for p in path if not p.startswith("(")]
        counts[label] = len(entered)
        rows.append([label, str(len(entered)), " > ".join(path)])
    print_table(["execution", "transitions", "path"], rows)
    success = counts["success, first try"]
    target(f"success <= {SUCCESS_TRANSITIONS_TARGET}", str(success), success <= SUCCESS_TRANSITIONS_TARGET)


# ---------------------------------------------------------------- 4. suite and check


def timed(command: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess[str] | None]:
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None
    return time.perf_counter() - start, done


def suite_and_check(tmp: Path, run_tests: bool) -> None:
    print("\n4. Test suite and offline check")
    plan = [sys.executable, "plan.py", "--stack", "dev", "--out", str(tmp / "plan")]
    times = []
    for _ in range(5):
        seconds, done = timed(plan, 60)
        if done is None or done.returncode != 0:
            print(f"python plan.py --stack dev: failed or timed out ({seconds:.1f}s)")
            break
        times.append(seconds)
    if times:
        print(f"python plan.py --stack dev --out <tmp>: {statistics.median(times):.2f}s (median of {len(times)})")
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


def target(goal: str, figure: str, met: bool) -> None:
    print(f"target: {goal}: {figure}  {'MET' if met else 'NOT MET'}")


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


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="job counts to evaluate")
    parser.add_argument("--no-tests", action="store_true", help="skip timing the test suite")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.warm, args.record)
        return
    started = time.perf_counter()
    print(
        f"scheduled-jobs bench, {date.today()}, {revision()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pulumi {metadata.version('pulumi')}, "
        f"pulumi-aws {metadata.version('pulumi-aws')}\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as name:
        tmp = Path(name)
        rows, recordings = evaluation(tmp, tuple(args.sizes))
        print_evaluation(rows)
        resources_per_job(recordings)
        transitions()
        suite_and_check(tmp, not args.no_tests)
    print(f"\nbench took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
