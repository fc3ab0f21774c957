"""The README shows what the code does: its example job is the shipped one, its field table lists every field."""

from __future__ import annotations

import re
from pathlib import Path

from components.model.config import JobOverride
from components.model.spec import Job

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.index("\n## ", start + 1)
    return README[start:end]


def test_example_job_is_the_shipped_module() -> None:
    [example] = re.findall(r"```python\n# jobs/nightly_report.py\n(.*?)```", _section("## Adding a job"), re.DOTALL)
    assert example == (REPO / "jobs" / "nightly_report.py").read_text()


def test_job_fields_table_names_every_field() -> None:
    table = _section("### Job fields")
    named = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)?", table, re.MULTILINE))
    documented = {name for pair in named for name in pair if name}
    assert documented == set(Job.model_fields)


def test_stack_settings_list_every_per_job_override() -> None:
    [row] = [line for line in _section("## Stack settings").splitlines() if line.startswith("| `scheduled-jobs:jobs`")]
    assert set(re.findall(r"`([a-z]+)`", row)) >= set(JobOverride.model_fields)
