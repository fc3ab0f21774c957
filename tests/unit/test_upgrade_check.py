"""The upgrade check on graphs built from the last release's (components/model/release_graph.json) by the
change a commit would make: what each resource becomes, and which changes fail the check."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from components.model.force_new import FORCE_NEW, STATEFUL
from components.model.resource_graph import Graph, GraphResource, read_release
from components.model.upgrade_check import check, classify

RELEASE = read_release()["default"]
MACHINE_ROLE = "shared-job-state-machines-role"


def _one(graph: Graph, name: str) -> GraphResource:
    [found] = [r for r in graph.resources if r.name == name]
    return found


def _edit(graph: Graph, resource_name: str, /, **inputs: Any) -> Graph:
    """The graph with one resource's inputs changed (None removes an input)."""
    edited = []
    for resource in graph.resources:
        if resource.name == resource_name:
            merged = {k: v for k, v in {**resource.inputs, **inputs}.items() if v is not None}
            resource = replace(resource, inputs=merged)
        edited.append(resource)
    return Graph(tuple(edited))


def _without(graph: Graph, name: str) -> Graph:
    return Graph(tuple(r for r in graph.resources if r.name != name))


def _actions(graph_before: Graph, graph_after: Graph) -> dict[str, str]:
    return {c.identity.split("::")[-1]: c.action for c in classify(graph_before, graph_after) if c.action != "same"}


def test_the_release_against_itself_changes_nothing_and_passes() -> None:
    report = check(RELEASE, RELEASE)
    assert report.ok and _actions(RELEASE, RELEASE) == {}
    assert report.counts()["same"] == len(RELEASE.resources)


def test_deleting_the_role_the_machines_used_fails_and_names_every_job_whose_runs_it_breaks() -> None:
    """The unsafe fixture: the machines move to a new role and the one they used is deleted in the same up."""
    old = _one(RELEASE, MACHINE_ROLE)
    new_role = replace(old, identity=old.identity.replace(MACHINE_ROLE, "shared-jobs-role"), name="shared-jobs-role")
    after = Graph((*_without(RELEASE, MACHINE_ROLE).resources, new_role))
    for machine in ("cron-job-state-machine", "rate-job-with-permissions-state-machine"):
        after = _edit(after, machine, roleArn="arn:aws:iam::123456789012:role/graph-new-jobs-sfn")
    report = check(RELEASE, after)
    assert _actions(RELEASE, after)[MACHINE_ROLE] == "delete"
    assert not report.ok
    assert any(
        f"delete of {MACHINE_ROLE}, which cron-job-state-machine used, in the same up" in p
        and '"Running executions will continue to use the previous definition and roleArn"' in p
        for p in report.problems
    )
    assert set(report.affected_jobs) == {"cron-job", "rate-job-with-permissions"}


def test_changing_the_roles_policy_in_place_keeps_its_identity_and_passes() -> None:
    after = _edit(RELEASE, MACHINE_ROLE, inlinePolicies={"sha256": "changed", "chars": 1})
    report = check(RELEASE, after)
    assert _actions(RELEASE, after) == {MACHINE_ROLE: "update"}
    assert report.ok


def test_renaming_a_role_replaces_it_and_fails_like_a_delete() -> None:
    after = _edit(RELEASE, MACHINE_ROLE, name="graph-renamed-sfn")
    report = check(RELEASE, after)
    assert _actions(RELEASE, after) == {MACHINE_ROLE: "replace"}
    assert not report.ok and "replace of shared-job-state-machines-role" in report.problems[0]


