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


def job_changes(previous: set[str], current: set[str], prefix: str) -> list[str]:
    """Notes for the jobs removed and added since `previous`, and the hint for a rename."""
    removed, added = sorted(previous - current), sorted(current - previous)
    notes = [removed_job_note(prefix, job) for job in removed]
    notes += [f"job {job} is added" for job in added]
    if removed and added:
        notes.append(
            f"if {removed[0]} was renamed to {added[0]}: a new name is a new job (a new lock, so both could run at "
            f"once while the old one drains, and a new history); to keep the old identity, set "
            f'name="{removed[0]}" in the renamed module'
        )
    return notes
