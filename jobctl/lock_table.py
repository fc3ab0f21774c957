"""The stack's lock table as jobctl reads it: each job's item (its lock and what the alerts remember), read for
many jobs at once, and the two writes jobctl makes (release a stuck lock, give back a slot's claim)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from time import sleep
from typing import Any

from botocore.exceptions import ClientError

from components.model.lock_item import (
    CONSECUTIVE_FAILURES,
    LAST_FAILED_AT,
    LAST_FAILED_SLOT,
    LAST_PAUSED_SLOT,
    LAST_SUCCEEDED_AT,
    LAST_SUCCEEDED_SLOT,
    LOCK_ACQUIRED_AT,
    LOCK_ATTRIBUTES,
    LOCK_HOLDER,
    LOCK_KEY,
    PAUSE_NOTE,
    PAUSED_AT,
    PAUSED_BY,
    PAUSED_UNTIL,
    slot_claim_key,
)
from jobctl.errors import JobctlError, NotFound, error_code
from jobctl.runs import EXPIRY_ATTRIBUTES, Lock, Run, expiry, lock_from_item

# BatchGetItem: at most 100 keys per call; what it could not read comes back as UnprocessedKeys, to be asked for
# again (DynamoDB API reference, BatchGetItem). The table also holds a claim item per slot run, kept 14 days
# (keys "<job>#slot#<slot>" and "<job>#run#<name>", components/model/lock_item.py): a Scan would read all of
# them, thousands per job, so the jobs' own items are asked for by key and no claim is ever read.
BATCH_KEYS = 100
_UNPROCESSED_ROUNDS = 8
# Attributes jobctl shows; the rest of the item (alert bookkeeping) is not fetched.
_SHOWN = (
    LOCK_KEY,
    LOCK_HOLDER,
    LOCK_ACQUIRED_AT,
    *EXPIRY_ATTRIBUTES,
    CONSECUTIVE_FAILURES,
    LAST_SUCCEEDED_AT,
    LAST_FAILED_AT,
    PAUSED_AT,
    PAUSED_BY,
    PAUSE_NOTE,
    PAUSED_UNTIL,
)


@dataclass(frozen=True)
class Pause:
    """`jobctl pause`: who, when, why, and until when (None: until `jobctl resume`)."""

    by: str
    at: str
    note: str
    until: datetime | None

    def active(self, now: datetime) -> bool:
        return self.until is None or self.until >= now

    def text(self) -> str:
        until = f" (until {self.until:%Y-%m-%dT%H:%M:%SZ})" if self.until else ""
        return f"paused by {self.by} at {self.at}: {self.note}{until}"

    def to_json(self) -> dict[str, Any]:
        until = f"{self.until:%Y-%m-%dT%H:%M:%SZ}" if self.until else None
        return {"by": self.by, "at": self.at, "note": self.note, "until": until}


@dataclass(frozen=True)
class JobItem:
    """A job's item: its lock while a run holds it, and how its recorded runs went (what the alerts count)."""

    lock: Lock | None
    failures_in_a_row: int
    last_succeeded_at: datetime | None
    last_failed_at: datetime | None
    pause: Pause | None = None  # as written; `Pause.active` says whether it still holds

    @property
    def last_outcome(self) -> str | None:
        """ "succeeded" or "failed" by the later of the two times; None when neither was ever recorded."""
        if self.last_failed_at is None and self.last_succeeded_at is None:
            return None
        if self.last_failed_at is None:
            return "succeeded"
        if self.last_succeeded_at is None:
            return "failed"
        return "failed" if self.last_failed_at > self.last_succeeded_at else "succeeded"

    @property
    def last_outcome_at(self) -> datetime | None:
        times = [t for t in (self.last_succeeded_at, self.last_failed_at) if t is not None]
        return max(times, default=None)


NO_ITEM = JobItem(lock=None, failures_in_a_row=0, last_succeeded_at=None, last_failed_at=None)


def job_item(item: Mapping[str, Mapping[str, str]] | None) -> JobItem:
    """A JobItem from DynamoDB's typed attributes; the item outlives the lock, which is there while it has a holder."""
    if item is None:
        return NO_ITEM
    failures = item.get(CONSECUTIVE_FAILURES, {}).get("N")
    return JobItem(
        lock=lock_from_item(item) if LOCK_HOLDER in item else None,
        failures_in_a_row=int(float(failures)) if failures else 0,
        last_succeeded_at=_iso_time(item.get(LAST_SUCCEEDED_AT, {}).get("S")),
        last_failed_at=_iso_time(item.get(LAST_FAILED_AT, {}).get("S")),
        pause=_pause(item),
    )


