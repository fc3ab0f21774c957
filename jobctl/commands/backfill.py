"""`jobctl backfill JOB --from UTC_TIME [--to UTC_TIME] [--only missing|failed|all] [--execute]`: the job's slots in
a range and what became of each (ran, failed, skipped, missed, or unknown once older than the claims' 14 days);
with --execute, the chosen slots run one after another, each for its slot, as `jobctl run --scheduled-time`."""

from __future__ import annotations

import argparse

from jobctl.commands.common import (
    Context,
    completeness,
    exit_code,
    job_zone,
    layout,
    now,
    parse_utc_time,
    report_problems,
)
from jobctl.commands.slots import (
    LABELS,
    ONLY,
    Progress,
    SlotState,
    run_label,
    slot_states,
    slots_between,
    start_slot,
    wait_for_end,
    wait_for_free_lock,
)
from jobctl.errors import EXIT_OK, JobctlError, NotFound
from jobctl.output import at, note, print_json, zone_label
from jobctl.runs import Run, execution_name, iso
from jobctl.tables import Layout, table

NAME = "backfill"
HELP = "a job's slots in a time range and what became of each; --execute runs the missed (or failed) ones"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job")
    parser.add_argument(
        "--from", dest="start", required=True, metavar="UTC_TIME", help="first slot, e.g. 2026-11-01T00:00:00Z"
    )
    parser.add_argument("--to", dest="end", metavar="UTC_TIME", help="last slot (default: now)")
    parser.add_argument(
        "--only",
        choices=ONLY,
        default="missing",
        help="which slots --execute runs: missing (no run started; default), failed (the run failed, timed out, "
        "was stopped or skipped), all (every slot, also those that succeeded)",
    )
    parser.add_argument("--execute", action="store_true", help="run the chosen slots (default: only list them)")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    current = now()
    start = parse_utc_time("--from", args.start, "2026-11-01T00:00:00Z")
    end = current  # a slot to come is not due yet
    if args.end:
        end = min(parse_utc_time("--to", args.end, "2026-11-01T00:00:00Z"), current)
    if start > end:
        raise JobctlError(f"--from {args.start!r} is after --to (or now): nothing to list")
    schedule = jobs.schedule(args.job)
    if schedule is None:
        jobs.check_job(args.job)  # a misspelt job is UnknownJob (exit 6)
        raise NotFound(f"{args.job} has no schedule (it runs only by hand), so it has no slots")
    slots = slots_between(schedule.expression, schedule.timezone, start, end)
    states, problems = slot_states(jobs, args.job, slots, current)
    ran: dict[str, Run] = {}
    if args.execute:
        chosen = [state for state in states if state.chosen(args.only)]
        ran = _execute(ctx, chosen)
    shown = layout(args)
    if args.json:
        print_json(
            NAME,
            {
                "job": args.job,
                "schedule": schedule.expression,
                "timezone": schedule.timezone,
                "from": iso(start),
                "to": iso(end),
                "only": args.only,
                "execute": args.execute,
                "slots": [
                    {
                        **state.to_json(),
                        "chosen": state.chosen(args.only),
                        "run": ran[state.key].to_json(shown.now) if state.key in ran else None,
                    }
                    for state in states
                ],
                **completeness(problems),
            },
        )
    else:
        print(_table(states, ran, ctx, shown))
        if not args.execute:
            count = sum(state.chosen(args.only) for state in states)
            print(f"{count} of {len(states)} slots would run with --only {args.only}; add --execute to run them")
    report_problems(problems, len(states), "slots")
    codes = [exit_code(r) for r in ran.values()] + [p.exit_code for p in problems]
    return max([EXIT_OK, *codes])


def _execute(ctx: Context, chosen: list[SlotState]) -> dict[str, Run]:
    """Each chosen slot, oldest first, one at a time: wait for the lock, give back its claim, start it, wait for
    its end. Stops at the first run that does not succeed (a broken job would fail them all). Interrupted, the
    started run goes on, and running backfill again carries on: a slot whose run succeeded is no longer chosen."""
    jobs, args = ctx.jobs, ctx.args
    progress = Progress()
    ran: dict[str, Run] = {}
    for number, state in enumerate(chosen, 1):
        step = f"[{number}/{len(chosen)}] slot {state.key}"

        def tick(text: str, step: str = step) -> None:
            progress.show(f"{step}: {text}")

        wait_for_free_lock(jobs, args.job, tick)
        started = start_slot(jobs, args.job, state.key, args.only == "all", {})
        tick(f"started {execution_name(started.execution_arn)}")
        try:
            ended = wait_for_end(jobs, started.execution_arn, tick)
        except KeyboardInterrupt:
            progress.clear()
            note(f"{step}: stopped waiting; run {execution_name(started.execution_arn)} goes on")
            raise
        progress.clear()
        note(f"{step}: {run_label(ended)} in run {ended.name}")
        ran[state.key] = ended
        if ended.outcome != "succeeded":
            note(f"backfill stopped at slot {state.key}: fix the cause and run the same command again")
            break
    return ran


def _table(states: list[SlotState], ran: dict[str, Run], ctx: Context, shown: Layout) -> str:
    args = ctx.args
    tz = job_zone(ctx.jobs, args.job, args)
    rows = []
    for state in states:
        done = ran.get(state.key)
        if done is not None:
            then = f"ran: {run_label(done)}"
        elif state.chosen(args.only):
            then = "not run (stopped before it)" if args.execute else "would run"
        else:
            then = "-"
        rows.append(
            [
                at(state.slot, tz),
                LABELS.get(state.state, state.state),
                done.name if done else execution_name(state.execution_arn) if state.execution_arn else "-",
                then,
                state.detail or "",
            ]
        )
    headers = [f"slot ({zone_label(tz)})", "what happened", "run", "backfill", "error"]
    return table(headers, rows, shown, shrink=(4, 2))
