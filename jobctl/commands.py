"""One function per jobctl command: ask AWS through StackJobs, print a table or JSON, return the exit code."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from components.model.run_context import RUN_CONTEXT_VARIABLES, SCHEDULED_TIME
from jobctl import tables
from jobctl.aws import StackJobs, manual_execution_name
from jobctl.errors import EXIT_OK, EXIT_RUN_FAILED, EXIT_SKIPPED, JobctlError
from jobctl.runs import SKIPPED, Run, execution_name, iso

# How often `run --wait` asks Step Functions whether the run has ended.
POLL_SECONDS = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def _note(text: str) -> None:
    """Progress and prompts go to stderr, so stdout stays the result (and valid JSON with --json)."""
    print(text, file=sys.stderr)


def parse_environment(pairs: list[str]) -> dict[str, str]:
    environment = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise JobctlError(f"--input {pair!r}: expected KEY=VALUE, e.g. --input DRY_RUN=1")
        if key in RUN_CONTEXT_VARIABLES:
            hint = "; to run for a slot use --scheduled-time" if key == SCHEDULED_TIME else ""
            raise JobctlError(f"--input {pair!r}: {key} is set by the run itself{hint}")
        environment[key] = value
    return environment


def parse_scheduled_time(text: str | None) -> str | None:
    """The slot a manual run is for, as the schedule would give it: ISO 8601 in UTC to the second, with Z."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise JobctlError(
            f"--scheduled-time {text!r}: expected a time in UTC such as 2026-11-29T06:00:00Z (the slot to run for)"
        )
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def exit_code(run: Run) -> int:
    if run.outcome == "succeeded":
        return EXIT_OK
    return EXIT_SKIPPED if run.outcome == SKIPPED else EXIT_RUN_FAILED


def run(jobs: StackJobs, args: argparse.Namespace) -> int:
    environment = parse_environment(args.input)
    slot = parse_scheduled_time(args.scheduled_time)
    if slot is None and args.rerun:
        raise JobctlError("--rerun needs --scheduled-time: the slot to run again")
    reopened = jobs.reopen_slot(args.job, slot, args.rerun) if slot is not None else None
    if reopened and not args.json:
        print(reopened)
    arn = jobs.start(args.job, environment, manual_execution_name(_now()), slot)
    if not args.wait:
        if args.json:
            _print_json({"job": args.job, "name": execution_name(arn), "execution_arn": arn, "outcome": "running"})
        else:
            console = f"https://{jobs.region}.console.aws.amazon.com/states/home?region={jobs.region}"
            print(f"started {args.job} run {execution_name(arn)}\n  {console}#/v2/executions/details/{arn}")
        return EXIT_OK
    if not args.json:
        _note(f"started {args.job} run {execution_name(arn)}; waiting for it to end (Ctrl-C stops the wait only)")
    result = jobs.run(arn)
    while result.outcome == "running":
        time.sleep(POLL_SECONDS)
        result = jobs.run(arn)
    if args.json:
        _print_json({"job": args.job, **result.to_json(_now())})
    else:
        print(tables.runs_table([result], _now()))
    return exit_code(result)


def status(jobs: StackJobs, args: argparse.Namespace) -> int:
    names = [args.job] if args.job else list(jobs.machines())
    rows = [(job, jobs.runs(job, args.runs), jobs.lock(job)) for job in names]
    now = _now()
    if args.json:
        _print_json(
            {
                "prefix": jobs.prefix,
                "region": jobs.region,
                "jobs": [
                    {
                        "job": job,
                        "state_machine_arn": jobs.state_machine_arn(job),
                        "lock": lock.to_json(now) if lock else {"state": "free"},
                        "runs": [r.to_json(now) for r in runs],
                    }
                    for job, runs, lock in rows
                ],
            }
        )
    elif args.job:
        job, runs, lock = rows[0]
        print(f"{job}: lock {tables.lock_text(lock, now)}\n\n{tables.runs_table(runs, now)}")
    elif not rows:
        print(f"no jobs under prefix {jobs.prefix!r} in {jobs.region}")
    else:
        print(tables.status_table(rows, now))
    return EXIT_OK


def history(jobs: StackJobs, args: argparse.Namespace) -> int:
    runs = jobs.runs(args.job, args.limit)
    if args.json:
        _print_json({"job": args.job, "runs": [r.to_json(_now()) for r in runs]})
    else:
        print(tables.runs_table(runs, _now()))
    return EXIT_OK


def logs(jobs: StackJobs, args: argparse.Namespace) -> int:
    if args.execution:
        the_run = jobs.run(jobs.execution_arn(args.job, args.execution))
    else:
        latest = jobs.runs(args.job, 1)
        if not latest:
            raise JobctlError(f"{args.job} has no runs yet")
        the_run = latest[0]
    streams = [jobs.log_stream(args.job, arn) for arn in jobs.task_arns(the_run)]
    if args.json:
        _print_json(
            {
                "job": args.job,
                "execution_arn": the_run.execution_arn,
                "outcome": the_run.outcome,
                "tasks": [
                    {
                        "task_arn": s.task_arn,
                        "log_group": s.log_group,
                        "log_stream": s.name,
                        "found": s.events is not None,
                        "events": [{"timestamp": iso(e.timestamp), "message": e.message} for e in s.events or []],
                    }
                    for s in streams
                ],
            }
        )
    elif not streams:
        why = "it was skipped (already running)" if the_run.outcome == SKIPPED else "it started no ECS task"
        _note(f"run {the_run.name} has no container log: {why} (outcome: {tables.outcome(the_run)})")
    for number, stream in enumerate(streams, 1):
        if not args.json:
            if len(streams) > 1:
                print(f"== attempt {number} of {len(streams)}: task {stream.task_arn} ==")
            print(tables.log_lines(stream))
    return EXIT_OK if any(s.events is not None for s in streams) else EXIT_RUN_FAILED


def unlock(jobs: StackJobs, args: argparse.Namespace) -> int:
    lock = jobs.lock(args.job)
    now = _now()
    if lock is None:
        if args.json:
            _print_json({"job": args.job, "lock": {"state": "free"}, "deleted": False})
        else:
            print(f"{args.job} holds no lock: nothing to delete")
        return EXIT_OK
    holder_outcome = _holder_outcome(jobs, lock.holder)
    if not args.json:
        print(tables.lock_details(args.job, lock, now))
        print(f"  holder run   {holder_outcome}")
    if holder_outcome == "running":
        _note("warning: the holder is still running; without its lock a second run can start alongside it")
    if not args.yes:
        sys.stderr.write(f"delete the lock of {args.job} held by {execution_name(lock.holder)}? [y/N] ")
        sys.stderr.flush()
        if input().strip().lower() not in ("y", "yes"):
            _note("left the lock in place")
            return EXIT_RUN_FAILED
    deleted = jobs.delete_lock(args.job, lock.holder)
    if args.json:
        _print_json({"job": args.job, "lock": lock.to_json(now), "holder_outcome": holder_outcome, "deleted": deleted})
    elif deleted:
        print(f"deleted the lock of {args.job} (was held by {execution_name(lock.holder)})")
    else:
        print(
            f"nothing deleted: the lock of {args.job} changed hands or was released since it was read; "
            f"see `jobctl status {args.job}`"
        )
    return EXIT_OK if deleted else EXIT_RUN_FAILED


def _holder_outcome(jobs: StackJobs, holder: str) -> str:
    """The holding run's outcome, or "unknown" when its execution no longer exists (history expired)."""
    try:
        return jobs.run(holder).outcome
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
            return "unknown"
        raise
