"""A Task state and the IAM statements its role needs, built together; a role's policy is their union.

As AWS CDK's `EcsRunTask` task does: the function that writes a state that calls an API also writes the
grant for that call, so a new state cannot reach AWS without the permission it needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.model.permissions import fits_inline

State = dict[str, Any]
Statement = dict[str, Any]
Document = dict[str, Any]

# Step Functions' CloudWatch Logs delivery APIs do not support resource-level permissions
# (Step Functions docs, "Logging using CloudWatch Logs"): these must be Resource "*".
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
]


@dataclass(frozen=True)
class Task:
    """A Task state (an ASL dict) and the statements its machine's role needs to run it."""

    state: State
    grants: tuple[Statement, ...]


@dataclass(frozen=True)
class MachineDocuments:
    """A state machine's definition and its role's policy, derived from the same states."""

    definition: dict[str, Any]
    policy: Document


@dataclass
class Machine:
    """States in order, each plain or a Task: the one place a machine's definition and policy come from."""

    states: dict[str, State | Task] = field(default_factory=dict)

    def add(self, states: Mapping[str, State | Task]) -> None:
        self.states.update(states)

    def documents(self, **top_level: Any) -> MachineDocuments:
        """The definition (`top_level` fields such as StartAt, then States) and the policy: the union of the
        Task states' grants and what every machine needs for its execution logs."""
        definition = {**top_level, "States": self.state_dicts}
        return MachineDocuments(definition, policy_document([*self.grants, execution_log_grant()]))

    @property
    def state_dicts(self) -> dict[str, State]:
        return {name: s.state if isinstance(s, Task) else s for name, s in self.states.items()}

    @property
    def grants(self) -> list[Statement]:
        return [grant for s in self.states.values() if isinstance(s, Task) for grant in s.grants]


def policy_document(statements: Iterable[Statement]) -> Document:
    """One policy from many states' statements: statements with the same Sid are one grant and merge their
    actions (their resources and conditions must agree); the result is sorted by Sid, so the document does
    not change when states are reordered. Raises ValueError for two different grants under one Sid."""
    merged: dict[str, Statement] = {}
    for statement in statements:
        sid = statement["Sid"]
        if sid not in merged:
            merged[sid] = dict(statement)
            continue
        known = merged[sid]
        rest = {k: v for k, v in statement.items() if k != "Action"}
        if rest != {k: v for k, v in known.items() if k != "Action"}:
            raise ValueError(f"two different statements named {sid!r}: {known} and {statement}")
        actions = sorted(set(_actions(known)) | set(_actions(statement)))
        known["Action"] = actions[0] if len(actions) == 1 else actions
    return {"Version": "2012-10-17", "Statement": [merged[sid] for sid in sorted(merged)]}


def _actions(statement: Statement) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def execution_log_grant() -> Statement:
    """What every state machine with execution logging needs, whatever its states (see LOG_DELIVERY_ACTIONS)."""
    return {"Sid": "DeliverExecutionLogs", "Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"}


def item_grant(sid: str, action: str, table_arn: str, keys: Iterable[str]) -> Statement:
    """`action` on the items of `table_arn` whose partition key is one of `keys`: DynamoDB checks the key
    against dynamodb:LeadingKeys (DynamoDB docs, "Using IAM policy conditions for fine-grained access control")."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": action,
        "Resource": table_arn,
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": sorted(keys)}},
    }


def table_grant(action: str, table_arn: str) -> Statement:
    """`action` on any item of `table_arn`: what the job state machines' shared role gets (their lock items
    and slot claims), one statement whatever the actions."""
    return {"Sid": "UseTheLockTable", "Effect": "Allow", "Action": action, "Resource": table_arn}


def fit_inline(documents: MachineDocuments) -> MachineDocuments:
    """A stack-wide machine's policy names every job's key; past the inline policy size its table grants fall
    back to any item of the table (their dynamodb:LeadingKeys conditions dropped; no other condition is)."""
    if not fits_inline(documents.policy):
        for statement in documents.policy["Statement"]:
            if "dynamodb:LeadingKeys" in str(statement.get("Condition", "")):
                statement.pop("Condition")
    return documents
