"""`jobctl status [JOB | PATTERN] [--failing] [--running] [--runs N] [--watch [SECONDS]]`: each job's latest runs
and its lock, read in parallel; what could not be read is marked, never the whole output lost. It also says who
hears the alerts (jobctl/alert_topic.py): the topic's confirmed and pending subscriptions, with a warning on stderr
when no confirmed one remains."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from time import sleep
from typing import Any

from botocore.exceptions import ClientError

from jobctl import output
from jobctl.alert_topic import AlertTopic
from jobctl.commands.common import (
    Context,
    completeness,
    is_pattern,
    job_zone,
    layout,
    positive,
    report_problems,
    select_jobs,
    with_details,
)
from jobctl.errors import EXIT_OK, JobctlError
from jobctl.lock_table import JobItem
from jobctl.output import note, print_json
from jobctl.parallel import Problem, gather, problem_of
from jobctl.runs import Run, iso
from jobctl.tables import lock_text, runs_table, status_table

NAME = "status"
HELP = "every job (or one, or those matching a pattern) with its latest runs and its lock"
WATCH_MIN_SECONDS = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", nargs="?", help="a job, or a glob pattern such as 'report-*'")
    parser.add_argument("--runs", type=positive, default=5, metavar="N", help="runs per job (default 5)")
    parser.add_argument("--failing", action="store_true", help="only jobs whose last recorded run failed")
    parser.add_argument("--running", action="store_true", help="only jobs with a run running or the lock held")
    parser.add_argument(
        "--watch", type=float, nargs="?", const=10.0, metavar="SECONDS", help="redraw every SECONDS (default 10)"
    )


def run(ctx: Context) -> int:
    args = ctx.args
    if args.watch is None:
        return _once(ctx)
    if args.json or not output.stdout_is_terminal():
        raise JobctlError("--watch redraws a terminal: run it on one, without --json (scripts: call status in a loop)")
    interval = max(WATCH_MIN_SECONDS, args.watch)
    while True:
        print("\033[H\033[2J", end="")
        print(f"every {interval:g}s, Ctrl-C to stop; {datetime.now(UTC):%H:%M:%S} UTC\n")
        _once(ctx)
        sleep(interval)


def _once(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    single = bool(args.job) and not is_pattern(args.job)
    names = [args.job] if single else select_jobs(jobs, args.job)
    problems: list[Problem] = []
    try:
        items: dict[str, JobItem] | None = jobs.items(names)
    except ClientError as error:
        items = None
        problems.append(problem_of("the lock table", error))
    if args.failing and items is not None:
        names = [job for job in names if items[job].failures_in_a_row > 0]

    def read(job: str) -> tuple[list[Run], list[Problem]]:
        listed = jobs.list_runs(job, args.runs)
        detailed = with_details(jobs, listed, None if single else 1)  # the overview describes the latest only
        return [detailed.values[i] for i in range(len(listed))], [_about(job, p) for p in detailed.problems]

    read_all = gather(read, names)
    problems += read_all.problems
    runs: dict[str, list[Run] | None] = {job: None for job in names}
    for job, (found, failed) in read_all.values.items():
        runs[job] = found
        problems += failed
    if args.running:
        names = [job for job in names if _running(runs[job], items.get(job) if items else None)]
    rows = [(job, runs[job], items.get(job) if items is not None else None) for job in names]
    try:
        topic: AlertTopic | None = jobs.alert_topic()
    except ClientError as error:
        topic = None
        problems.append(problem_of("the alert topic", error))
    _show(ctx, rows, single, problems, topic)
    for warning in topic.warnings() if topic else []:
        note(f"jobctl: WARNING: {warning}")
    report_problems(problems, len(names), "jobs")
    return max([EXIT_OK, *(p.exit_code for p in problems)])


def _about(job: str, problem: Problem) -> Problem:
    return Problem(job, problem.operation, problem.code, problem.message, problem.exit_code)


def _running(runs: list[Run] | None, item: JobItem | None) -> bool:
    held = item is not None and item.lock is not None and item.lock.state(datetime.now(UTC)) == "held"
    return held or any(run.outcome == "running" for run in runs or [])


def _show(
    ctx: Context,
    rows: list[tuple[str, list[Run] | None, JobItem | None]],
    single: bool,
    problems: Any,
    topic: AlertTopic | None,
) -> None:
    jobs, args = ctx.jobs, ctx.args
    shown = layout(args)
    if args.json:
        print_json(
            NAME,
            {
                "prefix": jobs.prefix,
                "region": jobs.region,
                **completeness(problems),
                "jobs": [job_json(jobs.state_machine_arn(job), job, runs, item, shown.now) for job, runs, item in rows],
                "alert_topic": topic.to_json() if topic else None,
            },
        )
        return
    _show_text(ctx, rows, single, shown)
    if topic is not None:  # on stderr, with the warnings: stdout stays the table a script reads
        note(f"jobctl: {topic.summary()}")


def _show_text(
    ctx: Context, rows: list[tuple[str, list[Run] | None, JobItem | None]], single: bool, shown: Any
) -> None:
    jobs, args = ctx.jobs, ctx.args
    if single:
        job, runs, item = rows[0]
        tz = job_zone(jobs, job, args)
        lock = "not read" if item is None else lock_text(item.lock, shown, tz)
        failing = f"; {item.failures_in_a_row} failed runs in a row" if item and item.failures_in_a_row else ""
        paused = item.pause if item and item.pause and item.pause.active(shown.now) else None
        pause = f"\n{job}: {paused.text()}" if paused else ""
        print(f"{job}: lock {lock}{failing}{pause}\n\n{'not read' if runs is None else runs_table(runs, shown, tz)}")
    elif not rows:
        print("no job matches" + (" --failing" if args.failing else "") + (" --running" if args.running else ""))
    else:
        print(status_table(rows, shown, UTC))


def job_json(arn: str, job: str, runs: list[Run] | None, item: JobItem | None, now: datetime) -> dict[str, Any]:
    """The same keys whatever the job's state: `runs` is null and the lock's state "unknown" when not read."""
    lock: dict[str, Any] = {"state": "unknown", "execution_arn": None, "acquired_at": None, "expires_at": None}
    if item is not None:
        lock = item.lock.to_json(now) if item.lock else {**lock, "state": "free"}
    return {
        "job": job,
        "state_machine_arn": arn,
        "lock": lock,
        "failures_in_a_row": item.failures_in_a_row if item else None,
        "last_succeeded_at": iso(item.last_succeeded_at) if item else None,
        "last_failed_at": iso(item.last_failed_at) if item else None,
        "pause": item.pause.to_json() if item and item.pause and item.pause.active(now) else None,
        "runs": None if runs is None else [r.to_json(now) for r in runs],
    }
