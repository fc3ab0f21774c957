"""How the bad-input tests run a case: through the pure loader (what plan.py uses) and through the Pulumi
program under mocks, which must fail with the same message before registering a single resource."""

from __future__ import annotations

from typing import Any

from components.loading.stack import load_stack
from components.model.errors import InvalidSetup
from tests.support.pulumi_mocks import BASE_CONFIG, Project, run_program

P = "scheduled-jobs:"
CONFIG_FILE = "Pulumi.test.yaml"
DROP = object()  # a config change that removes the key


def module(fields: str) -> str:
    """A job module with the spec on line 3, so messages point at `jobs/report.py:3`."""
    return f"from components import Job\n\njob = Job({fields})\n"


def good(extra: str = "") -> str:
    return module('schedule="cron(0 6 * * ? *)", command=["python", "-m", "app.report"], timeout="30m"' + extra)


def manual(extra: str) -> str:
    return module('command=["python", "-m", "app.report"], timeout="30m"' + extra)


def configured(change: dict[str, Any]) -> dict[str, Any]:
    config = {**BASE_CONFIG, **change}
    return {key: value for key, value in config.items() if value is not DROP}


def problems(project: Project, config: dict[str, Any]) -> list[str]:
    """The problems the pure loader reports, or [] if it accepts the setup."""
    try:
        load_stack(project.jobs, config, "scheduled-jobs", "test", CONFIG_FILE)
    except InvalidSetup as error:
        return error.problems
    return []


def assert_rejected_everywhere(project: Project, config: dict[str, Any], fragments: list[str]) -> list[str]:
    """The loader reports exactly one problem containing every fragment; the program fails with the same
    problem and registers nothing."""
    found = problems(project, config)
    assert len(found) == 1, found
    for fragment in fragments:
        assert fragment in found[0]
    mocks = run_program(project, config, capture_error=True)
    assert mocks.error is not None
    assert f"  - {found[0]}" in str(mocks.error)
    assert mocks.resources == []
    return found
