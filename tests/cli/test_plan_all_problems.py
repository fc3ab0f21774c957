"""One plan run reports every problem of every phase: the stack file's, the settings', each job module's and the
overrides'; a module that does not load skips only the checks that need it, and says so."""

from __future__ import annotations

from tests.cli.test_plan_stack_file import BASE, _plan_problems
from tests.support.bad_input import CONFIG_FILE, P, configured, good, module, problems
from tests.support.pulumi_mocks import Project


def test_an_override_of_a_job_whose_module_failed_is_not_checked_and_the_others_still_are(project: Project) -> None:
    project.add_job("report.py", module('command=["x"], timeout="30 minutes"'))  # an invalid duration
    project.add_job("purge.py", good())
    overrides = {"report": {"enabled": False}, "purge": {"memory": 3}, "purg": {"enabled": False}}
    found = problems(project, configured({f"{P}jobs": overrides}))
    assert any(p.startswith("jobs/report.py:3: timeout:") for p in found), found  # the module's own problem
    assert (
        f"{CONFIG_FILE}: {P}jobs.report: not checked: its module jobs/report.py did not load (its problem is "
        "listed above)" in found
    )
    assert any(p.startswith(f"{CONFIG_FILE}: {P}jobs.purge.memory") for p in found), found  # still checked
    assert f"{CONFIG_FILE}: {P}jobs.purg: override for a job that does not exist; did you mean 'purge'?" in found
    assert not any("jobs are: (none)" in p for p in found)


def test_a_stack_file_problem_a_settings_problem_and_a_module_problem_come_in_one_run(project: Project) -> None:
    project.add_job("report.py", module('command=["x"]'))  # no timeout
    stack_file = BASE.replace("  scheduled-jobs:namePrefix: test\n", "") + "scheduled-jobs:namePrefix: test\n"
    stack_file = stack_file.replace("sg-0123456789abcdef0", "sg-x")
    found = _plan_problems(project, stack_file)
    assert found[0].startswith(f"{CONFIG_FILE}: {P}namePrefix: written at the top level")
    assert any(p.startswith(f"{CONFIG_FILE}: {P}securityGroups:") for p in found), found
    assert any(p.startswith("jobs/report.py:3: timeout") for p in found), found
    # the setting written at the top level is checked as meant: no second problem saying it is missing
    assert not any(f"{P}namePrefix: required" in p for p in found), found


def test_an_encrypted_setting_is_reported_once_and_the_rest_is_still_checked(project: Project) -> None:
    project.add_job("report.py", module('command=["x"]'))
    stack_file = BASE.replace("scheduled-jobs:namePrefix: test", "scheduled-jobs:namePrefix:\n    secure: AAABA")
    found = _plan_problems(project, stack_file)
    assert [p for p in found if f"{P}namePrefix" in p] == [
        f"{CONFIG_FILE}: {P}namePrefix: is encrypted (secure:), and plan.py reads the stack file offline, without the "
        "stack's secrets provider; none of this project's settings is a secret, so set it in plain text (`pulumi "
        f"config set {P}namePrefix VALUE`), or check this stack with `pulumi preview`"
    ]
    assert any(p.startswith("jobs/report.py:3: timeout") for p in found), found
