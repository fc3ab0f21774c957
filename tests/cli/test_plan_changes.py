"""The plan says what removing, adding or renaming a job will do to a deployed stack, comparing the jobs with
those of its previous output (build/<stack>/jobs/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import plan
from tests.support.pulumi_mocks import BASE_CONFIG

JOB = 'from components import Job\n\njob = Job(schedule="cron(0 6 * * ? *)", command=["x"], timeout="30m")\n'


def _plan(root: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert plan.main(["--stack", "test", "--root", str(root), "--out", str(out), "--now", "2026-11-30T00:00Z"]) == 0
    return capsys.readouterr().out


def test_a_removed_job_is_said_with_what_happens_to_its_run_lock_and_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = tmp_path / "project", tmp_path / "build"
    (root / "jobs").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    (root / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": BASE_CONFIG}))
    for name in ("nightly_export.py", "report.py"):
        (root / "jobs" / name).write_text(JOB)
    first = _plan(root, out, capsys)
    assert "changes since the last plan" not in first  # nothing to compare with yet

    (root / "jobs" / "nightly_export.py").rename(root / "jobs" / "export.py")  # a rename: remove + add
    second = _plan(root, out, capsys)
    assert f"changes since the last plan in {out / 'test'}/" in second
    assert (
        "job nightly-export is removed: its schedules are deleted first, so no new run starts; a run in flight "
        "finishes its container, then ends when its state machine is deleted"
    ) in second
    assert "its log group /scheduled-jobs/test/nightly-export is kept with its retention" in second
    assert "job export is added" in second
    assert 'to keep the old identity, set name="nightly-export" in the renamed module' in second
    assert "job report" not in second.split("changes since the last plan")[1]

    (root / "jobs" / "export.py").write_text(JOB.replace("Job(", 'Job(name="nightly-export", '))
    third = _plan(root, out, capsys)
    assert "job nightly-export is added" in third and "job export is removed" in third
    assert "changes since the last plan" not in _plan(root, out, capsys)  # the same jobs again: nothing
