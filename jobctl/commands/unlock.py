"""`jobctl unlock JOB [--yes]`: delete a stuck lock, only while the same run still holds it."""

from __future__ import annotations

import argparse

from botocore.exceptions import ClientError

from jobctl.aws import StackJobs
from jobctl.commands.common import Context, confirm, job_zone, layout
from jobctl.errors import EXIT_OK, EXIT_RUN_FAILED, error_code
from jobctl.output import note, print_json
from jobctl.runs import execution_name
from jobctl.tables import lock_details

NAME = "unlock"
HELP = "delete a stuck lock, if the same run still holds it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    lock = jobs.items([args.job])[args.job].lock
    shown = layout(args)
    if lock is None:
        jobs.check_job(args.job)  # a misspelt job has no lock either: say so instead
        if args.json:
            print_json(NAME, {"job": args.job, "lock": _free(), "holder_outcome": None, "deleted": False})
        else:
            print(f"{args.job} holds no lock: nothing to delete")
        return EXIT_OK
    holder_outcome = _holder_outcome(jobs, lock.holder)
    if not args.json:
        print(lock_details(args.job, lock, shown, job_zone(jobs, args.job, args)))
        print(f"  holder run   {holder_outcome}")
    if holder_outcome == "running":
        note("warning: the holder is still running; without its lock a second run can start alongside it")
    if not confirm(f"delete the lock of {args.job} held by {execution_name(lock.holder)}?", args):
        note("left the lock in place")
        return EXIT_RUN_FAILED
    deleted = jobs.locks.delete_lock(args.job, lock.holder)
    if args.json:
        print_json(
            NAME,
            {"job": args.job, "lock": lock.to_json(shown.now), "holder_outcome": holder_outcome, "deleted": deleted},
        )
    elif deleted:
        print(f"deleted the lock of {args.job} (was held by {execution_name(lock.holder)})")
    else:
        print(
            f"nothing deleted: the lock of {args.job} changed hands or was released since it was read; "
            f"see `jobctl status {args.job}`"
        )
    return EXIT_OK if deleted else EXIT_RUN_FAILED


def _free() -> dict[str, str | None]:
    return {"state": "free", "execution_arn": None, "acquired_at": None, "expires_at": None}


def _holder_outcome(jobs: StackJobs, holder: str) -> str:
    """The holding run's outcome, or "unknown" when its execution no longer exists (history expired)."""
    try:
        return jobs.describe(holder).outcome
    except ClientError as error:
        if error_code(error) in ("ExecutionDoesNotExist", "InvalidArn"):
            return "unknown"
        raise
