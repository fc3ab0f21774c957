"""docs/changing-a-deployed-stack.md says what the upgrade check does: its ForceNew table is the check's table,
its unsafe example is the check's own output on this repository's history, and it quotes the AWS sentences the
check's messages quote."""

from __future__ import annotations

import re
from pathlib import Path

from components.model import upgrade_check
from components.model.force_new import FORCE_NEW, RUN_DEPENDENCIES, STATEFUL
from components.model.resource_graph import graph_from_json
from components.model.upgrade_check import check
from tests.support.history_graphs import stored

DOC = Path(__file__).resolve().parents[2] / "docs" / "changing-a-deployed-stack.md"
UPDATE_STATE_MACHINE = "Running executions will continue to use the previous definition and roleArn."
UNSAFE_COMMIT = "8b930e3"  # the up that moved every state machine to the shared role


def force_new_rows() -> str:
    rows = []
    for typ, entry in FORCE_NEW.items():
        fields = "every input but `tags`" if entry.every_field else ", ".join(f"`{f}`" for f in entry.fields)
        rows.append(f"| `{typ}` | {fields} | `{entry.source}` |")
    return "\n".join(rows)


def unsafe_upgrade_text() -> str:
    graphs = stored()
    commits = list(graphs)
    previous = commits[commits.index(UNSAFE_COMMIT) - 1]  # the graph main had just before it
    before, after = graph_from_json(graphs[previous]), graph_from_json(graphs[UNSAFE_COMMIT])
    return "\n".join(check(before, after).lines())


def _section(marker: str) -> str:
    text = DOC.read_text()
    [body] = re.findall(rf"<!-- {marker}:.*?-->\n(.*?)\n<!-- end {marker} -->", text, re.DOTALL)
    return str(body)


def test_the_docs_force_new_table_is_the_checks() -> None:
    table = _section("force-new-table").splitlines()
    assert "\n".join(table[2:]) == force_new_rows()


def test_the_docs_unsafe_example_is_the_checks_output_on_the_shared_role_upgrade() -> None:
    assert _section("unsafe-upgrade") == f"```text\n{unsafe_upgrade_text()}\n```"


def test_the_docs_quote_update_state_machine_as_the_check_does() -> None:
    text = " ".join(DOC.read_text().split())
    assert f'UpdateStateMachine: "{UPDATE_STATE_MACHINE}"' in text
    assert UPDATE_STATE_MACHINE.rstrip(".") in " ".join((upgrade_check.__doc__ or "").split())
    assert "undocumented" not in text and "not documented by AWS" not in text


def test_the_docs_name_every_failing_condition_the_check_has() -> None:
    text = " ".join(DOC.read_text().split())
    for kind in ("role", "inline policy", "task definition"):
        assert kind in _failing_conditions(text)
    assert len(RUN_DEPENDENCIES) == 3
    for held in (
        "every job's lock, pause, failure count, alert state and slot claims",
        "the dead-letter queue's messages",
    ):
        assert held in text
    assert set(STATEFUL) == {
        "aws:dynamodb/table:Table",
        "aws:sqs/queue:Queue",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:sns/topic:Topic",
    }


def _failing_conditions(text: str) -> str:
    return text.split("**The check fails** on:")[1].split("**On this repository's history**")[0]
