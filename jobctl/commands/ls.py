"""`jobctl ls [PATTERN]`: every job with its schedule in words, time zone, state, next run and last outcome, like
`kubectl get cronjobs`. Read from the schedules and the jobs' items, never from their runs, so it stays cheap."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from jobctl.aws import Schedule
from jobctl.commands.common import Context, completeness, layout, report_problems, select_jobs, utc_time
from jobctl.errors import EXIT_OK
from jobctl.lock_table import JobItem
from jobctl.output import age, at, print_json, zone
from jobctl.parallel import Problem, gather, problem_of
from jobctl.runs import iso
from jobctl.tables import table

NAME = "ls"
HELP = "every job with its schedule, time zone, state, next run and last outcome"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pattern", nargs="?", help="only jobs matching this glob, such as 'report-*'")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    names = select_jobs(jobs, args.pattern)
    schedules = gather(jobs.schedule, names)
    problems: list[Problem] = list(schedules.problems)
    try:
        items: dict[str, JobItem] | None = jobs.items(names)
    except ClientError as error:
        items, problems = None, [*problems, problem_of("the lock table", error)]
    shown = layout(args)
    rows = [_row(job, job in schedules.values, schedules.values.get(job), items, shown.now) for job in names]
    if args.json:
        print_json(
            NAME,
            {
                "prefix": jobs.prefix,
                "region": jobs.region,
                **completeness(problems),
                "jobs": rows,
            },
        )
    else:
        print(_table(rows, shown))
    report_problems(problems, len(names), "jobs")
    return max([EXIT_OK, *(p.exit_code for p in problems)])


def _row(
    job: str, read: bool, schedule: Schedule | None, items: dict[str, JobItem] | None, now: datetime
) -> dict[str, Any]:
    """One job's line as JSON: the same keys for scheduled, manual, disabled and unread jobs."""
    item = items.get(job) if items is not None else None
    words, following = _describe(schedule, now)
    if not read:
        state = "unknown"
    elif schedule is None:
        state = "manual"
    else:
        state = "enabled" if schedule.enabled else "disabled"
    if read and item is not None and item.pause is not None and item.pause.active(now):
        state = "paused"  # by `jobctl pause`: the schedule still fires, its runs end as a skip
    return {
        "job": job,
        "state": state,
        "schedule": schedule.expression if schedule else None,
        "schedule_words": words,
        "timezone": schedule.timezone if schedule else None,
        "next_run": iso(following) if following and state in ("enabled", "paused") else None,
        "last_outcome": item.last_outcome if item else None,
        "last_outcome_at": iso(item.last_outcome_at) if item else None,
        "failures_in_a_row": item.failures_in_a_row if item else None,
        "lock": ("held" if item.lock.state(now) == "held" else "expired")
        if item and item.lock
        else ("free" if item else "unknown"),
    }


def _describe(schedule: Schedule | None, now: datetime) -> tuple[str | None, datetime | None]:
    """The schedule in words and its next run, worked out here (components.model.schedule, imported only now:
    it loads aws-croniter and cron-descriptor, which the rest of jobctl does without). A rate's next run
    depends on when its schedule was created, so it is not worked out."""
    if schedule is None:
        return None, None
    from components.model.schedule import parse_schedule

    try:
        parsed = parse_schedule(schedule.expression)
        following = parsed.next_runs(schedule.timezone, 1, now)
        return parsed.describe(), following[0] if following else None
    except ValueError:
        return schedule.expression, None


def _table(rows: list[dict[str, Any]], shown: Any) -> str:
    lines = []
    for row in rows:
        tz = zone(row["timezone"])
        nxt = utc_time(row["next_run"]) if row["next_run"] else None
        last_at = utc_time(row["last_outcome_at"]) if row["last_outcome_at"] else None
        last = "never run" if row["last_outcome"] is None else f"{row['last_outcome']} {age(last_at, shown.now)}"
        if row["failures_in_a_row"]:
            last += f" ({row['failures_in_a_row']} in a row)"
        if row["state"] == "unknown":
            last = "not read" if row["last_outcome"] is None else last
        lines.append(
            [
                row["job"],
                row["schedule_words"] or ("by hand only" if row["state"] == "manual" else "not read"),
                row["timezone"] or "-",
                row["state"],
                f"{at(nxt, tz)} ({age(nxt, shown.now)})" if nxt else "-",
                last,
                row["lock"],
            ]
        )
    headers = ["job", "schedule", "time zone", "state", "next run (job's time zone)", "last outcome", "lock"]
    return table(headers, lines, shown, shrink=(1, 0, 5))
