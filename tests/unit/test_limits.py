"""Every document a stack deploys against its AWS size limit (components/documents/limits.py), for generated fleets
of real shape up to 2000 jobs with 5 secrets of their own each and permissions on every third."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.documents import rendered
from components.documents.execution_roles import execution_roles
from components.documents.limits import Headroom, headroom, headroom_rows, kind_of, size_of, stack_headroom
from components.model.aws_constants import DOCUMENT_LIMITS
from components.model.stack import Stack
from tests.support.builders import ENV
from tests.support.fleets import fleet_stack

# What grows with the fleet, and must be in the table at every size (docs/limits.md).
GROWING = {
    "shared/execution-role*.policy.json",
    "shared/scheduler-role.policy.json",
    "shared/job-state-machines-role.policy.json",
    "shared/lock-janitor-role.policy.json",
    "shared/slot-watch-role.policy.json",
    "shared/slot-watch.asl.json",
    "shared/lock-janitor.asl.json",
    "shared/lock-janitor.event-pattern.json",
    "shared/scheduler-role.trust.json",
    "shared/dashboard*.dashboard.json",
    "deployer.policy.json",
    "previewer.policy.json",
}


@pytest.fixture(scope="module")
def fleet_2000() -> Stack:
    return fleet_stack(2000, 5)


def _kinds(found: list[Headroom]) -> set[str]:
    return {item.kind for item in found}


@pytest.mark.parametrize(("jobs", "secrets"), [(200, 2), (300, 3), (500, 5)], ids=["200x2", "300x3", "500x5"])
def test_every_document_of_a_generated_fleet_is_within_its_limit(jobs: int, secrets: int) -> None:
    found, problems = stack_headroom(fleet_stack(jobs, secrets), ENV)
    assert problems == []
    assert GROWING <= _kinds(found)
    assert all(item.size <= item.limit for item in found), [i for i in found if i.size > i.limit]


def test_2000_jobs_with_5_secrets_of_their_own_and_permissions_on_every_third_fit_every_limit(
    fleet_2000: Stack,
) -> None:
    documents = rendered.rendered_documents(fleet_2000, ENV)
    found, problems = stack_headroom(fleet_2000, ENV)
    assert problems == []
    # Every document was measured against the limit of its kind, and none crosses it.
    assert sum(item.count for item in found) == len(documents) + 10  # + 10 dashboards of 200 jobs each
    for item in found:
        assert item.size <= DOCUMENT_LIMITS[item.limit_key].limit, item
    by_kind = {item.kind: item for item in found}
    assert by_kind["shared/execution-role*.policy.json"].count == len(execution_roles(fleet_2000, ENV)) > 50
    assert by_kind["jobs/*/task-role.policy.json"].count == 667  # every third job's permissions


def test_the_same_check_fails_when_a_formula_would_cross_a_limit(
    fleet_2000: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The measurement is not a formula of its own: an execution role packed to 20,000 characters is refused,
    naming the document, its size, AWS's limit, its source and the lever."""
    monkeypatch.setattr(rendered, "execution_roles", functools.partial(execution_roles, budget=20_000))
    _, problems = stack_headroom(fleet_2000, ENV)
    assert problems and all(p.startswith("shared/execution-role") for p in problems)
    assert 'past AWS\'s limit of 10,240 (IAM user guide, "IAM and AWS STS quotas"' in problems[0]
    assert "JSON keys" in problems[0]


def _literal_documents() -> Iterator[tuple[str, dict[str, Any], int]]:
    policy: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    yield "shared/execution-role-3.policy.json", policy, len(json.dumps(policy, separators=(",", ":")))
    pattern: dict[str, Any] = {"source": ["aws.states"], "detail": {"status": ["FAILED"]}}
    yield "shared/lock-janitor.event-pattern.json", pattern, len(json.dumps(pattern, sort_keys=True))
    definition: dict[str, Any] = {"Comment": "Größe", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}
    yield "jobs/x/state-machine.asl.json", definition, len(json.dumps(definition, sort_keys=True).encode())


@pytest.mark.parametrize(("path", "document", "size"), list(_literal_documents()))
def test_each_document_is_measured_as_aws_counts_it(path: str, document: dict[str, object], size: int) -> None:
    [item] = headroom({path: document})
    assert (item.kind, item.largest, item.size) == (kind_of(path), path, size)
    assert item.size == size_of(document, item.limit_key)


def test_the_largest_of_a_kind_is_shown_with_how_many_there_are_closest_to_its_limit_first() -> None:
    small = {"Version": "2012-10-17", "Statement": []}
    large = {"Version": "2012-10-17", "Statement": [{"Sid": "X" * 9000}]}
    found = headroom(
        {
            "shared/execution-role.policy.json": small,
            "shared/execution-role-2.policy.json": large,
            "deployer.policy.json": small,
        }
    )
    rows = headroom_rows(found)
    assert rows[0][:4] == [
        "shared/execution-role*.policy.json (2)",
        "shared/execution-role-2.policy.json",
        f"{size_of(large, 'role inline policies'):,} of 10,240 characters",
        "88%",
    ]
    assert rows[1][0] == "deployer.policy.json" and rows[1][2].endswith("of 6,144 characters")


def test_a_document_of_a_kind_with_no_known_limit_is_refused_so_it_cannot_escape_the_table() -> None:
    with pytest.raises(KeyError, match=r"shared/new-thing\.json: no AWS limit known"):
        headroom({"shared/new-thing.json": {}})
