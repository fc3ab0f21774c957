"""The state machine definition each job gets (components/documents/job_machine.py): the path of a run,
every way out after the lock, the execution timeout, and the machine without a lock."""

from __future__ import annotations

import json

from components.documents.job_machine import job_definition
from tests.support.builders import ALERTS, TARGET, job
from tests.support.machine_paths import success_path

TABLE = "prod-job-locks"


def test_locked_job_claims_its_slot_takes_the_lock_runs_checks_and_releases_in_five_transitions() -> None:
    definition = job_definition(job(), TARGET, TABLE, ALERTS)
    assert definition["QueryLanguage"] == "JSONata"
    assert success_path(definition) == ["ClaimSlot", "AcquireLock", "RunJob", "ClassifyAttempt", "ReleaseLock"]


def test_every_state_after_the_lock_leads_to_a_release_on_error() -> None:
    states = job_definition(job(retries=3), TARGET, TABLE, ALERTS)["States"]
    for name, state in states.items():
        before_lock = ("ClaimSlot", "ReadSlotClaim", "AcquireLock", "ReadLockHolder", "RecordPausedSkip")
        # RefuseRedrive is a release (a redriven execution's), and its alert comes after it.
        releases = ("ReleaseLockAfterFailure", "RefuseRedrive", "SendRedriveRefusedAlert")
        if state["Type"] in ("Task",) and name not in (*before_lock, *releases, "RecordSkip"):
            targets = {c["Next"] for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]}
            # the alerts are sent after the release: whatever happens to them, the run ends as it was going to
            assert targets & {"ReleaseLockAfterFailure", "FailRun", "ClassifyAttempt", "RecoveredAlertNotSent"}, name
    # and the classifier's every way out is a success, another attempt, or RunFailed, which releases first
    exits = {rule["Next"] for rule in states["ClassifyAttempt"]["Choices"]} | {states["ClassifyAttempt"]["Default"]}
    assert exits == {
        "ReleaseLock",
        "ReleaseLockAndRecover",
        "RunFailed",
        "WaitBeforeStartRetry",
        "WaitBeforeRetry",
        "RefuseRedrive",
    }
    assert states["RunFailed"]["Next"] == "ReleaseLockAfterFailure"


def test_execution_timeout_covers_every_attempt() -> None:
    definition = job_definition(job(timeout="1h", retries=2), TARGET, TABLE, ALERTS)
    # the run and 2 retries, and 3 start retries, each up to 1h; waits 60+120 s and at most 30+60+120 s; 300 s
    assert definition["TimeoutSeconds"] == 6 * 3600 + 180 + 210 + 300
    spot = job_definition(job(timeout="1h", retries=1, capacity="spot"), TARGET, TABLE, ALERTS)
    # one more attempt on Spot, taken back: the example (Spot, 1h, 1 retry) no longer gets 7980 s
    assert spot["TimeoutSeconds"] == 6 * 3600 + 60 + 210 + 300


def test_allow_concurrency_has_no_lock_states() -> None:
    definition = job_definition(job(concurrency="allow"), TARGET, TABLE, ALERTS)
    assert success_path(definition) == ["ClaimSlot", "StartRun", "RunJob", "ClassifyAttempt", "RecordSuccess"]
    states = definition["States"]
    # The job's item is read and updated for its alert state, never as a lock.
    lock_states = {n: s for n, s in states.items() if n not in ("ClaimSlot", "ReadSlotClaim")}
    assert not any("ExecutionArn" in json.dumps(s.get("Arguments", {})) for s in lock_states.values())
    # Its start is a conditional write: a paused job's run goes to ReadLockHolder, which says why.
    assert states["StartRun"]["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert (
        "AND (attribute_not_exists(PausedAt) OR PausedUntil < :now)"
        in states["StartRun"]["Arguments"]["ConditionExpression"]
    )
    assert states["StartRun"]["Assign"]["attempt"] == 1
    assert states["RunFailed"]["Next"] == "RecordFailure"
    assert states["RecordFailure"]["Next"] == "AlertNow"
