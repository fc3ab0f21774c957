"""`.ci/run`, the CI entry point, runs the checks the code base claims: ruff and `mypy --strict` on every Python
package of the product and on the tests, then the suite, then the suite again with a user's jobs added."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CI_RUN = REPO / ".ci" / "run"


def _commands() -> list[list[str]]:
    lines = [line.split("#", 1)[0].strip() for line in CI_RUN.read_text().splitlines()]
    return [shlex.split(line) for line in lines if line]


def _product() -> set[str]:
    """Every Python package and top-level module of the checkout except tests (and tools' folders)."""
    found = {p.name for p in REPO.glob("*.py")}
    found |= {p.parent.name for p in REPO.glob("*/__init__.py") if not p.parent.name.startswith(".")}
    found |= {p.name for p in REPO.iterdir() if p.is_dir() and any(p.glob("*.py")) and not p.name.startswith(".")}
    return found - {"node_modules", "build", "jobs"}


def test_ci_runs_ruff_on_everything_and_mypy_strict_on_the_product_and_the_tests() -> None:
    commands = _commands()
    assert [".venv/bin/ruff", "check", "."] in commands
    assert [".venv/bin/ruff", "format", "--check", "."] in commands
    [mypy] = [c for c in commands if c[0].endswith("mypy")]
    assert "--strict" in mypy
    checked = {re.sub(r"/$", "", arg) for arg in mypy[1:] if not arg.startswith("-")}
    assert _product() | {"tests"} <= checked, f"not type-checked in CI: {sorted(_product() | {'tests'} - checked)}"


def test_ci_runs_the_suite_and_the_suite_with_added_jobs_and_fails_when_either_fails() -> None:
    text = CI_RUN.read_text()
    for line in (
        '.ci/with-added-jobs >"$added_log" 2>&1 &',
        ".venv/bin/python -m pytest || status=$?",
        'wait "$added" || status=$?',
    ):
        assert f"\n{line}\n" in text
    assert text.rstrip().endswith('exit "$status"')
