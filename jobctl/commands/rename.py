"""`jobctl rename OLD NEW`: carry a renamed job's state (pause, failures, alert state, last slots, slot claims)
from its former name to its new one. The plan names this step for a job that declares `former_names`."""

from __future__ import annotations

import argparse

from components.model.naming import shared_names
from jobctl.commands.common import Context
from jobctl.errors import EXIT_OK, JobctlError
from jobctl.output import print_json
from jobctl.state_rename import carry_state

NAME = "rename"
HELP = "carry a renamed job's state over to its new name (run before `pulumi up` and once after)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="the name the job was deployed under (one of its former_names)")
    parser.add_argument("new", help="its name now")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    if args.old == args.new:
        raise JobctlError(f"rename: old and new are both {args.old!r}: give the former name and the new one")
    table = shared_names(jobs.prefix).lock_table
    carried = carry_state(jobs.client("dynamodb"), table, args.old, args.new)
    if args.json:
        print_json(NAME, {"old": args.old, "new": args.new, **carried.to_json()})
        return EXIT_OK
    copied = ", ".join(carried.attributes) or "nothing (no state under the old name)"
    print(f"{args.old} -> {args.new}: copied {copied}; {carried.claims} slot claims")
    if carried.kept:
        print(f"kept what {args.new} already had: {', '.join(carried.kept)}")
    if carried.claims_present:
        print(f"{carried.claims_present} claims were there already")
    if carried.lock_holder:
        print(
            f"not copied: the lock of {args.old}, held by {carried.lock_holder}: that run keeps it and drains under "
            f"the old name, so {args.new} may start while it runs; run this again after `pulumi up`"
        )
    return EXIT_OK
