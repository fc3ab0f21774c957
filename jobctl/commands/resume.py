"""`jobctl resume JOB`: end a job's pause; its next run (scheduled or manual) runs again."""

from __future__ import annotations

import argparse

from jobctl.commands.common import Context
from jobctl.errors import EXIT_OK
from jobctl.output import print_json

NAME = "resume"
HELP = "end a job's pause"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    jobs.check_job(args.job)
    ended = jobs.locks.resume(args.job)
    if args.json:
        print_json(NAME, {"job": args.job, "resumed": ended is not None, "pause": ended.to_json() if ended else None})
    elif ended is None:
        print(f"{args.job} was not paused: nothing to resume")
    else:
        print(f"{args.job} resumed; it was {ended.text()}")
    return EXIT_OK
