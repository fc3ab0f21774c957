"""A deployed stack must not notice a refactoring: every resource keeps its URN, or carries an alias to it.

A changed URN without an alias makes `pulumi up` create the resource again under the same physical name
(AlreadyExists for roles, log groups, tables and schedules), or adopt the live one and delete it at the end
of the update (pulumi/pulumi-aws#5900). The snapshot `urns.dev.txt` is of the machinery, not of a user's job
list: a dev-like stack with one job of each kind (written here, so adding, editing or removing a module in
jobs/ never touches it) gives every resource a job can have; a resource the machinery stops making, or renames
without an alias, is caught. After a deliberate change (a resource added or removed), regenerate it with
`UPDATE_URNS=1 pytest tests/program/test_urns.py`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.support.pulumi_mocks import BASE_CONFIG, Project, RecordingMocks, Registered, make_project, run_program

SNAPSHOT = Path(__file__).with_name("urns.dev.txt")
# One job of each kind whose resources differ: cron with secrets and no permissions (no task role), cron with
# permissions (its own task role), rate with retries, manual-only (no schedule, no slot watch).
MACHINERY_JOBS = {
    "disable_inactive_users": 'schedule="cron(30 7 ? * MON *)", secrets={"DB": "/app/db"}',
    "nightly_report": (
        'schedule="cron(0 6 * * ? *)", permissions=[{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::r/*"]}]'
    ),
    "purge_stale_data": 'schedule="rate(6 hours)", retries=1',
    "manual_backfill": "",
}


def _dev_stack(tmp_path: Path) -> RecordingMocks:
    project: Project = make_project(tmp_path)
    for module, fields in MACHINERY_JOBS.items():
        extra = f", {fields}" if fields else ""
        body = f'from components import Job\n\njob = Job(command=["run"], timeout="1h"{extra})\n'
        project.add_job(f"{module}.py", body)
    # encryptAlarmTopic: the key and alias the stack can create are machinery too.
    config = {
        **BASE_CONFIG,
        "scheduled-jobs:namePrefix": "dev",
        "scheduled-jobs:logRetentionDays": 14,
        "scheduled-jobs:encryptAlarmTopic": True,
    }
    return run_program(project, config, stack="dev")


def _identity(chain: list[str], name: str) -> str:
    """What a URN is made of besides stack and project: every ancestor's type, the type, the name.

    (The mock monitor's own URNs keep only the parent's type; the engine keeps the whole chain.)"""
    return f"{'$'.join(chain)}::{name}"


def _identities(mocks: RecordingMocks) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Identity per resource, and the identities each resource's aliases stand for."""
    chains: dict[str, list[str]] = {}  # mock URN -> type chain

    def chain_of(resource: Registered) -> list[str]:
        parent = chains.get(resource.parent or "", [])
        return [*parent, resource.type]

    current: dict[str, str] = {}
    for resource in mocks.resources:
        chains[resource.urn] = chain_of(resource)
        current[resource.urn] = _identity(chains[resource.urn], resource.name)
    aliased: dict[str, list[str]] = {}
    for resource in mocks.resources:
        aliased[resource.urn] = [_alias_identity(alias, resource, chains) for alias in resource.aliases]
    return current, aliased


def _alias_identity(alias: Any, resource: Registered, chains: dict[str, list[str]]) -> str:
    if alias.urn:
        raise AssertionError(f"{resource.name}: give aliases as specs (pulumi.Alias), not URNs: {alias.urn}")
    spec = alias.spec
    if spec.noParent:
        parent_chain: list[str] = []
    elif spec.parentUrn:
        parent_chain = chains[spec.parentUrn]
    else:
        parent_chain = chains.get(resource.parent or "", [])
    return _identity([*parent_chain, spec.type or resource.type], spec.name or resource.name)


def test_every_resource_keeps_its_urn_or_carries_an_alias_to_it(tmp_path: Path) -> None:
    mocks = _dev_stack(tmp_path)
    current, aliased = _identities(mocks)
    before = set(SNAPSHOT.read_text().split())
    now = set(current.values())
    old_names = {identity for identities in aliased.values() for identity in identities}
    reachable = now | old_names
    if os.environ.get("UPDATE_URNS"):
        # Old URNs stay while an alias points at them: stacks deployed before the move still have them.
        before = now | (before & old_names)
        SNAPSHOT.write_text("\n".join(sorted(before)) + "\n")
    lost = sorted(before - reachable)
    assert not lost, (
        "these resources changed their URN with no alias to the old one; a deployed stack would replace them "
        "(give each moved resource `aliases=[pulumi.Alias(...)]` in the same commit):\n  " + "\n  ".join(lost)
    )
    added = sorted(now - before - {i for urn, ids in aliased.items() if ids for i in [current[urn]]})
    assert not added, (
        "new resources (not aliases of old ones); if that is intended, regenerate the snapshot with "
        "UPDATE_URNS=1:\n  " + "\n  ".join(added)
    )
