"""Carry a renamed job's state over to its new name in the lock table: its item (pause, consecutive failures,
alert state, last slots) and its slot claims, so the new name is paused if the old one was, keeps counting
failures, and does not run again a slot the old name ran (components/model/lock_item.py has the layout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from components.model.lock_item import LOCK_ATTRIBUTES, LOCK_HOLDER, LOCK_KEY, RUN_CLAIM_MARK, SLOT_CLAIM_MARK
from jobctl.errors import error_code


@dataclass
class Carried:
    """What one `jobctl rename` copied, and what it left (a lock: the old name's run in flight keeps it)."""

    attributes: list[str] = field(default_factory=list)  # item attributes copied to the new name
    kept: list[str] = field(default_factory=list)  # attributes the new name had already (not overwritten)
    claims: int = 0  # slot and run claims copied
    claims_present: int = 0  # claims the new name had already
    lock_holder: str | None = None  # the old name's run in flight, which keeps its own lock

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": self.attributes,
            "kept": self.kept,
            "claims": self.claims,
            "claimsPresent": self.claims_present,
            "lockHolder": self.lock_holder,
        }


def carry_state(dynamodb: Any, table: str, old: str, new: str) -> Carried:
    """Copy `old`'s item attributes that `new` does not have yet (never the lock), and every claim of `old` that
    `new` has not; safe to run again (before `pulumi up`, and once more after it for the slots run meanwhile)."""
    carried = Carried()
    item = dynamodb.get_item(TableName=table, Key={LOCK_KEY: {"S": old}}, ConsistentRead=True).get("Item") or {}
    carried.lock_holder = item.get(LOCK_HOLDER, {}).get("S")
    state = {k: v for k, v in item.items() if k != LOCK_KEY and k not in LOCK_ATTRIBUTES}
    present = dynamodb.get_item(TableName=table, Key={LOCK_KEY: {"S": new}}, ConsistentRead=True).get("Item") or {}
    carried.kept = sorted(k for k in state if k in present)
    carried.attributes = sorted(k for k in state if k not in present)
    if state:
        names = {f"#a{i}": key for i, key in enumerate(sorted(state))}
        values = {f":v{i}": state[key] for i, key in enumerate(sorted(state))}
        sets = ", ".join(f"#a{i} = if_not_exists(#a{i}, :v{i})" for i in range(len(names)))
        # if_not_exists: what the new name has (a pause set since, a count its own runs made) is never overwritten.
        dynamodb.update_item(
            TableName=table,
            Key={LOCK_KEY: {"S": new}},
            UpdateExpression=f"SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    for claim in _claims(dynamodb, table, old):
        suffix = claim[LOCK_KEY]["S"][len(old) :]
        try:
            dynamodb.put_item(
                TableName=table,
                Item={**claim, LOCK_KEY: {"S": new + suffix}},
                ConditionExpression=f"attribute_not_exists({LOCK_KEY})",
            )
            carried.claims += 1
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            carried.claims_present += 1
    return carried


def _claims(dynamodb: Any, table: str, job: str) -> list[dict[str, Any]]:
    """Every claim item of `job` (`<job>#slot#...`, `<job>#run#...`). Claim keys are partition keys, so only a
    Scan finds them; the table holds one item per job and its claims of the last 14 days, so it stays small."""
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "TableName": table,
        "ConsistentRead": True,
        "FilterExpression": "begins_with(#k, :slot) OR begins_with(#k, :run)",
        "ExpressionAttributeNames": {"#k": LOCK_KEY},
        "ExpressionAttributeValues": {":slot": {"S": job + SLOT_CLAIM_MARK}, ":run": {"S": job + RUN_CLAIM_MARK}},
    }
    while True:
        page = dynamodb.scan(**request)
        found.extend(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
