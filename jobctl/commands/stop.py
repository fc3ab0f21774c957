"""`jobctl stop JOB [--execution ID] [--yes]`: stop a running run (StopExecution); the lock janitor then releases
its lock and records the failure, as for any stopped run (docs/runs.md)."""

from __future__ import annotations

import argparse
import getpass
import socket

from jobctl.commands.common import Context, confirm
from jobctl.errors import EXIT_OK, EXIT_RUN_FAILED, JobctlError, NotFound
from jobctl.output import note, print_json
from jobctl.runs import execution_name

NAME = "stop"
HELP = "stop a running run of a job (the only one running, or --execution)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument("--execution", metavar="ID", help="the run to stop (name or ARN); needed when several run")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    if args.execution:
        arn = jobs.execution_arn(args.job, args.execution)
        with jobs.about(args.job):
            current = jobs.describe(arn)
        if current.outcome != "running":
            raise NotFound(f"run {current.name} of {args.job} is not running (it {current.outcome.replace('_', ' ')})")
    else:
        running = jobs.list_runs(args.job, 2, running_only=True)
        if not running:
            if args.json:
                print_json(NAME, {"job": args.job, "execution_arn": None, "stopped": False})
            else:
                print(f"no run of {args.job} is running: nothing to stop")
            return EXIT_OK
        if len(running) > 1:
            names = ", ".join(run.name for run in running)
            raise JobctlError(f"several runs of {args.job} are running ({names}, ...): name one with --execution")
        arn = running[0].execution_arn
    if not confirm(f"stop run {execution_name(arn)} of {args.job}?", args):
        note("left the run running")
        return EXIT_RUN_FAILED
    jobs.stop(arn, f"stopped with jobctl by {_who()}")
    if args.json:
        print_json(NAME, {"job": args.job, "execution_arn": arn, "stopped": True})
    else:
        print(f"stopped {args.job} run {execution_name(arn)}; its lock is released by the lock janitor")
    return EXIT_OK


def _who() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return "an operator"
