"""The item a job keeps in the stack's DynamoDB table, by attribute name: its lock while a run holds it, and
what the alerts need to know between runs.

{LockId: job name,
 ExecutionArn, AcquiredAt (ISO time), LockExpiresAt (epoch seconds), RunSlot (ISO UTC): present while a run holds it,
 ConsecutiveFailures (N), AlertedAt (epoch seconds, while a failure alert is outstanding),
 LastSucceededSlot, LastSucceededAt, LastFailedSlot, LastFailedAt, LastSkippedSlot: kept between runs}.
A release removes the lock attributes and keeps the rest, so the item (and with it the alert state and a pause)
lives as long as the table. The job's item never carries the table's TTL attribute (`ExpiresAt`): DynamoDB's TTL
deletes a whole item once that attribute has passed ("Time to Live (TTL)", DynamoDB developer guide), so a lock
that was never released would take the pause and the failure count with it. Only items that may go (slot claims,
the slot watch's claims) carry it. Plain names shared by the state machines, the janitor, the slot watch and
jobctl."""

# Attribute names: compound words, so none is one of DynamoDB's reserved words (OWNER and COUNT are), and no
# ExpressionAttributeNames are needed (DynamoDB developer guide, "Reserved words in DynamoDB").
LOCK_KEY = "LockId"
LOCK_HOLDER = "ExecutionArn"
LOCK_ACQUIRED_AT = "AcquiredAt"
LOCK_EXPIRES_AT = "LockExpiresAt"  # epoch seconds: a holder past it may be taken over; no TTL on it
LOCK_SLOT = "RunSlot"  # the slot the holder runs for
# The table's TTL attribute (epoch seconds): on items that may be deleted once it has passed, never on a job's item.
ITEM_EXPIRES_AT = "ExpiresAt"
# Machines before this release wrote the lock's expiry to ITEM_EXPIRES_AT on the job's item: a lock one of them
# holds (a run in flight across the upgrade) still expires by it, and every release and take-over removes it.
LEGACY_LOCK_EXPIRES_AT = ITEM_EXPIRES_AT
LOCK_ATTRIBUTES = (LOCK_HOLDER, LOCK_ACQUIRED_AT, LOCK_EXPIRES_AT, LOCK_SLOT, LEGACY_LOCK_EXPIRES_AT)

CONSECUTIVE_FAILURES = "ConsecutiveFailures"
ALERTED_AT = "AlertedAt"
LAST_SUCCEEDED_SLOT = "LastSucceededSlot"
LAST_SUCCEEDED_AT = "LastSucceededAt"
LAST_FAILED_SLOT = "LastFailedSlot"
LAST_FAILED_AT = "LastFailedAt"
LAST_SKIPPED_SLOT = "LastSkippedSlot"

# A slot's claim: one more item per slot run, keyed "<job>#slot#<slot>" (or "<job>#run#<execution name>" for a
# manual run that names no slot), so a second delivery of the same slot finds it and is not run again.
# {LockId: the claim key, ExecutionArn: the execution that claimed it, ClaimedAt (ISO time), ExpiresAt (TTL)}. Job
# names never contain "#" (spec.JOB_NAME), so no claim key is a job's lock key or another job's claim.
SLOT_CLAIM_MARK = "#slot#"
RUN_CLAIM_MARK = "#run#"
# The slot watch's claim of a slot it keeps, "<job>#watch#<slot>" (same shape, TTL too), so a watch start that
# EventBridge Scheduler delivers twice (at least once: Scheduler user guide, "Configuring a dead-letter queue"
# and "retry policy") alerts once.
WATCH_CLAIM_MARK = "#watch#"
CLAIMED_AT = "ClaimedAt"


def slot_claim_key(job_name: str, slot: str) -> str:
    """The claim item's key of `job_name`'s `slot` (ISO 8601 UTC, as EventBridge Scheduler writes it)."""
    return f"{job_name}{SLOT_CLAIM_MARK}{slot}"


# A pause (`jobctl pause`): runs end as a visible skip while it lasts; `PausedUntil` (epoch seconds) ends it by
# itself. Kept on the job's item, beside its lock, so the schedule resource is never touched (no drift).
PAUSED_AT = "PausedAt"  # ISO time
PAUSED_BY = "PausedBy"  # the caller identity's ARN
PAUSE_NOTE = "PauseNote"
PAUSED_UNTIL = "PausedUntil"  # epoch seconds; absent: until `jobctl resume`
LAST_PAUSED_SLOT = "LastPausedSlot"  # the last slot skipped because of a pause: intended, not missed
LAST_STARTED_AT = "LastStartedAt"  # concurrency="allow": when the last run started (its start is the pause check)
