"""Part 1 of the bench: evaluate the program under Pulumi mocks for a number of generated jobs, and
the floor programs that replay what it registered (bench/floor_program.py), one subprocess per run.

`python bench/evaluation.py --worker <project> --warm <project>` is one such run; bench/run.py starts them."""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from report import print_table, target

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))

PROJECT = "scheduled-jobs"  # our component type tokens are "<project>:jobs:<Type>"
SIZES = (1, 50, 500)
REPEATS = {1: 5, 50: 5, 500: 5, 2000: 2}  # `--sizes 1 50 500 2000` adds the 2000-job stack (issue 15)
FLOOR_RATIO_TARGET = 1.25
FLAT_TOLERANCE = 1.15  # "flat": time per job at the largest size at most this times the time per job at 50

# Generated jobs cycle through these, like the shipped examples: daily cron in a time zone with
# retries and a secret, a rate, a weekly cron, a manual-only job without a lock, and an hourly job with
# permissions of its own (so 1 job in 5 has a task role).
JOB_TEMPLATES = (
    'schedule="cron(0 6 * * ? *)", timezone="Europe/Berlin", retries=2, cpu=512, memory=1024, '
    'secrets={"SMTP_PASSWORD": "/app/smtp/password"}',
    'schedule="rate(6 hours)", retries={"attempts": 1, "interval": "10m"}, '
    'secrets={"DATABASE_URL": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/db-Ab12Cd"}',
    'schedule="cron(30 7 ? * MON *)", timezone="America/New_York", environment={"DRY_RUN": "false"}',
    'concurrency="allow"',
    'schedule="cron(15 * * * ? *)", permissions=[{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::in/*"]}]',
)


class CollectorClock:
    """Sums the time Python's cyclic garbage collector runs, to tell its cost from the program's own work."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self.started


def worker(project: Path, warm: Path, record: Path | None) -> None:
    """Run in a fresh subprocess: warm up on a 1-job project, then time one evaluation of `project`.

    Prints one JSON line: wall seconds, the collector's share, peak RSS (MiB) and the number of
    registered resources."""
    import pulumi_aws  # noqa: F401  (imported before timing, like every module the program uses)

    import components.resources.scheduled_job
    import components.resources.shared  # noqa: F401
    from tests.support.pulumi_mocks import BASE_CONFIG, Project, run_program

    run_program(Project(warm), BASE_CONFIG)  # same warm state (lazy imports, caches) for both variants
    collector = CollectorClock()
    gc.callbacks.append(collector)
    start = time.perf_counter()
    mocks = run_program(Project(project), BASE_CONFIG)
    seconds = time.perf_counter() - start
    gc.callbacks.remove(collector)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if record is not None:
        entries = [
            {
                "type": r.type,
                "name": r.name,
                "inputs": r.inputs,
                "parent": r.parent,
                "dependencies": r.dependencies,
                "component": r.type.startswith(f"{PROJECT}:"),
            }
            for r in mocks.resources
        ]
        record.write_text(json.dumps({"resources": entries, "exports": mocks.exports}))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "collector_seconds": collector.seconds,
                "peak_mib": peak_mib,
                "resources": len(mocks.resources),
            }
        )
    )


@dataclass
class Sample:
    seconds: float
    collector_seconds: float
    peak_mib: float
    resources: int

    @property
    def work_seconds(self) -> float:
        """Wall time without the garbage collector's: what grows with our work, not with the heap."""
        return self.seconds - self.collector_seconds


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
    from tests.support.pulumi_mocks import make_project

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

    def ms_per_job(self, samples: list[Sample], field: str = "seconds") -> float:
        return 1000 * self.median(samples, field) / self.size

    def spread(self) -> str:
        """The lowest and highest program/typed-floor ratio of one run pair: how far one run can mislead."""
        ratios = [p.seconds / f.seconds for p, f in zip(self.program, self.typed_floor, strict=True)]
        return f"{min(ratios):.2f}-{max(ratios):.2f}"


def evaluation(tmp: Path, sizes: tuple[int, ...]) -> tuple[list[Row], dict[int, Projects]]:
    """Interleave program and floor runs per size; the first program run records what the floor replays."""
    warm = make_projects(tmp / "warm", 1).program
    rows, measured = [], {}
    for size in sizes:
        projects = make_projects(tmp, size)
        program: list[Sample] = []
        floor: list[Sample] = []
        typed: list[Sample] = []
        for repeat in range(REPEATS.get(size, 3)):
            program.append(measure(projects.program, warm, projects.recorded if repeat == 0 else None))
            if repeat == 0:
                shutil.copy(projects.recorded, projects.typed_floor / "recorded.json")
            first = repeat == 0
            floor.append(measure(projects.floor, warm, projects.floor / "replayed.json" if first else None))
            typed.append(measure(projects.typed_floor, warm, projects.typed_floor / "replayed.json" if first else None))
            print(
                f"  {size} jobs, run {repeat + 1}: program {program[-1].seconds:.2f}s, "
                f"bare floor {floor[-1].seconds:.2f}s, typed floor {typed[-1].seconds:.2f}s",
                flush=True,
            )
        for replay in (projects.floor, projects.typed_floor):
            check_same_registrations(projects.recorded, replay / "replayed.json")
        rows.append(Row(size, program[0].resources, program, floor, typed))
        measured[size] = projects
    return rows, measured


