"""The plan's headroom: per kind of document, the largest against AWS's limit, as big as the written file really
is; and a stack with a document that cannot fit refused before anything is written, with the lever to pull."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import plan
from components.documents.limits import kind_of, limit_of, size_of
from components.documents.rendered import stack_dashboard_bodies
from components.model.arns import AwsEnv
from tests.support.fleets import fleet_config, write_fleet
from tests.support.pulumi_mocks import Project

ROW = re.compile(r"^(?P<kind>\S+)(?: \((?P<count>\d+)\))?\s+(?P<largest>\S+)\s+(?P<size>[\d,]+) of (?P<limit>[\d,]+) ")


def _stack_files(project: Project, config: dict[str, Any]) -> None:
    (project.root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    (project.root / "Pulumi.test.yaml").write_text(json.dumps({"config": config}))  # JSON is YAML 1.2


def _headroom(out: str) -> list[re.Match[str]]:
    lines = out.split("headroom:", 1)[1].split("\n\n", 1)[0].splitlines()[3:]  # after the title, header, rule
    rows = [m for line in lines if (m := ROW.match(line))]
    assert len(rows) == len(lines), lines
    return rows


def test_each_headroom_line_is_the_real_size_of_the_largest_written_document_of_its_kind(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_fleet(project.jobs, 60, 3)  # 60 jobs x 3 secrets of their own: more than one execution role
    _stack_files(project, fleet_config())
    out_dir = tmp_path / "build"
    assert plan.main(["--stack", "test", "--root", str(project.root), "--out", str(out_dir)]) == 0
    rows = _headroom(capsys.readouterr().out)
    written = {
        str(p.relative_to(out_dir / "test")): json.loads(p.read_text()) for p in (out_dir / "test").rglob("*.json")
    }
    stack = plan.load("test", project.root)
    dashboards = stack_dashboard_bodies(stack, AwsEnv("aws", "eu-central-1", plan.PLACEHOLDER_ACCOUNT))
    assert rows and {m["kind"] for m in rows} >= {"shared/execution-role*.policy.json", "deployer.policy.json"}
    for row in rows:
        path, size = row["largest"], int(row["size"].replace(",", ""))
        kind = limit_of(path)
        assert kind is not None
        if path.endswith(".dashboard.json"):
            assert size == size_of(dashboards[0], kind)
            continue
        assert size == size_of(written[path], kind), path
        same_kind = [p for p in written if kind_of(p) == kind_of(path)]
        assert size == max(size_of(written[p], kind) for p in same_kind), path
        assert int(row["count"] or 1) == len(same_kind), path
    [execution] = [m for m in rows if m["kind"] == "shared/execution-role*.policy.json"]
    assert int(execution["count"]) >= 2 and "shared/execution-role-2.policy.json" in written


def test_a_stack_with_a_document_that_cannot_fit_is_refused_with_the_lever_and_nothing_is_written(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_fleet(project.jobs, 3, 2)
    write_fleet(project.jobs, 1, 150, tag="huge")  # 150 secrets of its own: no one role can hold them
    _stack_files(project, fleet_config())
    out_dir = tmp_path / "build"
    assert plan.main(["--stack", "test", "--root", str(project.root), "--out", str(out_dir)]) == 1
    error = capsys.readouterr().err
    assert "jobs/huge_0000.py: secrets: the job's 150 secret references need an execution role policy of" in error
    assert "JSON keys" in error
    assert not out_dir.exists()
