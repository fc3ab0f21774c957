"""`jobctl redrive JOB [--execution ID] [--wait]`: run a failed run's slot again, as a new run.

Not Step Functions' RedriveExecution. A redrive "continues the failed execution from the unsuccessful step and uses
the same input", with "the same state machine definition and execution ARN", for runs that did not succeed "in
the last 14 days" (Step Functions API reference, RedriveExecution; developer guide, "Redriving executions"). In
our machines that is useless or unsafe: a failed run's unsuccessful step is FailRun, the Fail state reached only
after ReleaseLockAfterFailure released the lock and recorded the failure (components/documents/job_machine.py), so
a redrive would fail again at once and run nothing; a timed-out or stopped run stopped in RunJob, and the lock
janitor has released its lock since, so a redrive would run the task again without holding the lock, beside any
other run. A new run of the same slot takes the lock, its claim and the alerts' bookkeeping as any run does."""

from __future__ import annotations

import argparse
from typing import Any

from botocore.exceptions import ClientError

from jobctl.commands.common import Context, exit_code, now
from jobctl.commands.slots import Progress, run_label, start_slot, wait_for_end
from jobctl.errors import EXIT_OK, JobctlError, NotFound, error_code
from jobctl.output import note, print_json
from jobctl.runs import ENDED_BADLY, Run, execution_name

NAME = "redrive"
HELP = "run a failed run again for the same slot (default: the latest failed run), as a new run"
# How far back the latest failed run is looked for.
LOOK_BACK = 100
WHY_NOT_REDRIVE = (
    "a new run, not RedriveExecution: a redrive restarts the failed step, which for a failed run is FailRun "
    "(after the lock was released) and for a timed-out or stopped one is the task, now without the lock"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument("--execution", metavar="ID", help="the run to redo (name or ARN); default: the latest failed")
    parser.add_argument("--wait", action="store_true", help="wait for the new run to end; exit with its outcome")


def _failed_run(ctx: Context) -> Run:
    jobs, args = ctx.jobs, ctx.args
    if args.execution:
        arn = jobs.execution_arn(args.job, args.execution)
        try:
            with jobs.about(args.job):
                found = jobs.describe(arn)
        except ClientError as error:
            if error_code(error) != "ExecutionDoesNotExist":
                raise
            raise NotFound(f"{args.job} has no run {args.execution!r} (see `jobctl history {args.job}`)") from error
        if found.outcome not in ENDED_BADLY:
            raise JobctlError(f"run {found.name} of {args.job} is {found.outcome}, not failed: nothing to redrive")
        return found
    for listed in jobs.list_runs(args.job, LOOK_BACK):
        if listed.outcome in ENDED_BADLY:
            return listed
    raise NotFound(f"{args.job} has no failed, timed-out or stopped run among its latest {LOOK_BACK}")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    failed = _failed_run(ctx)
    given: dict[str, Any] = jobs.execution_input(failed.execution_arn)
    slot = given.get("scheduledTime") if isinstance(given.get("scheduledTime"), str) else None
    environment = given.get("environment") if isinstance(given.get("environment"), dict) else {}
    started = start_slot(jobs, args.job, slot, False, {str(k): str(v) for k, v in (environment or {}).items()})
    name = execution_name(started.execution_arn)
    what = f"slot {slot}" if slot else "the same input (the run named no slot)"
    if not args.wait:
        if args.json:
            print_json(NAME, _document(args.job, failed, slot, started.execution_arn, None, ctx))
        else:
            print(f"started {args.job} run {name} for {what}, redoing {failed.name} ({failed.outcome})")
            print(f"  {WHY_NOT_REDRIVE}")
        return EXIT_OK
    note(f"started {args.job} run {name} for {what}, redoing {failed.name} ({failed.outcome}); {WHY_NOT_REDRIVE}")
    progress = Progress()
    ended = wait_for_end(jobs, started.execution_arn, lambda text: progress.show(text))
    progress.clear()
    if args.json:
        print_json(NAME, _document(args.job, failed, slot, started.execution_arn, ended, ctx))
    else:
        print(f"{args.job} run {name} for {what}: {run_label(ended)}")
    return exit_code(ended)


def _document(job: str, failed: Run, slot: str | None, arn: str, ended: Run | None, ctx: Context) -> dict[str, Any]:
    return {
        "job": job,
        "redone": {"name": failed.name, "execution_arn": failed.execution_arn, "outcome": failed.outcome},
        "slot": slot,
        "how": "new_run",
        "why": WHY_NOT_REDRIVE,
        "execution_arn": arn,
        "name": execution_name(arn),
        "run": ended.to_json(now()) if ended else None,
    }
