"""A slot runs once: the first state of a job's machine claims its slot in the lock table, so a second delivery
of the same slot ends as a visible skip instead of running the job again.

EventBridge Scheduler "provides at-least-once event delivery to targets" (Scheduler user guide, "What is Amazon
EventBridge Scheduler?", Key features: Retries), and a start can come back later from the dead-letter queue.
The claim is one item per slot, `<job>#slot#<slot>` (components/model/lock_item.py), written with a condition,
so of two deliveries of one slot exactly one gets past it, whether they arrive together or days apart. It is
kept for SLOT_CLAIM_RETENTION_SECONDS after the slot (the table's TTL then deletes it). A manual run that names
no slot claims `<job>#run#<execution name>`, which no other start can name, so it is never skipped by a claim.

A claim is never given back by the machine: a slot whose run failed, timed out, was stopped or skipped is not
run again by a later delivery either. `jobctl run --scheduled-time` runs such a slot again on purpose, after
checking that the claiming execution did not succeed (jobctl/aws.py, `reopen_slot`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from components.documents.grants import State, Statement, Task, table_grant
from components.documents.job_state import SLOT
from components.documents.lock_states import retry_dynamodb
from components.documents.run_inputs import checked, refusal_catch
from components.model.aws_constants import DYNAMODB_CONDITION_FAILED
from components.model.lock_item import (
    CLAIMED_AT,
    ITEM_EXPIRES_AT,
    LOCK_HOLDER,
    LOCK_KEY,
    RUN_CLAIM_MARK,
    SLOT_CLAIM_MARK,
)
from components.model.run_inputs import RunInput
from components.model.timing import SLOT_CLAIM_RETENTION_SECONDS

EXECUTION_ID = "{% $states.context.Execution.Id %}"
# Every delivery of a slot carries the same <aws.scheduler.scheduled-time>, the slot, in its input.
CLAIM_KEY_OF = (
    "$exists($states.input.scheduledTime) ? '{job}" + SLOT_CLAIM_MARK + "' & $states.input.scheduledTime "
    ": '{job}" + RUN_CLAIM_MARK + "' & $states.context.Execution.Name"
)


@dataclass(frozen=True)
class SlotClaims:
    """One job's slot claims: the items `<job>#slot#*` and `<job>#run#*` of the stack's table."""

    table: str
    table_arn: str
    job_name: str

    def key(self) -> str:
        """JSONata: this execution's claim key."""
        return "{% " + CLAIM_KEY_OF.format(job=self.job_name) + " %}"

    def grant(self, action: str) -> Statement:
        """`action` on the stack's lock table, as the lock's grant (the job state machines share one role)."""
        return table_grant(action, self.table_arn)


def claim_slot(claims: SlotClaims, then: str, inputs: Iterable[RunInput] = ()) -> Task:
    """Claim this execution's slot, or go to ReadSlotClaim when another execution has (the one extra state a
    run makes). "Or ours": DynamoDB may apply a put and still answer 5xx, and the retried put must then pass;
    an expired claim (TTL deletes late, up to days: DynamoDB developer guide, "Working with TTL") is free.
    First, the run's input is checked against the job's `inputs` (components/documents/run_inputs.py): both
    arguments that read it raise the refusal, whichever AWS evaluates first."""
    declared = tuple(inputs)
    expires = f"$floor($toMillis(({SLOT})) / 1000) + {SLOT_CLAIM_RETENTION_SECONDS}"
    state = {
        "Type": "Task",
        "Comment": "Claim the slot: a second delivery of the same slot is skipped, not run again.",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Arguments": {
            "TableName": claims.table,
            "Item": {
                LOCK_KEY: {"S": checked(CLAIM_KEY_OF.format(job=claims.job_name), claims.job_name, declared)},
                LOCK_HOLDER: {"S": EXECUTION_ID},
                CLAIMED_AT: {"S": "{% $states.context.State.EnteredTime %}"},
                ITEM_EXPIRES_AT: {"N": checked(f"$string({expires})", claims.job_name, declared)},
            },
            "ConditionExpression": (
                f"attribute_not_exists({LOCK_KEY}) OR {LOCK_HOLDER} = :me OR {ITEM_EXPIRES_AT} < :now"
            ),
            "ExpressionAttributeValues": {
                ":me": {"S": EXECUTION_ID},
                ":now": {"N": "{% $string($floor($millis() / 1000)) %}"},
            },
        },
        "Retry": retry_dynamodb(),
        "Catch": [
            {"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Output": "{% $states.input %}", "Next": "ReadSlotClaim"},
            refusal_catch(),
        ],
        "Output": "{% $states.input %}",
        "Next": then,
    }
    return Task(state, (claims.grant("dynamodb:PutItem"),))


def slot_already_claimed(claims: SlotClaims) -> dict[str, State | Task]:
    """The skip of a second delivery: read which execution claimed the slot, and end saying so."""
    read = {
        "Type": "Task",
        "Comment": "Which execution claimed this slot, for the skip's reason.",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Arguments": {"TableName": claims.table, "Key": {LOCK_KEY: {"S": claims.key()}}, "ConsistentRead": True},
        "Retry": retry_dynamodb(),
        "Catch": [{"ErrorEquals": ["States.ALL"], "Output": {"claimedBy": "unknown"}, "Next": "SkippedSlotAlreadyRan"}],
        "Output": {
            "claimedBy": f"{{% $exists($states.result.Item) ? $states.result.Item.{LOCK_HOLDER}.S : 'unknown' %}}"
        },
        "Next": "SkippedSlotAlreadyRan",
    }
    slot = "$states.context.Execution.Input.scheduledTime"
    skipped: State = {
        "Type": "Succeed",
        "Comment": "A second delivery of a slot that already ran (or is running): skipped, visibly.",
        "Output": {
            "outcome": "skipped",
            "reason": (
                f"{{% 'slot ' & {slot} & ' already ran in execution ' & $states.input.claimedBy "
                "& ' (a second delivery of a slot is not run again)' %}"
            ),
        },
    }
    return {"ReadSlotClaim": Task(read, (claims.grant("dynamodb:GetItem"),)), "SkippedSlotAlreadyRan": skipped}
