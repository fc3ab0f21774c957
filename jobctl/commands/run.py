"""`jobctl run JOB [--input KEY=VALUE ...] [--scheduled-time UTC_TIME [--rerun]] [--wait]`: start a run now."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from time import sleep

import jobctl.commands.common as common
from components.model.run_context import RUN_CONTEXT_VARIABLES, SCHEDULED_TIME
from components.model.timing import FUTURE_SLOT_ALLOWANCE_SECONDS
from jobctl.aws import StackJobs, manual_execution_name
from jobctl.commands.common import Context, exit_code, job_zone, layout, now, parse_utc_time
from jobctl.errors import EXIT_OK, JobctlError
from jobctl.output import note, print_json
from jobctl.runs import execution_name
from jobctl.tables import runs_table

NAME = "run"
HELP = "start a run now (--wait: follow it to its end and exit with its outcome)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument("--input", action="append", default=[], metavar="KEY=VALUE", help="container environment")
    parser.add_argument("--wait", action="store_true", help="wait for the run to end; exit with its outcome")
    parser.add_argument(
        "--scheduled-time",
        metavar="UTC_TIME",
        help="the slot to run for, e.g. 2026-11-29T06:00:00Z (the container's SCHEDULED_TIME); default: now. "
        "A slot whose run failed, timed out, was stopped or skipped runs again; one that succeeded needs --rerun",
    )
    parser.add_argument("--rerun", action="store_true", help="run a slot again even though it already succeeded")
    parser.add_argument("--force", action="store_true", help="run even while the job is paused (`jobctl pause`)")


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
    """The slot a manual run is for, as the schedule would give it: ISO 8601 in UTC to the second, with Z; never
    in the future, which the job's machine refuses too (components/documents/run_inputs.py)."""
    if text is None:
        return None
    when = parse_utc_time("--scheduled-time", text, "2026-11-29T06:00:00Z", " (the slot to run for)")
    if when > now() + timedelta(seconds=FUTURE_SLOT_ALLOWANCE_SECONDS):
        raise JobctlError(
            f"--scheduled-time {text}: that slot has not come yet; a run may claim only a slot that has come, or "
            "the slot's own scheduled run would be skipped as already ran: nothing was started"
        )
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_declared(jobs: StackJobs, job: str, environment: dict[str, str]) -> None:
    """Refuse, before anything is started, the --input names the job does not declare (Job(inputs=[...])), as
    its machine would. Raises JobctlError (exit 2)."""
    declared = jobs.declared_inputs(job)
    undeclared = sorted(set(environment) - set(declared)) if declared is not None else []
    if undeclared:
        accepted = f"it declares {', '.join(declared or [])}" if declared else "it declares none"
        raise JobctlError(
            f"--input {', '.join(undeclared)}: {job} does not accept these as run inputs; {accepted} (a job's "
            "module names its run inputs: Job(inputs=[...])): nothing was started"
        )


# ECS RunTask: "A total of 8192 characters are allowed for overrides. This limit includes the JSON formatting
# characters of the override structure" (ECS API reference, RunTask, overrides). Step Functions: an execution's
# input is at most 256 KiB (Step Functions developer guide, "Step Functions service quotas").
ECS_OVERRIDES_MAX_CHARACTERS = 8192
SFN_INPUT_MAX_BYTES = 256 * 1024
CONTAINER = "job"  # components/model/naming.py: every job's container


def check_limits(execution_arn: str, job: str, environment: dict[str, str], slot: str | None) -> None:
    """Refuse, before any call, a run AWS would refuse later: its container overrides as the state machine
    sends them (the run's variables and the run context: components/documents/run_task.py) past ECS's limit,
    which would take the lock, fail at RunTask and page. Raises JobctlError (exit 2) with the limit and size."""
    context = {
        SCHEDULED_TIME: slot or "2026-11-30T06:00:00.000Z",
        "JOB_NAME": job,
        "JOB_EXECUTION_ARN": execution_arn,
        "JOB_ATTEMPT": "10",
    }
    entries = [{"name": k, "value": v} for k, v in {**environment, **context}.items()]
    overrides = json.dumps({"containerOverrides": [{"name": CONTAINER, "environment": entries}]}, separators=(",", ":"))
    if len(overrides) > ECS_OVERRIDES_MAX_CHARACTERS:
        raise JobctlError(
            f"--input: the run's container overrides would be {len(overrides):,} characters; ECS RunTask accepts "
            f"at most {ECS_OVERRIDES_MAX_CHARACTERS:,} (variables and JSON together): nothing was started; pass "
            "less (large data belongs in S3 or SSM, referenced by name)"
        )
    size = len(json.dumps({"environment": environment, "scheduledTime": slot, "force": True}).encode())
    if size > SFN_INPUT_MAX_BYTES:
        raise JobctlError(
            f"--input: the run's input would be {size:,} bytes; Step Functions accepts at most "
            f"{SFN_INPUT_MAX_BYTES:,}: nothing was started"
        )


def console_link(jobs: StackJobs, execution_arn: str) -> str:
    return (
        f"https://{jobs.region}.console.aws.amazon.com/states/home?region={jobs.region}"
        f"#/v2/executions/details/{execution_arn}"
    )


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    environment = parse_environment(args.input)
    slot = parse_scheduled_time(args.scheduled_time)
    if slot is None and args.rerun:
        raise JobctlError("--rerun needs --scheduled-time: the slot to run again")
    if environment:  # a run with no --input needs no look at the definition (one call fewer)
        check_declared(jobs, args.job, environment)
    if slot is not None:
        reopened = jobs.reopen_slot(args.job, slot, args.rerun)
        if reopened and not args.json:
            print(reopened)
    name = manual_execution_name(now())
    check_limits(jobs.execution_arn(args.job, name), args.job, environment, slot)
    arn = jobs.start(args.job, environment, name, slot, force=args.force)
    name = execution_name(arn)
    if not args.wait:
        if args.json:
            print_json(NAME, {"job": args.job, "name": name, "execution_arn": arn, "outcome": "running"})
        else:
            print(f"started {args.job} run {name}\n  {console_link(jobs, arn)}")
        return EXIT_OK
    # Name and link first, before any wait, so a lost terminal still knows which run it was.
    note(f"started {args.job} run {name}\n  {console_link(jobs, arn)}")
    note(f"waiting for it to end; Ctrl-C stops the wait, not the run (`jobctl stop {args.job} --execution {name}`)")
    try:
        result = jobs.describe(arn)
        while result.outcome == "running":
            sleep(common.POLL_SECONDS)
            result = jobs.describe(arn)
    except KeyboardInterrupt:
        note(
            f"stopped waiting; run {name} goes on. Follow it again with "
            f"`jobctl logs {args.job} --execution {name} --follow` (exits with its outcome), "
            f"or see it with `jobctl history {args.job} --execution {name}`"
        )
        raise
    shown = layout(args)
    if args.json:
        print_json(NAME, {"job": args.job, **result.to_json(shown.now)})
    else:
        print(runs_table([result], shown, job_zone(jobs, args.job, args)))
    return exit_code(result)
