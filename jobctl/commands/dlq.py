"""`jobctl dlq [list|replay|delete] [--job JOB] [--message ID ...] [--all] [--yes]`: the starts EventBridge Scheduler
could not deliver (the stack's dead-letter queue: jobctl/dead_letters.py), replaying each, and deleting them.

`list` deletes nothing: each message is received once, hidden for LIST_HIDE_SECONDS meanwhile, and shown to every
reader again at once after. `replay` handles every message it can, job starts first and oldest first, and deletes
each only once it is handled:
- a job's start: its slot is run, as `jobctl run --scheduled-time` would (the slot's claim given back when its run
  did not succeed), waiting for the job's lock before and for the run's end after; a start whose slot already ran
  to success or runs now is obsolete (a later delivery ran it) and is deleted without a run;
- a slot watch's start: the watch was never started for that slot, so nobody would hear of it being late, long or
  missed. Once the job's item records the slot as ended (a run succeeded or failed for it or a later slot, or it
  was skipped because the job was paused: what the watch itself checks), there is nothing left to watch and the
  message is deleted as obsolete; otherwise the watch is started for the slot now (named `dlq-<slot>-<job>`, so a
  second replay does not start it twice) and checks it at once: its deadlines have passed, so it alerts what
  nobody was told ("missed", or "late" for a slot that is still running);
- anything else (another stack's, a slot not known) stays, with the reason; `dlq delete --message ID` removes it.
The replayed job starts run first, so a watch start of the same slot finds it ended and is obsolete.
`delete` removes messages without running anything: by message ID, by job, or all, asking first (off a terminal it
needs --yes, as `unlock` and `stop` do). Once the queue is empty its alarm returns to OK (docs/jobctl.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC
from time import monotonic
from typing import Any

from components.model.naming import shared_names
from jobctl.aws import StackJobs
from jobctl.commands.common import Context, confirm, layout, now
from jobctl.commands.slots import Progress, run_label, start_slot, wait_for_end, wait_for_free_lock
from jobctl.dead_letters import LIST_HIDE_SECONDS, MAX_MESSAGES, REPLAY_HIDE_SECONDS, DeadLetter, dead_letter
from jobctl.errors import EXIT_OK, EXIT_RUN_FAILED, JobctlError
from jobctl.output import at, note, print_json
from jobctl.runs import Run, execution_name
from jobctl.tables import table

NAME = "dlq"
HELP = "starts the schedules could not deliver (the dead-letter queue): list, replay or delete them"
# Step Functions execution names: 1-80 characters (StartExecution API reference).
_EXECUTION_NAME_LIMIT = 80
# What replay did with a message; all but KEPT deleted it.
STARTED, CHECKED, OBSOLETE, DELETED, KEPT = "started", "checked", "obsolete", "deleted", "kept"
_GONE = frozenset({STARTED, CHECKED, OBSOLETE, DELETED})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "replay", "delete"), default="list")
    parser.add_argument("--job", help="only this job's starts")
    parser.add_argument(
        "--message", action="append", default=[], metavar="ID", help="delete: only this message (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="delete: every message")
    parser.add_argument("--yes", action="store_true", help="delete: do not ask for confirmation")


def run(ctx: Context) -> int:
    jobs, args = ctx.jobs, ctx.args
    if args.action != "delete" and (args.message or args.all):
        raise JobctlError(f"--message and --all choose what `dlq delete` deletes, not what `dlq {args.action}` does")
    if args.action == "delete" and not (args.message or args.job or args.all):
        raise JobctlError("dlq delete: say what to delete: --message ID (repeatable), --job JOB, or --all")
    queue = jobs.dead_letters
    url = queue.url()
    hide = REPLAY_HIDE_SECONDS if args.action != "list" else LIST_HIDE_SECONDS
    letters = [dead_letter(m, jobs.prefix, shared_names(jobs.prefix)) for m in queue.receive_all(url, hide)]
    chosen = [m for m in letters if _chosen(m, args)]
    results: dict[str, dict[str, Any]] = {}
    try:
        if args.action != "list":
            queue.hide(url, [m.receipt_handle for m in letters if m not in chosen], 0)
        if args.action == "replay":
            results = _replay(jobs, url, chosen)
        elif args.action == "delete":
            results = _delete(jobs, url, chosen, args)
    finally:
        left = [m.receipt_handle for m in chosen if results.get(m.message_id, {}).get("action") not in _GONE]
        queue.hide(url, left if args.action != "list" else [m.receipt_handle for m in letters], 0)
    unknown = sorted(set(args.message) - {m.message_id for m in letters})
    _show(ctx, queue.name, letters, chosen, results)
    if unknown:
        note(f"jobctl: no message {', '.join(unknown)} in {queue.name}")
    if len(letters) >= MAX_MESSAGES:
        note(f"jobctl: only the first {MAX_MESSAGES} messages were read; run the command again for the rest")
    elif args.action != "list" and all(results.get(m.message_id, {}).get("action") in _GONE for m in letters):
        note(
            f"jobctl: {queue.name} is empty; its alarm {shared_names(jobs.prefix).schedule_dead_letter_alarm} "
            "returns to OK within its 5-minute period"
        )
    failed = any(r.get("outcome") not in (None, "succeeded") or r["action"] == KEPT for r in results.values())
    return EXIT_RUN_FAILED if failed or unknown else EXIT_OK


def _chosen(letter: DeadLetter, args: argparse.Namespace) -> bool:
    if args.message and letter.message_id not in args.message:
        return False
    return args.job is None or letter.job == args.job


def _result(action: str = KEPT, reason: str | None = None) -> dict[str, Any]:
    return {"action": action, "reason": reason, "execution_arn": None, "outcome": None}


def _delete(jobs: StackJobs, url: str, letters: list[DeadLetter], args: argparse.Namespace) -> dict[str, Any]:
    if not letters:
        return {}
    which = "every message" if args.all and not args.job and not args.message else f"{len(letters)} message(s)"
    if not confirm(f"delete {which} from {jobs.dead_letters.name} without running anything?", args):
        return {m.message_id: _result(KEPT, "answered no") for m in letters}
    results = {}
    for letter in letters:
        jobs.dead_letters.delete(url, letter.receipt_handle)
        results[letter.message_id] = _result(DELETED, "deleted by `jobctl dlq delete`")
    return results


def _replay(jobs: StackJobs, url: str, letters: list[DeadLetter]) -> dict[str, dict[str, Any]]:
    """Every message, job starts first (oldest first), then the slot watch's; held messages stay hidden (renewed
    while a run is waited for)."""
    progress, results = Progress(), {}
    held = {m.message_id: m.receipt_handle for m in letters}
    renewed = [monotonic()]

    def tick(text: str) -> None:
        progress.show(text)
        if monotonic() - renewed[0] > REPLAY_HIDE_SECONDS / 3:
            jobs.dead_letters.hide(url, held.values(), REPLAY_HIDE_SECONDS)
            renewed[0] = monotonic()

    def handler(letter: DeadLetter) -> Handled:
        def handled(result: dict[str, Any]) -> None:
            jobs.dead_letters.delete(url, held.pop(letter.message_id))
            results[letter.message_id] = result

        return handled

    ordered = [m for m in letters if m.kind == "job"] + [m for m in letters if m.kind != "job"]
    for letter in ordered:
        results[letter.message_id] = _result()
        if letter.job is None or letter.slot is None:
            why = "not a start of this stack's schedules" if letter.kind == "other" else "its slot is not known"
            results[letter.message_id]["reason"] = f"{why}: see `jobctl dlq` and `jobctl dlq delete --message ID`"
        elif letter.kind == "slot-watch":
            _replay_watch(jobs, letter, handler(letter))
        else:
            _replay_job(jobs, letter, tick, handler(letter), results[letter.message_id])
            progress.clear()
    return results


Handled = Callable[[dict[str, Any]], None]  # deletes the message and records what was done


def _replay_job(
    jobs: StackJobs, letter: DeadLetter, tick: Callable[[str], None], handled: Handled, kept: dict[str, Any]
) -> None:
    assert letter.job is not None and letter.slot is not None
    claimer = jobs.locks.claims(letter.job, [letter.slot], now()).get(letter.slot)
    claimed = jobs.describe_if_kept(claimer) if claimer else None
    if claimed is not None and claimed.outcome in ("succeeded", "running"):
        done = "succeeded" if claimed.outcome == "succeeded" else "is running now"
        result = _result(OBSOLETE, f"slot {letter.slot} already ran in execution {claimer} ({done})")
        handled({**result, "execution_arn": claimer})
        return
    wait_for_free_lock(jobs, letter.job, tick)
    try:
        started = start_slot(jobs, letter.job, letter.slot, False, {})
    except JobctlError as error:
        kept["reason"] = str(error)
        return
    result = {**_result(STARTED), "execution_arn": started.execution_arn}
    handled(result)
    ended: Run = wait_for_end(jobs, started.execution_arn, tick)
    note(f"{letter.job} slot {letter.slot}: {run_label(ended)} in run {ended.name}")
    result["outcome"] = ended.outcome
    result["run"] = ended.to_json(now())


def _replay_watch(jobs: StackJobs, letter: DeadLetter, handled: Handled) -> None:
    assert letter.job is not None and letter.slot is not None
    ended = jobs.locks.slot_ended(letter.job, letter.slot)
    if ended is not None:
        handled(_result(OBSOLETE, f"nothing left to watch: {ended}"))
        return
    compact = letter.slot.replace("-", "").replace(":", "")
    name = f"dlq-{compact}-{letter.job}"[:_EXECUTION_NAME_LIMIT]
    arn, started = jobs.start_slot_watch(letter.job, letter.slot, name)
    reason = "the slot watch checks the slot now" if started else "the slot watch checked this slot already"
    note(f"{letter.job} slot {letter.slot}: slot watch {'started' if started else 'already ran'} ({name})")
    handled({**_result(CHECKED, reason), "execution_arn": arn})


def _show(
    ctx: Context,
    queue: str,
    letters: list[DeadLetter],
    chosen: list[DeadLetter],
    results: dict[str, dict[str, Any]],
) -> None:
    args = ctx.args
    if args.json:
        print_json(
            NAME,
            {
                "action": args.action,
                "queue": queue,
                "job": args.job,
                "complete": len(letters) < MAX_MESSAGES,
                "messages": [{**m.to_json(), "replay": results.get(m.message_id)} for m in chosen],
            },
        )
        return
    print(_table(chosen, results, args))
    if args.action == "list":
        print(
            f"{len(chosen)} undelivered start(s) in {queue}; nothing was deleted (each was hidden for at "
            f"most {LIST_HIDE_SECONDS} s while read, then shown again)"
            + (f"; `jobctl dlq replay{' --job ' + args.job if args.job else ''}` handles them" if chosen else "")
        )


def _table(letters: list[DeadLetter], results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    shown = layout(args)
    rows = []
    for letter in letters:
        kind = "slot watch" if letter.kind == "slot-watch" else letter.kind
        row = [letter.job or "-", letter.slot or "not known", letter.why, at(letter.sent_at, UTC), kind]
        row.append(letter.message_id)
        if args.action != "list":
            row.append(_done(results.get(letter.message_id, {})))
        rows.append(row)
    headers = ["job", "slot (UTC)", "why it was not delivered", "sent (UTC)", "start of", "message"]
    done = {"replay": "replay", "delete": "delete"}.get(args.action)
    return table([*headers, done] if done else headers, rows, shown, shrink=(2,))


def _done(result: dict[str, Any]) -> str:
    action = result.get("action", KEPT)
    if action == STARTED:
        return f"ran {execution_name(result['execution_arn'])}: {result.get('outcome')}; deleted"
    if action in (OBSOLETE, CHECKED, DELETED):
        return f"{action}: {result.get('reason')}; deleted"
    return f"kept: {result.get('reason')}"
