"""`jobctl pause JOB --note TEXT [--until TIME]`: every run of the job, scheduled or manual, ends as a skip
saying who paused it, when and why, until `jobctl resume` (or TIME); `jobctl run --force` still runs it. The pause
is kept on the job's item in the lock table, so no deploy is needed and Pulumi sees no drift."""

from __future__ import annotations

import argparse
from datetime import datetime

from jobctl.commands.common import Context, now, parse_utc_time
from jobctl.errors import EXIT_OK, JobctlError
from jobctl.lock_table import Pause
from jobctl.output import print_json

NAME = "pause"
HELP = "pause a job: its runs end as a skip saying who, when and why (no deploy)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument("--note", required=True, help="why, for whoever looks next (shown in every skip)")
    parser.add_argument("--until", metavar="UTC_TIME", help="resume by itself at this time, e.g. 2026-12-01T06:00:00Z")


def parse_until(text: str | None, current: datetime) -> datetime | None:
    if text is None:
        return None
    when = parse_utc_time("--until", text, "2026-12-01T06:00:00Z")
    if when <= current:
        raise JobctlError(f"--until {text!r}: is not in the future (now: {current:%Y-%m-%dT%H:%M:%SZ})")
    return when


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    if not args.note.strip():
        raise JobctlError("--note: say why the job is paused, e.g. --note 'vendor API down, INC-4711'")
    current = now()
    until = parse_until(args.until, current)
    jobs.check_job(args.job)
    pause = Pause(by=jobs.caller(), at=f"{current:%Y-%m-%dT%H:%M:%SZ}", note=args.note.strip(), until=until)
    jobs.locks.pause(args.job, pause)
    if args.json:
        print_json(NAME, {"job": args.job, "paused": True, "pause": pause.to_json()})
    else:
        print(
            f"{args.job}: {pause.text()}\n  runs end as a skip until `jobctl resume {args.job}`"
            + (", or by themselves at the time given" if until else "")
            + f"; `jobctl run {args.job} --force` still runs it"
        )
    return EXIT_OK
