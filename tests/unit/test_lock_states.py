"""The lock states a job's state machine gets (components/documents/lock_states.py): the conditional take,
the skip when held, the release on every path, and the take-over that `replace` does."""

from __future__ import annotations

from components.documents.job_machine import job_definition
from tests.support.builders import ALERTS, TARGET, job
from tests.support.machine_paths import success_path

TABLE = "prod-job-locks"


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
    # First a redriven execution's refusal (tests/unit/test_redrive.py), then a pause.
    assert [c["Next"] for c in states["LockHolderFound"]["Choices"]] == ["RefuseRedrive", "RecordPausedSkip"]
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


def test_replace_stops_the_holder_and_takes_the_lock_only_from_it() -> None:
    definition = job_definition(job(concurrency="replace"), TARGET, TABLE, ALERTS)
    states = definition["States"]
    assert states["AcquireLock"]["Catch"][0]["Next"] == "ReadLockHolder"
    read = states["ReadLockHolder"]
    assert read["Resource"] == "arn:aws:states:::dynamodb:getItem"
    assert read["Arguments"]["ConsistentRead"] is True
    assert states["LockHolderFound"]["Choices"][2:] == [{"Condition": "{% $holder = '' %}", "Next": "TakeOverLock"}]
    stop = states["StopLockHolder"]
    assert stop["Resource"] == "arn:aws:states:::aws-sdk:sfn:stopExecution"
    assert stop["Arguments"]["ExecutionArn"].endswith(" : $holder %}")  # unless redriven (test_redrive.py)
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
    assert success_path(definition) == ["ClaimSlot", "AcquireLock", "RunJob", "ClassifyAttempt", "ReleaseLock"]