def _pause(item: Mapping[str, Mapping[str, str]]) -> Pause | None:
    if PAUSED_AT not in item:
        return None
    until = item.get(PAUSED_UNTIL, {}).get("N")
    return Pause(
        by=item.get(PAUSED_BY, {}).get("S", "unknown"),
        at=item[PAUSED_AT].get("S", ""),
        note=item.get(PAUSE_NOTE, {}).get("S", ""),
        until=datetime.fromtimestamp(int(float(until)), UTC) if until else None,
    )


def _iso_time(text: str | None) -> datetime | None:
    """The state machines write JSONata's $now(), ISO 8601 with a Z; None for anything else."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class LockTable:
    def __init__(self, client: Any, name: str, region: str | None) -> None:
        self._dynamodb = client
        self.name = name
        self._region = region

    def items(self, jobs: Iterable[str]) -> dict[str, JobItem]:
        """Each job's item, read consistently (a just-released lock must not show as held), 100 keys a call."""
        wanted = [job for job in dict.fromkeys(jobs) if "#" not in job]  # a job name never holds '#' (spec)
        found: dict[str, JobItem] = dict.fromkeys(wanted, NO_ITEM)
        for item in self._batch_get(wanted, _SHOWN):
            found[item[LOCK_KEY]["S"]] = job_item(item)
        return found

    def claims(self, job: str, slots: Iterable[str], now: datetime) -> dict[str, str]:
        """Slot -> the execution that claimed it, for the slots of `job` with a live claim (`<job>#slot#<slot>`,
        components/documents/slot_claims.py); an expired claim that TTL has not deleted yet counts as free, as
        the machine's ClaimSlot treats it. Read by key, 100 a call, never scanned."""
        keys = {slot_claim_key(job, slot): slot for slot in slots}
        found: dict[str, str] = {}
        for item in self._batch_get(list(keys), (LOCK_KEY, LOCK_HOLDER, *EXPIRY_ATTRIBUTES)):
            expires = expiry(item)
            if expires is not None and expires < now:
                continue
            found[keys[item[LOCK_KEY]["S"]]] = item[LOCK_HOLDER]["S"]
        return found

    def slot_ended(self, job: str, slot: str) -> str | None:
        """Whether the job's item records `slot` as ended, as the slot watch reads it (components/documents/
        slot_watch.py, `_ended_this_slot`): a run succeeded or failed for it or a later slot, or it was skipped
        because the job was paused. Returns how, in words, or None. One consistent GetItem of three attributes."""
        names = (LAST_SUCCEEDED_SLOT, LAST_FAILED_SLOT, LAST_PAUSED_SLOT)
        found = (
            self._call(
                lambda: self._dynamodb.get_item(
                    TableName=self.name,
                    Key={LOCK_KEY: {"S": job}},
                    ConsistentRead=True,
                    ProjectionExpression=", ".join(names),
                )
            ).get("Item")
            or {}
        )
        succeeded, failed, paused = (str(found.get(name, {}).get("S", "")) for name in names)
        # ISO 8601 UTC times in one format compare as text, as the watch compares them.
        if succeeded >= slot:
            return f"a run succeeded for slot {succeeded}"
        if failed >= slot:
            return f"a run failed for slot {failed} (it alerted by itself)"
        if paused == slot:
            return "the slot was skipped because the job was paused"
        return None

    def _batch_get(self, keys: list[str], attributes: Iterable[str]) -> list[dict[str, Any]]:
        """The items with these `LockId`s (those that exist), consistently read, 100 keys a call."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_KEYS):
            request: dict[str, Any] = {
                self.name: {
                    "Keys": [{LOCK_KEY: {"S": key}} for key in keys[start : start + BATCH_KEYS]],
                    "ConsistentRead": True,
                    "ProjectionExpression": ", ".join(attributes),
                }
            }
            for attempt in range(_UNPROCESSED_ROUNDS):
                response = self._call(partial(self._dynamodb.batch_get_item, RequestItems=request))
                items.extend(response.get("Responses", {}).get(self.name, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                sleep(min(0.1 * 2**attempt, 2.0))  # the API reference asks for a backoff before asking again
            else:
                raise ClientError(
                    {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "keys left unprocessed"}},
                    "BatchGetItem",
                )
        return items

    def delete_lock(self, job: str, holder: str) -> bool:
        """Release the lock only while `holder` still holds it (the item keeps the job's alert state); False
        when it changed hands or is gone."""
        try:
            self._call(
                lambda: self._dynamodb.update_item(
                    TableName=self.name,
                    Key={LOCK_KEY: {"S": job}},
                    UpdateExpression=f"REMOVE {', '.join(LOCK_ATTRIBUTES)}",
                    ConditionExpression=f"{LOCK_HOLDER} = :holder",
                    ExpressionAttributeValues={":holder": {"S": holder}},
                )
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def pause(self, job: str, pause: Pause) -> None:
        """Pause the job on its item (the state machines read it: components/documents/pause.py); the schedule
        resource is not touched, so Pulumi sees no drift."""
        values: dict[str, Any] = {":at": {"S": pause.at}, ":by": {"S": pause.by}, ":note": {"S": pause.note}}
        update = f"SET {PAUSED_AT} = :at, {PAUSED_BY} = :by, {PAUSE_NOTE} = :note"
        if pause.until is not None:
            values[":until"] = {"N": str(int(pause.until.timestamp()))}
            update += f", {PAUSED_UNTIL} = :until"
        else:
            update += f" REMOVE {PAUSED_UNTIL}"
        self._call(
            lambda: self._dynamodb.update_item(
                TableName=self.name,
                Key={LOCK_KEY: {"S": job}},
                UpdateExpression=update,
                ExpressionAttributeValues=values,
            )
        )

    def resume(self, job: str) -> Pause | None:
        """End the job's pause; returns the pause it ended (None: it was not paused)."""
        response = self._call(
            lambda: self._dynamodb.update_item(
                TableName=self.name,
                Key={LOCK_KEY: {"S": job}},
                UpdateExpression=f"REMOVE {PAUSED_AT}, {PAUSED_BY}, {PAUSE_NOTE}, {PAUSED_UNTIL}",
                ReturnValues="ALL_OLD",
            )
        )
        return _pause(response.get("Attributes") or {})

    def reopen_slot(self, job: str, slot: str, rerun: bool, claimer_run: Callable[[str], Run | None]) -> str | None:
        """Before a run that names `slot`: give back the slot's claim (components/documents/slot_claims.py) when
        the execution that claimed it did not run it to success, or with `rerun` when it did, so the new run is
        not skipped as a second delivery. Returns what was done, in words (None: the slot was never claimed).
        Raises JobctlError while the claiming execution is still running, or when it succeeded and not `rerun`.
        `claimer_run` describes an execution (None when it is gone from the history)."""
        key = {LOCK_KEY: {"S": slot_claim_key(job, slot)}}
        item = self._call(lambda: self._dynamodb.get_item(TableName=self.name, Key=key, ConsistentRead=True))
        if item.get("Item") is None:
            return None
        claimer = item["Item"][LOCK_HOLDER]["S"]
        claimed = claimer_run(claimer)
        if claimed is not None and claimed.outcome == "running":
            raise JobctlError(f"slot {slot} of {job} is running now, in execution {claimer}: wait for it or stop it")
        if claimed is not None and claimed.outcome == "succeeded" and not rerun:
            raise JobctlError(
                f"slot {slot} of {job} already ran in execution {claimer} (succeeded); "
                "add --rerun to run it again anyway"
            )
        try:
            self._dynamodb.delete_item(
                TableName=self.name,
                Key=key,
                ConditionExpression=f"{LOCK_HOLDER} = :claimer",
                ExpressionAttributeValues={":claimer": {"S": claimer}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            raise JobctlError(
                f"slot {slot} of {job} was just claimed by another run; see `jobctl status {job}`"
            ) from error
        ended = claimed.outcome if claimed is not None else "gone from the history"
        return f"slot {slot} was claimed by execution {claimer} ({ended}): running it again"

    def _call(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise NotFound(f"lock table {self.name!r} not found in {self._region}") from error
            raise
