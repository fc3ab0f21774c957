"""The state machine definition each job gets."""

from __future__ import annotations

import json
from typing import Any

from components.documents.job_machine import job_definition
from components.documents.lock_janitor import janitor_event_pattern, janitor_machine
from components.documents.table_machine import TableMachineArgs
from tests.support.builders import ALERTS, ENV, TARGET, job

TABLE = "prod-job-locks"


def _success_path(definition: dict[str, Any]) -> list[str]:
    """State names a successful run passes through (the exit-code-0 rule taken at a Choice)."""
    path: list[str] = []
    name = definition["StartAt"]
    while len(path) < 20:
        path.append(name)
        state = definition["States"][name]
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return path
        if state["Type"] == "Choice":
            # the success with no failure alert outstanding (a recovery also sends an alert)
            rules = [
                r for r in state["Choices"] if "exitCode = 0" in r["Condition"] and "alertedAt" not in r["Condition"]
            ] or state["Choices"]
            name = rules[0]["Next"]
        else:
            name = state["Next"]
    raise AssertionError(f"no end after {path}")


def test_locked_job_claims_its_slot_takes_the_lock_runs_checks_and_releases_in_five_transitions() -> None:
    definition = job_definition(job(), TARGET, TABLE, ALERTS)
    assert definition["QueryLanguage"] == "JSONata"
    assert _success_path(definition) == ["ClaimSlot", "AcquireLock", "RunJob", "ClassifyAttempt", "ReleaseLock"]


def test_lock_is_a_conditional_update_of_owner_expiry_and_slot_that_reads_what_the_item_remembers() -> None:
    definition = job_definition(job(), TARGET, TABLE, ALERTS)
    acquire = definition["States"]["AcquireLock"]
    assert acquire["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    arguments = acquire["Arguments"]
    assert arguments["TableName"] == TABLE
    assert arguments["Key"] == {"LockId": {"S": "report"}}
    assert arguments["UpdateExpression"] == (
        "SET ExecutionArn = :me, AcquiredAt = :at, LockExpiresAt = :expires, RunSlot = :slot REMOVE ExpiresAt"
    )
    assert arguments["ExpressionAttributeValues"][":me"] == {"S": "{% $states.context.Execution.Id %}"}
    # "or ours": a write that DynamoDB applied but answered with a 5xx is retried and must not skip the run
    # Free, expired or already ours; and, unless the run was started with {"force": true}, not paused.
    # ExpiresAt: the expiry of a lock taken by the machine of an earlier release (a run in flight at the upgrade).
    free = "attribute_not_exists(ExecutionArn) OR LockExpiresAt < :now OR ExpiresAt < :now OR ExecutionArn = :me"
    assert arguments["ConditionExpression"] == (
        f"{{% $states.context.Execution.Input.force = true ? '{free}' : "
        f"'({free}) AND (attribute_not_exists(PausedAt) OR PausedUntil < :now)' %}}"
    )
    # timeout 30m, no retries: 4 attempts (the run and 3 start retries) x 1800 + start waits 30+60+120 + 300 for
    # the lock steps = 7710 s; the lock outlives that by 600 s.
    assert definition["TimeoutSeconds"] == 7710
    assert arguments["ExpressionAttributeValues"][":expires"]["N"] == (
        "{% $string($floor($toMillis($states.context.Execution.StartTime) / 1000) + 8310) %}"
    )
    assert arguments["ReturnValues"] == "ALL_OLD"  # the alert state the item kept
    assert set(acquire["Assign"]) == {
        "attempt",
        "startRetries",
        "jobRetries",
        "slot",
        "failuresBefore",
        "alertedAt",
        "lastSucceededAt",
    }


def test_held_lock_ends_as_a_visible_skip_not_a_failure() -> None:
    states = job_definition(job(), TARGET, TABLE, ALERTS)["States"]
    [catch] = states["AcquireLock"]["Catch"]
    assert catch == {
        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
        "Output": "{% $states.input %}",
        "Next": "ReadLockHolder",
    }
    # why: a pause ends as SkippedPaused (tests/executed/test_pause_on_moto.py), a holder as a skip
    assert states["ReadLockHolder"]["Next"] == "LockHolderFound"
    assert [c["Next"] for c in states["LockHolderFound"]["Choices"]] == ["RecordPausedSkip"]
    assert states["LockHolderFound"]["Default"] == "RecordSkip"
    # the skipped slot is remembered for the slot watch; the run ends as a skip whatever that write does
    assert states["RecordSkip"]["Arguments"]["UpdateExpression"] == "SET LastSkippedSlot = :slot"
    assert states["RecordSkip"]["Next"] == "SkippedAlreadyRunning"
    assert states["RecordSkip"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "SkippedAlreadyRunning"}]
    skip = states["SkippedAlreadyRunning"]
    assert skip["Type"] == "Succeed"
    assert skip["Output"]["outcome"] == "skipped"
    assert "already running" in skip["Output"]["reason"]


