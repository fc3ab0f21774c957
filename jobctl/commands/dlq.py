"""`jobctl dlq [list|replay] [--job JOB]`: the starts EventBridge Scheduler could not deliver (the stack's
dead-letter queue: jobctl/dead_letters.py), and replaying them, each as a run of its slot.

`list` deletes nothing: each message is received once, hidden for LIST_HIDE_SECONDS meanwhile, and shown to every
reader again at once after. `replay` runs each job start one after another, as `jobctl run --scheduled-time` would
(its slot's claim given back when its run did not succeed; refused while it runs or after it succeeded), and
deletes a message only once StartExecution for it succeeded; a message it cannot replay stays, with the reason."""

from __future__ import annotations

import argparse
from datetime import UTC
from time import monotonic
from typing import Any

from components.model.naming import shared_names
from jobctl.aws import StackJobs
from jobctl.commands.common import Context, layout, now
from jobctl.commands.slots import Progress, run_label, start_slot, wait_for_end, wait_for_free_lock
from jobctl.dead_letters import LIST_HIDE_SECONDS, MAX_MESSAGES, REPLAY_HIDE_SECONDS, DeadLetter, dead_letter
from jobctl.errors import EXIT_OK, EXIT_RUN_FAILED, JobctlError
from jobctl.output import at, note, print_json
from jobctl.runs import Run, execution_name
from jobctl.tables import table

NAME = "dlq"
HELP = "starts the schedules could not deliver (the dead-letter queue): list them, or replay each as its slot"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "replay"), default="list")
    parser.add_argument("--job", help="only this job's starts")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    queue = jobs.dead_letters
    url = queue.url()
    hide = REPLAY_HIDE_SECONDS if args.action == "replay" else LIST_HIDE_SECONDS
    letters = [dead_letter(m, jobs.prefix, shared_names(jobs.prefix)) for m in queue.receive_all(url, hide)]
    chosen = [letter for letter in letters if args.job is None or letter.job == args.job]
    results: dict[str, dict[str, Any]] = {}
    try:
        if args.action == "replay":
            queue.hide(url, [m.receipt_handle for m in letters if m not in chosen], 0)
            results = _replay(jobs, url, chosen)
    finally:
        left = [m.receipt_handle for m in chosen if results.get(m.message_id, {}).get("action") != "started"]
        queue.hide(url, left if args.action == "replay" else [m.receipt_handle for m in letters], 0)
    if args.json:
        print_json(
            NAME,
            {
                "action": args.action,
                "queue": queue.name,
                "job": args.job,
                "complete": len(letters) < MAX_MESSAGES,
                "messages": [{**m.to_json(), "replay": results.get(m.message_id)} for m in chosen],
            },
        )
    else:
        print(_table(chosen, results, args))
        if args.action == "list":
            print(
                f"{len(chosen)} undelivered start(s) in {queue.name}; nothing was deleted (each was hidden for at "
                f"most {LIST_HIDE_SECONDS} s while read, then shown again)"
                + (f"; `jobctl dlq replay{' --job ' + args.job if args.job else ''}` runs them" if chosen else "")
            )
    if len(letters) >= MAX_MESSAGES:
        note(f"jobctl: only the first {MAX_MESSAGES} messages were read; run the command again for the rest")
    failed = any(r.get("outcome") not in (None, "succeeded") or r["action"] == "kept" for r in results.values())
    return EXIT_RUN_FAILED if failed else EXIT_OK


def _replay(jobs: StackJobs, url: str, letters: list[DeadLetter]) -> dict[str, dict[str, Any]]:
    """Each job start, oldest first: wait for the job's lock, start its slot, delete the message, wait for the
    run's end (so the next start of the same job does not find the lock held). Held messages stay hidden."""
    progress, results = Progress(), {}
    held = {m.message_id: m.receipt_handle for m in letters}
    renewed = [monotonic()]

    def tick(text: str) -> None:
        progress.show(text)
        if monotonic() - renewed[0] > REPLAY_HIDE_SECONDS / 3:
            jobs.dead_letters.hide(url, held.values(), REPLAY_HIDE_SECONDS)
            renewed[0] = monotonic()

    for letter in letters:
        result: dict[str, Any] = {"action": "kept", "reason": None, "execution_arn": None, "outcome": None}
        results[letter.message_id] = result
        if letter.kind != "job" or letter.job is None or letter.slot is None:
            result["reason"] = "not a job's start with a slot (a slot watch start is not replayed: its deadline passed)"
            continue
        wait_for_free_lock(jobs, letter.job, tick)
        try:
            started = start_slot(jobs, letter.job, letter.slot, False, {})
        except JobctlError as error:
            result["reason"] = str(error)
            continue
        jobs.dead_letters.delete(url, held.pop(letter.message_id))
        result.update(action="started", execution_arn=started.execution_arn)
        ended: Run = wait_for_end(jobs, started.execution_arn, tick)
        progress.clear()
        note(f"{letter.job} slot {letter.slot}: {run_label(ended)} in run {ended.name}")
        result["outcome"] = ended.outcome
        result["run"] = ended.to_json(now())
    return results


def _table(letters: list[DeadLetter], results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    shown = layout(args)
    rows = []
    for letter in letters:
        row = [letter.job or "-", letter.slot or "not known", letter.why, at(letter.sent_at, UTC)]
        if args.action == "replay":
            result = results.get(letter.message_id, {})
            if result.get("action") == "started":
                row.append(f"ran {execution_name(result['execution_arn'])}: {result.get('outcome')}")
            else:
                row.append(f"kept: {result.get('reason')}")
        rows.append(row)
    headers = ["job", "slot (UTC)", "why it was not delivered", "sent (UTC)"]
    return table([*headers, "replay"] if args.action == "replay" else headers, rows, shown, shrink=(2,))
