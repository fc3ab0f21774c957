"""`jobctl logs JOB [--execution ID] [--since WHEN] [--follow]`: a run's container log, printed as it is read.

Like `kubectl logs -f`: with --follow it keeps reading while the run goes on, moves on to the next attempt's
task when the job retries, and exits with the run's outcome, so it also reattaches to a run left by `run --wait`."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta, tzinfo
from time import sleep

from botocore.exceptions import ClientError

import jobctl.commands.common as common
from jobctl.aws import StackJobs
from jobctl.commands.common import Context, exit_code, job_zone, now, utc_time
from jobctl.errors import EXIT_OK, EXIT_RUN_FAILED, JobctlError, NotFound, error_code
from jobctl.log_events import LogStream, StreamMissing, log_stream, read_events
from jobctl.output import SCHEMA, at, note
from jobctl.runs import SKIPPED, Run
from jobctl.tables import outcome

NAME = "logs"
HELP = "the container log of a run (default: the latest); --follow keeps reading while it runs"
_SINCE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument("--execution", metavar="ID", help="execution name or ARN")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing while the run goes on")
    parser.add_argument("--since", metavar="WHEN", help="only lines from then on: 10m, 2h, 1d or a UTC time")


def parse_since(text: str | None, moment: datetime) -> datetime | None:
    if text is None:
        return None
    match = _SINCE.fullmatch(text)
    if match:
        return moment - timedelta(**{_UNITS[match[2]]: int(match[1])})
    when = utc_time(text)
    if when is None:
        raise JobctlError(
            f"--since {text!r}: expected an age such as 10m, 2h, 1d, or a UTC time such as 2026-11-29T06:00:00Z"
        )
    return when


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    since = parse_since(args.since, now())
    the_run = _the_run(jobs, args)
    tz = UTC if args.json else job_zone(jobs, args.job, args)
    printed: list[str] = []  # task ARNs whose stream was read to its end
    found_any = False
    while True:
        tasks = jobs.task_arns(the_run)
        for number, task in enumerate(tasks, 1):
            if task in printed:
                continue
            stream = log_stream(jobs.prefix, args.job, task)
            if not args.json and len(tasks) > 1:
                print(f"== attempt {number}: task {task} ==", flush=True)
            follow = args.follow and number == len(tasks)  # an earlier attempt's task has stopped
            found = _print_stream(jobs, args, the_run, stream, since, follow, tz)
            found_any |= found
            if found or not follow or jobs.describe(the_run.execution_arn).outcome != "running":
                printed.append(task)  # a stream not there yet, while the run goes on, is asked for again
        if not args.follow:
            break
        the_run = jobs.describe(the_run.execution_arn)
        if the_run.outcome != "running" and set(jobs.task_arns(the_run)) <= set(printed):
            break
        if the_run.outcome == "running":
            sleep(common.POLL_SECONDS)
    if not printed and not args.json:
        why = f"it was {the_run.label}" if the_run.outcome == SKIPPED else "it started no ECS task"
        note(f"run {the_run.name} has no container log: {why} (outcome: {outcome(the_run)})")
    if args.follow:
        return exit_code(the_run)
    return EXIT_OK if found_any else EXIT_RUN_FAILED


def _the_run(jobs: StackJobs, args: argparse.Namespace) -> Run:
    with jobs.about(args.job):
        if args.execution:
            try:
                return jobs.describe(jobs.execution_arn(args.job, args.execution))
            except ClientError as error:
                if error_code(error) != "ExecutionDoesNotExist":
                    raise
                raise NotFound(f"{args.job} has no run {args.execution!r}") from error
        latest = jobs.list_runs(args.job, 1)
        if not latest:
            raise NotFound(f"{args.job} has no runs yet")
        return jobs.describe(latest[0].execution_arn)


def _print_stream(
    jobs: StackJobs,
    args: argparse.Namespace,
    the_run: Run,
    stream: LogStream,
    since: datetime | None,
    follow: bool,
    tz: tzinfo,
) -> bool:
    """Print the stream's events as they are read (JSON: one object a line); False when it does not exist."""
    state = {"run": the_run}

    def still_running() -> bool:
        state["run"] = jobs.describe(the_run.execution_arn)
        return state["run"].outcome == "running"

    try:
        for event in read_events(
            jobs.logs_client, stream, since, still_running if follow else None, common.POLL_SECONDS
        ):
            if args.json:
                print(json.dumps(_line(args.job, the_run, stream, True, event.timestamp, event.message)), flush=True)
            else:
                print(f"{at(event.timestamp, tz)}  {event.message.rstrip()}", flush=True)
    except StreamMissing:
        if follow and still_running():
            return False  # not there yet: the container has not logged so far
        if args.json:
            print(json.dumps(_line(args.job, the_run, stream, False, None, None)), flush=True)
        else:
            print(
                f"no log stream {stream.name} in {stream.log_group} (the container never logged, or the logs expired)"
            )
        return False
    return True


def _line(
    job: str, run: Run, stream: LogStream, found: bool, when: datetime | None, message: str | None
) -> dict[str, object]:
    """One JSON line; the same keys for an event and for a stream that is not there."""
    return {
        "schema": SCHEMA,
        "command": NAME,
        "job": job,
        "execution_arn": run.execution_arn,
        "task_arn": stream.task_arn,
        "log_group": stream.log_group,
        "log_stream": stream.name,
        "found": found,
        "timestamp": None
        if when is None
        else when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "message": message,
    }
