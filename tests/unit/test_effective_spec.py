"""`plan.py --job NAME`: a job as the stack deploys it, each field with where its value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import plan
from tests.support.pulumi_mocks import BASE_CONFIG

P = "scheduled-jobs:"


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    config = {
        **BASE_CONFIG,
        f"{P}capacity": "spot",
        f"{P}jitter": "5m",
        f"{P}user": "1000",
        f"{P}readOnlyRootFilesystem": True,
        f"{P}jobs": {"export": {"schedule": "cron(0 7 * * ? *)", "memory": 2048}},
    }
    (root / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config}))
    (root / "jobs" / "export.py").write_text(
        "from components import Job\n\njob = Job(schedule='cron(0 6 * * ? *)', command=['x'], timeout='1h', "
        "memory=1024, retries={'attempts': 3})\n"
    )
    (root / "jobs" / "pinned.py").write_text(
        "from components import Job\n\njob = Job(schedule='rate(1 hour)', command=['x'], timeout='10m', "
        "capacity='on-demand', jitter=None, image='public.ecr.aws/docker/library/busybox:1.36', user='2000', "
        "read_only_root_filesystem=False)\n"
    )
    return root


def _show(tmp_path: Path, capsys: pytest.CaptureFixture[str], job: str) -> dict[str, tuple[str, str]]:
    assert plan.main(["--stack", "test", "--root", str(_project(tmp_path)), "--job", job]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"job {job} in stack test (jobs/{job}.py); state machine test-{job}")
    rows = {}
    for line in lines[3:]:
        field, value, source = _split(line)
        rows[field] = (value, source)
    return rows


def _split(line: str) -> tuple[str, str, str]:
    parts = [part.strip() for part in line.split("  ") if part.strip()]
    return parts[0], parts[1], " ".join(parts[2:])


def test_each_field_says_whether_the_module_the_stack_or_the_default_gave_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _show(tmp_path, capsys, "export")
    assert rows["timeout"] == ("1h", "module jobs/export.py")
    assert rows["schedule"] == (
        "cron(0 7 * * ? *)",
        f"stack override {P}jobs.export.schedule (Pulumi.test.yaml); the module's: cron(0 6 * * ? *)",
    )
    assert rows["memory"] == ("2048", f"stack override {P}jobs.export.memory (Pulumi.test.yaml); the module's: 1024")
    assert rows["capacity"] == ("spot", f"stack default {P}capacity (Pulumi.test.yaml)")
    assert rows["jitter"] == ("5m", f"stack default {P}jitter (Pulumi.test.yaml)")
    assert rows["image"] == (BASE_CONFIG[f"{P}image"], f"stack default {P}image (Pulumi.test.yaml)")
    assert rows["user"] == ("1000", f"stack default {P}user (Pulumi.test.yaml)")
    assert rows["read_only_root_filesystem"] == ("true", f"stack default {P}readOnlyRootFilesystem (Pulumi.test.yaml)")
    assert rows["ephemeral_storage"] == ("none", "default")
    assert rows["retries.attempts"] == ("3", "module jobs/export.py")
    assert rows["retries.interval"] == ("1m", "default")
    assert rows["cpu"] == ("256", "default")
    assert rows["concurrency"] == ("forbid", "default")


def test_a_module_that_sets_what_the_stack_defaults_keeps_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _show(tmp_path, capsys, "pinned")
    assert rows["capacity"] == ("on-demand", "module jobs/pinned.py")
    assert rows["jitter"] == ("none", "module jobs/pinned.py")
    assert rows["image"] == ("public.ecr.aws/docker/library/busybox:1.36", "module jobs/pinned.py")
    assert rows["user"] == ("2000", "module jobs/pinned.py")
    assert rows["read_only_root_filesystem"] == ("false", "module jobs/pinned.py")


def test_an_unknown_job_is_an_error_with_the_likely_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main(["--stack", "test", "--root", str(_project(tmp_path)), "--job", "exprt"]) == 2
    assert "--job: 'exprt' is no job of stack test; did you mean 'export'?" in capsys.readouterr().err