def test_lock_condition_failure_is_never_retried_but_throttling_is() -> None:
    retry = job_definition(job(), TARGET, TABLE, ALERTS)["States"]["AcquireLock"]["Retry"]
    assert retry[0] == {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "MaxAttempts": 0}
    assert "DynamoDB.ProvisionedThroughputExceededException" in retry[1]["ErrorEquals"]
    assert retry[1]["MaxAttempts"] > 0


def test_run_waits_for_the_fargate_task_within_the_jobs_timeout() -> None:
    run = job_definition(job(timeout="45m"), TARGET, TABLE, ALERTS)["States"]["RunJob"]
    assert run["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    assert run["TimeoutSeconds"] == 2700
    arguments = run["Arguments"]
    assert arguments["Cluster"] == "prod-jobs"
    assert arguments["TaskDefinition"] == "prod-report"
    assert arguments["LaunchType"] == "FARGATE"
    assert arguments["PropagateTags"] == "TASK_DEFINITION"
    assert arguments["NetworkConfiguration"]["AwsvpcConfiguration"] == {
        "Subnets": ["subnet-0123456789abcdef0"],
        "SecurityGroups": ["sg-0123456789abcdef0"],
        "AssignPublicIp": "DISABLED",
    }


def test_failed_runs_are_retried_only_as_often_as_the_job_asks() -> None:
    """The run state retries nothing itself: every attempt goes to the one classifier (tests/unit/test_attempts.py
    evaluates it), whose job-retry rule allows exactly the job's retries."""
    no_retries = job_definition(job(), TARGET, TABLE, ALERTS)["States"]
    assert "Retry" not in no_retries["RunJob"]
    assert "WaitBeforeRetry" not in no_retries
    assert [rule["Next"] for rule in no_retries["ClassifyAttempt"]["Choices"]] == [
        "ReleaseLockAndRecover",
        "ReleaseLock",
        "RunFailed",
        "WaitBeforeStartRetry",
    ]
    retries = job_definition(job(retries={"attempts": 2, "interval": "5m", "backoff_rate": 3}), TARGET, TABLE, ALERTS)
    states = retries["States"]
    assert "$jobRetries < 2" in states["ClassifyAttempt"]["Choices"][-1]["Condition"]
    assert states["WaitBeforeRetry"]["Seconds"] == "{% $max([1, $round(300 * $power(3.0, $jobRetries - 1))]) %}"
    assert states["WaitBeforeRetry"]["Next"] == "RunJob"


def test_exit_code_of_the_job_container_decides_success() -> None:
    states = job_definition(job(), TARGET, TABLE, ALERTS)["States"]
    assert "Containers[Name='job'].ExitCode" in states["RunJob"]["Assign"]["outcome"]
    assert "Containers[Name='job'].ExitCode" in states["RunJob"]["Output"]
    check = states["ClassifyAttempt"]
    assert check["Choices"][:2] == [
        {
            "Condition": (
                "{% $outcome.exitCode = 0 and $not($outcome.stopCode = 'SpotInterruption') and $alertedAt > 0 %}"
            ),
            "Next": "ReleaseLockAndRecover",
        },
        {
            "Condition": "{% $outcome.exitCode = 0 and $not($outcome.stopCode = 'SpotInterruption') %}",
            "Next": "ReleaseLock",
        },
    ]
    assert check["Default"] == "RunFailed"
    assert states["RunFailed"]["Next"] == "ReleaseLockAfterFailure"
    assert "'Job.NonZeroExit'" in states["RunFailed"]["Assign"]["failure"]


def test_failed_run_releases_lock_before_failing_with_the_original_error() -> None:
    states = job_definition(job(), TARGET, TABLE, ALERTS)["States"]
    [catch] = states["RunJob"]["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    assert (
        catch["Assign"]["outcome"] == "{% {'error': $states.errorOutput.Error, 'cause': $states.errorOutput.Cause} %}"
    )
    assert catch["Next"] == "ClassifyAttempt"
    assert states["RunFailed"]["Next"] == "ReleaseLockAfterFailure"
    release = states["ReleaseLockAfterFailure"]
    assert release["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert release["Arguments"]["ConditionExpression"] == "ExecutionArn = :me"
    assert release["Arguments"]["UpdateExpression"].startswith(
        "REMOVE ExecutionArn, AcquiredAt, LockExpiresAt, RunSlot, ExpiresAt SET"
    )
    assert release["Next"] == "AlertNow"
    assert states["AlertNow"]["Choices"][0]["Next"] == "SendFailureAlert" and states["AlertNow"]["Default"] == "FailRun"
    assert states["SendFailureAlert"]["Next"] == "FailRun"
    assert release["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "FailRun"}]
    assert states["FailRun"]["Type"] == "Fail"
    # "States." error names are reserved: re-raised as "Job.", the original kept in the cause
    assert "'Job.' & $substringAfter($failure.Error, 'States.')" in states["FailRun"]["Error"]


def test_every_state_after_the_lock_leads_to_a_release_on_error() -> None:
    states = job_definition(job(retries=3), TARGET, TABLE, ALERTS)["States"]
    for name, state in states.items():
        before_lock = ("ClaimSlot", "ReadSlotClaim", "AcquireLock", "ReadLockHolder", "RecordPausedSkip")
        if state["Type"] in ("Task",) and name not in (*before_lock, "ReleaseLockAfterFailure", "RecordSkip"):
            targets = {c["Next"] for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]}
            # the alerts are sent after the release: whatever happens to them, the run ends as it was going to
            assert targets & {"ReleaseLockAfterFailure", "FailRun", "ClassifyAttempt", "RecoveredAlertNotSent"}, name
    # and the classifier's every way out is a success, another attempt, or RunFailed, which releases first
    exits = {rule["Next"] for rule in states["ClassifyAttempt"]["Choices"]} | {states["ClassifyAttempt"]["Default"]}
    assert exits == {"ReleaseLock", "ReleaseLockAndRecover", "RunFailed", "WaitBeforeStartRetry", "WaitBeforeRetry"}
    assert states["RunFailed"]["Next"] == "ReleaseLockAfterFailure"


def test_success_release_only_releases_a_lock_this_execution_holds_and_records_the_success() -> None:
    release = job_definition(job(), TARGET, TABLE, ALERTS)["States"]["ReleaseLock"]
    assert release["Arguments"]["Key"] == {"LockId": {"S": "report"}}
    assert release["Arguments"]["ConditionExpression"] == "ExecutionArn = :me"
    assert release["Arguments"]["ExpressionAttributeValues"][":me"] == {"S": "{% $states.context.Execution.Id %}"}
    assert release["Arguments"]["UpdateExpression"] == (
        "REMOVE ExecutionArn, AcquiredAt, LockExpiresAt, RunSlot, ExpiresAt, AlertedAt "
        "SET ConsecutiveFailures = :zero, LastSucceededSlot = :slot, LastSucceededAt = :at"
    )
    assert release["End"] is True
    catches = {c["ErrorEquals"][0]: c["Next"] for c in release["Catch"]}
    assert catches["DynamoDB.ConditionalCheckFailedException"] == "LockAlreadyReleased"


def test_execution_timeout_covers_every_attempt() -> None:
    definition = job_definition(job(timeout="1h", retries=2), TARGET, TABLE, ALERTS)
    # the run and 2 retries, and 3 start retries, each up to 1h; waits 60+120 s and at most 30+60+120 s; 300 s
    assert definition["TimeoutSeconds"] == 6 * 3600 + 180 + 210 + 300
    spot = job_definition(job(timeout="1h", retries=1, capacity="spot"), TARGET, TABLE, ALERTS)
    # one more attempt on Spot, taken back: the example (Spot, 1h, 1 retry) no longer gets 7980 s
    assert spot["TimeoutSeconds"] == 6 * 3600 + 60 + 210 + 300


def test_allow_concurrency_has_no_lock_states() -> None:
    definition = job_definition(job(concurrency="allow"), TARGET, TABLE, ALERTS)
    assert _success_path(definition) == ["ClaimSlot", "StartRun", "RunJob", "ClassifyAttempt", "RecordSuccess"]
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


def test_janitor_releases_only_the_lock_of_the_execution_that_ended_badly() -> None:
    definition = janitor_machine(
        TableMachineArgs(env=ENV, table=TABLE, alerts=ALERTS),
        name_prefix="prod",
        shared_machines=["lock-janitor"],
        sources={"report": "jobs/report.py"},
    ).definition
    release = definition["States"]["ReleaseAbandonedLock"]
    assert release["Arguments"]["ConditionExpression"] == "ExecutionArn = :execution"
    assert release["Arguments"]["ExpressionAttributeValues"][":execution"] == {
        "S": "{% $states.input.detail.executionArn %}"
    }
    # It counts a failed run and alerts, since no Catch of the run's own did.
    assert "ADD ConsecutiveFailures :one" in release["Arguments"]["UpdateExpression"]
    assert release["Next"] == "SendEndedBadlyAlert"
    assert ":stateMachine:prod-'" in release["Arguments"]["Key"]["LockId"]["S"]
    pattern = janitor_event_pattern(ENV, "prod")
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert pattern["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]


def test_replace_stops_the_holder_and_takes_the_lock_only_from_it() -> None:
    definition = job_definition(job(concurrency="replace"), TARGET, TABLE, ALERTS)
    states = definition["States"]
    assert states["AcquireLock"]["Catch"][0]["Next"] == "ReadLockHolder"
    read = states["ReadLockHolder"]
    assert read["Resource"] == "arn:aws:states:::dynamodb:getItem"
    assert read["Arguments"]["ConsistentRead"] is True
    assert states["LockHolderFound"]["Choices"][1:] == [{"Condition": "{% $holder = '' %}", "Next": "TakeOverLock"}]
    stop = states["StopLockHolder"]
    assert stop["Resource"] == "arn:aws:states:::aws-sdk:sfn:stopExecution"
    assert stop["Arguments"]["ExecutionArn"] == "{% $holder %}"
    take_over = states["TakeOverLock"]
    free = (
        "attribute_not_exists(ExecutionArn) OR LockExpiresAt < :now OR ExpiresAt < :now OR ExecutionArn = :me "
        "OR ExecutionArn = :holder"
    )
    assert (
        f"? '{free}' : '({free}) AND (attribute_not_exists(PausedAt)" in take_over["Arguments"]["ConditionExpression"]
    )
    assert take_over["Arguments"]["ExpressionAttributeValues"][":holder"] == {"S": "{% $holder %}"}
    # Of two replacers, the one whose take-over finds another holder ends as a skip.
    assert take_over["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "Output": "{% $states.input %}",
            "Next": "RecordSkip",
        }
    ]
    assert take_over["Next"] == "RunJob"
    assert {k: take_over["Assign"][k] for k in ("attempt", "startRetries", "jobRetries")} == {
        "attempt": 1,
        "startRetries": 0,
        "jobRetries": 0,
    }
    assert _success_path(definition) == ["ClaimSlot", "AcquireLock", "RunJob", "ClassifyAttempt", "ReleaseLock"]


def test_spot_job_runs_on_fargate_spot_and_falls_back_to_on_demand() -> None:
    definition = job_definition(job(capacity="spot"), TARGET, TABLE, ALERTS)
    states = definition["States"]
    assert _success_path(definition) == ["ClaimSlot", "AcquireLock", "RunJobOnSpot", "ClassifyAttempt", "ReleaseLock"]
    spot = states["RunJobOnSpot"]["Arguments"]
    assert spot["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
    assert "LaunchType" not in spot  # RunTask refuses both
    assert states["RunJob"]["Arguments"]["LaunchType"] == "FARGATE"
    assert states["RunJobOnSpot"]["Assign"]["onSpot"] == "{% true %}"
    assert states["RunJob"]["Assign"]["onSpot"] == "{% false %}"
    [spot_rule] = [r for r in states["ClassifyAttempt"]["Choices"] if "$onSpot" in r["Condition"]]
    assert spot_rule["Next"] == "RunJob" and "SpotInterruption" in spot_rule["Condition"]


def test_spot_job_that_fails_spends_its_retries_on_demand_without_an_extra_run() -> None:
    states = job_definition(job(capacity="spot", retries=2), TARGET, TABLE, ALERTS)["States"]
    assert "Retry" not in states["RunJobOnSpot"]
    assert states["WaitBeforeRetry"]["Next"] == "RunJob"
    assert "$jobRetries < 2" in states["ClassifyAttempt"]["Choices"][-1]["Condition"]  # the Spot run was the first
