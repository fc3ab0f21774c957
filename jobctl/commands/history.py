"""`jobctl history JOB [--limit N] [--execution ID]`: a job's past runs, newest first, or one run whole."""

from __future__ import annotations

import argparse

from botocore.exceptions import ClientError

from jobctl.commands.common import Context, job_zone, layout, positive, report_problems, with_details
from jobctl.errors import EXIT_OK, NotFound, error_code
from jobctl.output import print_json
from jobctl.tables import run_details, runs_table

NAME = "history"
HELP = "a job's past runs, newest first (--execution: one run with its whole error and cause)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument("--limit", type=positive, default=20, metavar="N", help="how many runs (default 20)")
    parser.add_argument("--execution", metavar="ID", help="show this run whole (its name or ARN)")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    shown = layout(args)
    if args.execution:
        arn = jobs.execution_arn(args.job, args.execution)
        try:
            with jobs.about(args.job):
                the_run = jobs.describe(arn)
        except ClientError as error:
            if error_code(error) != "ExecutionDoesNotExist":
                raise
            raise NotFound(f"{args.job} has no run {args.execution!r} (see `jobctl history {args.job}`)") from error
        if args.json:
            print_json(NAME, {"job": args.job, "runs": [the_run.to_json(shown.now)], "complete": True, "problems": []})
        else:
            print(run_details(the_run, shown, job_zone(jobs, args.job, args)))
        return EXIT_OK
    listed = jobs.list_runs(args.job, args.limit)
    detailed = with_details(jobs, listed)
    runs = [detailed.values[i] for i in range(len(listed))]
    if args.json:
        print_json(
            NAME,
            {
                "job": args.job,
                "runs": [r.to_json(shown.now) for r in runs],
                "complete": not detailed.problems,
                "problems": [p.to_json() for p in detailed.problems],
            },
        )
    else:
        print(runs_table(runs, shown, job_zone(jobs, args.job, args)))
    report_problems(detailed.problems, len(listed), "runs")
    return max([EXIT_OK, *(p.exit_code for p in detailed.problems)])
