"""What a change of the jobs does to a deployed stack, in words, for the plan: a removed job, an added one,
and a removal and an addition that may be one job renamed. The plan compares the jobs with those of its
previous output (build/<stack>/jobs/); `pulumi preview` is what compares with AWS."""

from __future__ import annotations

from components.model.naming import job_names, shared_names


def removed_job_note(prefix: str, job: str) -> str:
    names = job_names(prefix, job)
    return (
        f"job {job} is removed: its schedules are deleted first, so no new run starts; a run in flight finishes its "
        f"container, then ends when its state machine is deleted (Step Functions terminates it at its next state), "
        f"and the lock janitor releases its lock and alerts; `pulumi up` waits for that, up to the job's execution "
        f"timeout; its log group {names.log_group} is kept with its retention, and its runs' execution log lines "
        f"stay in {shared_names(prefix).state_machine_log_group}"
    )


# What a job keeps under its name in the lock table (components/model/lock_item.py), the pause first: what a
# rename without `former_names` and `jobctl rename` leaves behind.
JOB_STATE_LOST = (
    "its pause (a paused job runs unpaused under the new name at its next slot)",
    "its consecutive failures and alert state (a failing job starts counting again, an open alert never recovers)",
    "its last succeeded, failed and skipped slots",
    "its slot claims (the new name knows no slot the old one ran, so a backfill or a redelivered start can run "
    "one again)",
)


def renamed_job_note(old: str, new: str) -> str:
    return (
        f"job {old} is renamed to {new} (former_names): its resources are replaced under the new physical names (a "
        f"run in flight of {old} drains as for a removed job); run `jobctl rename {old} {new}` before `pulumi up` "
        "and once more after it, so its pause, failures, alert state, last slots and slot claims carry over"
    )


def job_changes(
    previous: set[str], current: set[str], prefix: str, former_names: dict[str, list[str]] | None = None
) -> list[str]:
    """Notes for the jobs removed and added since `previous`, a declared rename (`former_names`: job -> the
    names it had), and the hint for an undeclared one, saying what it loses."""
    renames = {
        old: new
        for new, olds in (former_names or {}).items()
        for old in olds
        if old in previous and new not in previous
    }
    removed = sorted(previous - current - set(renames))
    added = sorted(current - previous - set(renames.values()))
    notes = [renamed_job_note(old, new) for old, new in sorted(renames.items())]
    notes += [removed_job_note(prefix, job) for job in removed]
    notes += [f"job {job} is added" for job in added]
    if removed and added:
        notes.append(
            f"if {removed[0]} was renamed to {added[0]}: a new name is a new job (a new lock, so both could run at "
            f"once while the old one drains, and a new history), and it loses " + "; ".join(JOB_STATE_LOST) + "; "
            f'to keep the old identity, set name="{removed[0]}" in the renamed module, or declare '
            f'former_names=["{removed[0]}"] and run `jobctl rename {removed[0]} {added[0]}`'
        )
    return notes