def check_same_registrations(recorded: Path, replayed: Path) -> None:
    """A floor must register what the program did: same resources, parents and dependencies."""

    def shape(path: Path) -> set[tuple[str, str, str | None, tuple[str, ...]]]:
        entries = json.loads(path.read_text())["resources"]
        return {(e["type"], e["name"], e["parent"], tuple(sorted(set(e["dependencies"])))) for e in entries}

    differ = shape(recorded) ^ shape(replayed)
    if differ:
        raise SystemExit(f"{replayed.parent.parent.name} registers differently from the program: {sorted(differ)[:3]}")


def print_evaluation(rows: list[Row]) -> None:
    print("1. Program evaluation under Pulumi mocks (median; one subprocess per run, warmed by a 1-job run)")
    header = ["jobs", "runs", "resources", "program s", "of it GC s", "typed floor s", "x typed", "bare floor s"]
    header += ["x bare", "ms/job", "ms/job w/o GC", "typed floor ms/job", "peak MiB", "typed floor MiB"]
    table = [
        [
            str(r.size),
            str(len(r.program)),
            str(r.resources),
            f"{r.median(r.program, 'seconds'):.2f}",
            f"{r.median(r.program, 'collector_seconds'):.2f}",
            f"{r.median(r.typed_floor, 'seconds'):.2f}",
            f"{r.ratio(typed=True):.2f}",
            f"{r.median(r.floor, 'seconds'):.2f}",
            f"{r.ratio():.2f}",
            f"{r.ms_per_job(r.program):.1f}",
            f"{r.ms_per_job(r.program, 'work_seconds'):.1f}",
            f"{r.ms_per_job(r.typed_floor):.1f}",
            f"{r.median(r.program, 'peak_mib'):.0f}",
            f"{r.median(r.typed_floor, 'peak_mib'):.0f}",
        ]
        for r in rows
    ]
    print_table(header, table)
    by_size = {r.size: r for r in rows}
    if 500 in by_size:
        typed_ratio = by_size[500].ratio(typed=True)
        target(
            f"<= {FLOOR_RATIO_TARGET}x the floor at 500 jobs (the typed floor: same pulumi_aws classes and inputs)",
            f"{typed_ratio:.2f}x (single run pairs: {by_size[500].spread()})",
            typed_ratio <= FLOOR_RATIO_TARGET,
        )
        work_ratio = by_size[500].ratio("work_seconds", typed=True)
        print(
            f"  against the bare floor (pulumi.CustomResource, which no typed program can reach): "
            f"{by_size[500].ratio():.2f}x; without the collector's time: {work_ratio:.2f}x the typed floor"
        )
    largest = max(by_size)
    if 50 in by_size and largest > 50:

        def growth(samples: str, field: str = "seconds") -> tuple[float, float, float]:
            small = by_size[50].ms_per_job(getattr(by_size[50], samples), field)
            large = by_size[largest].ms_per_job(getattr(by_size[largest], samples), field)
            return small, large, large / small

        def runs(size: int) -> str:
            per_job = [1000 * sample.seconds / size for sample in by_size[size].program]
            return f"{min(per_job):.1f}-{max(per_job):.1f}"

        small, large, program = growth("program")
        target(
            f"time per job flat from 50 to {largest} jobs (<= {FLAT_TOLERANCE}x)",
            f"{small:.1f} -> {large:.1f} ms ({program:.2f}x; single runs {runs(50)} -> {runs(largest)} ms)",
            program <= FLAT_TOLERANCE,
        )
        print(
            f"  without the collector's time: {growth('program', 'work_seconds')[2]:.2f}x; over the same range the "
            f"typed floor grows {growth('typed_floor')[2]:.2f}x and the bare floor {growth('floor')[2]:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="One measured run (started by bench/run.py).")
    parser.add_argument("--worker", type=Path, required=True)
    parser.add_argument("--warm", type=Path, required=True)
    parser.add_argument("--record", type=Path)
    args = parser.parse_args()
    worker(args.worker, args.warm, args.record)


if __name__ == "__main__":
    main()