@pytest.mark.parametrize("retained", [True, False])
@pytest.mark.parametrize("name", sorted(r.name for r in RELEASE.resources if r.type in STATEFUL))
def test_a_stateful_resource_replaced_fails_unless_the_old_one_is_retained(name: str, retained: bool) -> None:
    resource = _one(RELEASE, name)
    before = Graph(tuple(replace(r, retain_on_delete=retained) if r is resource else r for r in RELEASE.resources))
    force_new = FORCE_NEW[resource.type].fields[0]
    after = _edit(before, name, **{force_new: "graph-something-else"})
    report = check(before, after)
    assert _actions(before, after) == {name: "replace"}
    if resource.protect:
        assert any(f"replace of protected {name}: the preview fails" in p for p in report.problems)
    elif retained:
        assert report.ok  # the old one stays in AWS, unmanaged
    else:
        assert any(f"replace of {name}" in p and STATEFUL[resource.type] in p for p in report.problems)


def test_a_stateful_resource_deleted_without_retain_fails() -> None:
    table = _one(RELEASE, "shared-locks")
    unretained = Graph(
        tuple(replace(r, retain_on_delete=False, protect=False) if r is table else r for r in RELEASE.resources)
    )
    report = check(unretained, _without(unretained, "shared-locks"))
    assert not report.ok and "loses every job's lock, pause" in report.problems[0]


def test_the_dead_letter_queue_removed_is_forgotten_and_its_alarm_deleted() -> None:
    after = _without(_without(RELEASE, "shared-schedule-dlq"), "shared-schedule-dlq-alarm")
    assert _actions(RELEASE, after) == {"shared-schedule-dlq": "forget", "shared-schedule-dlq-alarm": "delete"}
    assert check(RELEASE, after).ok


def test_a_new_task_definition_revision_of_the_same_family_is_safe_but_a_new_family_is_not() -> None:
    same_family = _edit(RELEASE, "cron-job-task", cpu="512")
    assert _actions(RELEASE, same_family) == {"cron-job-task": "replace"}
    assert check(RELEASE, same_family).ok
    new_family = _edit(RELEASE, "cron-job-task", family="graph-cron-job-v2")
    report = check(RELEASE, new_family)
    assert not report.ok and "replace of cron-job-task, which cron-job-state-machine used" in report.problems[0]
    assert "cron-job" in report.affected_jobs


def test_a_removed_job_drains_before_its_task_definition_and_role_go() -> None:
    """Pulumi deletes the machine first (it depends on the task definition), and DeleteStateMachine waits."""
    after = Graph(tuple(r for r in RELEASE.resources if r.job != "rate-job-with-permissions"))
    report = check(RELEASE, after)
    assert report.ok
    notes = report.affected_jobs["rate-job-with-permissions"]
    assert any(
        "rate-job-with-permissions-state-machine is deleted: a run in flight ends at its next state" in n for n in notes
    )
    assert _actions(RELEASE, after)["rate-job-with-permissions-logs"] == "forget"


def test_a_resource_moved_under_an_alias_is_matched_not_created_and_deleted() -> None:
    rule = _one(RELEASE, "shared-janitor-rule")
    moved_identity = "scheduled-jobs:jobs:SharedInfra$aws:cloudwatch/eventRule:EventRule::shared-janitor-rule-moved"
    moved = replace(rule, identity=moved_identity, name="shared-janitor-rule-moved", aliases=(rule.identity,))
    after = Graph((*_without(RELEASE, "shared-janitor-rule").resources, moved))
    changes = [c for c in classify(RELEASE, after) if c.action != "same"]
    assert changes == []  # inputs unchanged: the same resource under its new URN
    [same] = [c for c in classify(RELEASE, after) if c.renamed_from]
    assert same.renamed_from == rule.identity


def test_every_type_the_program_declares_has_a_force_new_entry_citing_the_providers_source() -> None:
    declared = {r.type for graph in read_release().values() for r in graph.resources if r.custom}
    assert declared <= set(FORCE_NEW), sorted(declared - set(FORCE_NEW))
    for entry in FORCE_NEW.values():
        assert re.fullmatch(r"internal/service/[a-z0-9]+/[a-z_]+\.go", entry.source)
        assert entry.fields or entry.every_field
