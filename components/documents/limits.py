"""How close each document a stack deploys comes to its AWS size limit (model/aws_constants.py, DOCUMENT_LIMITS).

The plan prints the largest document of each kind against its limit, and the plan and the program refuse a stack
with any document past it, saying which lever to pull; a document that grows with the fleet changes form before
(the execution roles: execution_roles.py; the schedules' role: policies.scheduler_policy; the janitor's and the
slot watch's: grants.fit_inline), so this is the last line, not the mechanism."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from components.documents.execution_roles import JobTooLargeForARole
from components.documents.grants import MachineDocuments
from components.documents.rendered import rendered_documents, stack_dashboard_bodies
from components.model.arns import AwsEnv
from components.model.aws_constants import DOCUMENT_LIMITS
from components.model.permissions import policy_length
from components.model.stack import Stack

Document = dict[str, Any]

# Not roles' policies: the CI identities' and jobctl's policies are managed policies (docs/security.md, "The
# deploying identity"; docs/jobctl.md, Permissions), the deployer's as many as its statements need (deployer.py).
MANAGED = re.compile(r"(deployer(-\d+)?|previewer|operator)\.policy\.json")
# The alert topic's key: the policy of the key the stack creates, or the statements a named key's owner adds.
KEY_POLICIES = re.compile(r"(shared/)?alarm-topic-key\.(policy|statements-to-add)\.json")
# What to do when a kind of document is too large; a kind not named here is one job's own (its file and fields).
LEVERS = {
    "jobs/*/task-role.policy.json": "give that job fewer `permissions` statements, or wildcards such as "
    "'arn:aws:s3:::bucket/*'",
    "jobs/*/state-machine.asl.json": "shorten that job's command and environment",
    "shared/execution-role*.policy.json": "reference several values of one Secrets Manager secret by their JSON keys "
    "(one grant for all of them)",
}
SPLIT_THE_STACK = "split the jobs over two stacks, each with its own namePrefix"


@dataclass(frozen=True)
class Headroom:
    """The largest document of one kind (`kind`: its path with the job and the role number as `*`), its size as
    AWS counts it, and how many documents of that kind the stack has."""

    kind: str
    limit_key: str  # a key of DOCUMENT_LIMITS
    largest: str
    size: int
    count: int

    @property
    def limit(self) -> int:
        return DOCUMENT_LIMITS[self.limit_key].limit

    @property
    def share(self) -> float:
        return self.size / self.limit


def kind_of(path: str) -> str:
    """A rendered document's kind: `jobs/report/x.json` -> `jobs/*/x.json`, `execution-role-2` -> `execution-role*`
    (and the dashboards likewise)."""
    path = re.sub(r"^jobs/[^/]+/", "jobs/*/", path)
    return re.sub(r"^shared/(execution-role|dashboard)(-\d+)?\.", r"shared/\1*.", path)


def limit_of(path: str) -> str | None:
    """The DOCUMENT_LIMITS key a rendered document is held to, None for one AWS sets none for."""
    if MANAGED.fullmatch(path):
        return "managed policy"
    if KEY_POLICIES.fullmatch(path):
        return "key policy"
    for suffix, key in (
        (".policy.json", "role inline policies"),
        (".trust.json", "role trust policy"),
        (".asl.json", "state machine definition"),
        (".event-pattern.json", "event pattern"),
        (".dashboard.json", "dashboard widgets"),
    ):
        if path.endswith(suffix):
            return key
    return None


def size_of(document: Document, limit_key: str) -> int:
    """A document's size as AWS counts it for `limit_key`: IAM without white space; a definition in UTF-8 bytes and
    an event pattern in characters, both as the program sends them (key-sorted JSON); a dashboard's widgets."""
    unit = DOCUMENT_LIMITS[limit_key].unit
    if unit == "widgets":
        return len(document["widgets"])
    if limit_key in ("role inline policies", "managed policy", "role trust policy"):
        return policy_length(document)
    return _text_size(json.dumps(document, sort_keys=True), limit_key)


def _text_size(text: str, limit_key: str) -> int:
    return len(text.encode()) if DOCUMENT_LIMITS[limit_key].unit == "bytes" else len(text)


def headroom(documents: dict[str, Document], texts: dict[str, str] | None = None) -> list[Headroom]:
    """Per kind of document, the largest; in the order the kinds first appear. `texts`: path -> the document as
    the program sends it (key-sorted JSON), where the caller has it already, for the definitions and patterns.
    Raises KeyError for a document of a kind no limit is known for, so a new document cannot escape the table."""
    largest: dict[str, Headroom] = {}
    texts = texts or {}
    for path, document in documents.items():
        key = limit_of(path)
        if key is None:
            raise KeyError(f"{path}: no AWS limit known for this kind of document; add it to DOCUMENT_LIMITS")
        kind, size = kind_of(path), _text_size(texts[path], key) if path in texts else size_of(document, key)
        known = largest.get(kind)
        count = 1 if known is None else known.count + 1
        if known is None or size > known.size:
            largest[kind] = Headroom(kind, key, path, size, count)
        else:
            largest[kind] = Headroom(kind, key, known.largest, known.size, count)
    return list(largest.values())


def stack_documents(stack: Stack, env: AwsEnv, machines: list[MachineDocuments] | None = None) -> dict[str, Document]:
    """Every document the stack deploys (rendered.rendered_documents) and its dashboards' bodies."""
    documents = rendered_documents(stack, env, machines)
    for index, body in enumerate(stack_dashboard_bodies(stack, env), start=1):
        documents[f"shared/dashboard{'' if index == 1 else f'-{index}'}.dashboard.json"] = body
    return documents


def stack_headroom(
    stack: Stack, env: AwsEnv, machines: list[MachineDocuments] | None = None, definitions: dict[str, str] | None = None
) -> tuple[list[Headroom], list[str]]:
    """The stack's headroom and its problems: each document past its limit, with the lever to pull. `machines`
    and `definitions` (job name -> its definition as key-sorted JSON): what the program has built already."""
    try:
        documents = stack_documents(stack, env, machines)
    except JobTooLargeForARole as problem:
        return [], [str(problem)]
    texts = {f"jobs/{job}/state-machine.asl.json": text for job, text in (definitions or {}).items()}
    found = headroom(documents, texts)
    return found, [_problem(item) for item in found if item.size > item.limit]


def stack_limit_problems(
    stack: Stack, env: AwsEnv, machines: list[MachineDocuments] | None = None, definitions: dict[str, str] | None = None
) -> list[str]:
    return stack_headroom(stack, env, machines, definitions)[1]


def _problem(item: Headroom) -> str:
    limit = DOCUMENT_LIMITS[item.limit_key]
    lever = LEVERS.get(item.kind, SPLIT_THE_STACK)
    return (
        f"{item.largest}: {item.size:,} {limit.unit}, past AWS's limit of {limit.limit:,} ({limit.source}); "
        f"`pulumi up` would fail on it: {lever}"
    )


def headroom_rows(found: list[Headroom]) -> list[list[str]]:
    """Rows for the plan's table, the closest to its limit first: kind (and how many), largest, its size of the
    limit, share, source."""
    rows = []
    for item in sorted(found, key=lambda h: -h.share):
        limit = DOCUMENT_LIMITS[item.limit_key]
        rows.append(
            [
                f"{item.kind} ({item.count})" if item.count > 1 else item.kind,
                item.largest,
                f"{item.size:,} of {limit.limit:,} {limit.unit}",
                f"{item.share:.0%}",
                limit.source,
            ]
        )
    return rows
