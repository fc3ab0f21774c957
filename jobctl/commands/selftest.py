"""`jobctl selftest [--only NAME ...] [--json]`: prove a deployed stack in its own account, as `helm test` proves a
release: each scenario runs the stack's canary jobs (`scheduled-jobs:selfTest: true`) and prints expected,
observed, PASS or FAIL and the evidence; exit 1 on any FAIL. It says what it costs before it starts and removes
what it created, also on Ctrl-C (docs/self-test.md)."""

from __future__ import annotations

import argparse
import sys

from jobctl.aws import StackJobs
from jobctl.commands.common import Context
from jobctl.errors import EXIT_OK, EXIT_RUN_FAILED, JobctlError, NotFound
from jobctl.output import print_json

NAME = "selftest"
HELP = "run the self-test scenarios against the stack's canary jobs (needs scheduled-jobs:selfTest: true)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only these scenarios")


def run(ctx: Context) -> int:
    from jobctl.selftest import CANARY, CANARY_SPOT, COST, SCENARIOS, Outcome, SelfTest

    jobs, args = ctx.jobs, ctx.args
    unknown = sorted(set(args.only) - set(SCENARIOS))
    if unknown:
        raise JobctlError(f"--only {', '.join(unknown)}: no such scenario; scenarios: {', '.join(SCENARIOS)}")
    try:
        jobs.check_job(CANARY)
    except NotFound:
        raise NotFound(
            f"no self-test canary under prefix {jobs.prefix!r}: set `scheduled-jobs:selfTest: true` in the stack "
            "file and run `pulumi up`, then `jobctl selftest` again"
        ) from None
    chosen = args.only or list(SCENARIOS)
    print(f"self-test of prefix {jobs.prefix!r} in {jobs.region}: {', '.join(chosen)}; costs {COST}", file=sys.stderr)
    test = SelfTest(jobs)
    outcomes: list[Outcome] = []
    try:
        for name in chosen:
            if name == "spot" and not _has(jobs, CANARY_SPOT):
                skipped = Outcome("Fargate Spot", "not applicable: the stack runs on an existing cluster")
                skipped.observed, skipped.passed = "skipped", True
                outcomes.append(skipped)
                continue
            print(f"  {name} ...", file=sys.stderr, flush=True)
            outcomes.append(SCENARIOS[name](test))
    finally:
        test.stop_leftovers()  # Ctrl-C or an error: nothing of the self-test keeps running
    failed = [o for o in outcomes if not o.passed]
    if args.json:
        print_json(NAME, {"prefix": jobs.prefix, "passed": not failed, "scenarios": [o.to_json() for o in outcomes]})
    else:
        for o in outcomes:
            evidence = ", ".join(f"{k}: {v}" for k, v in o.evidence.items())
            print(f"{'PASS' if o.passed else 'FAIL'}  {o.scenario}\n  expected: {o.expected}\n  observed: {o.observed}")
            if evidence:
                print(f"  evidence: {evidence}")
            if not o.passed:
                print(f"  likely cause: {o.likely_cause}\n  see: {o.see}")
        print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} passed")
    return EXIT_RUN_FAILED if failed else EXIT_OK


def _has(jobs: StackJobs, job: str) -> bool:
    try:
        jobs.check_job(job)
    except NotFound:
        return False
    return True
