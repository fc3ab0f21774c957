"""Job modules and folders as users really leave them: encodings, links, helpers, modules that exit at
import, subfolders. Each kind gets one clear message naming the file (the loader and the Pulumi program say
the same, nothing is registered), or, where the input is valid, is accepted and deployed right."""

from __future__ import annotations

import pytest

from tests.support.bad_input import assert_rejected_everywhere, good, module, problems
from tests.support.pulumi_mocks import BASE_CONFIG, Project, run_program

JOB_LINE = 'job = Job(schedule="cron(0 6 * * ? *)", command=["python", "-m", "app.report"], timeout="30m")\n'


def _deployed_schedules(project: Project) -> list[str]:
    mocks = run_program(project, BASE_CONFIG)
    assert mocks.error is None, mocks.error
    return sorted(r.name for r in mocks.of_type("aws:scheduler/schedule:Schedule") if r.name.endswith("-schedule"))


# ---- source files Python reads, so must we (PEP 263 coding declarations, PEP 3120 UTF-8 with a BOM)
ENCODED = {
    "utf-8 with a byte-order mark": b"\xef\xbb\xbf# \xc3\xa9t\xc3\xa9\nfrom components import Job\n",
    "latin-1 declared": b"# -*- coding: latin-1 -*-\n# \xe9t\xe9\nfrom components import Job\n",
    "cp1252 declared": b"# coding: cp1252\n# \x80 report\nfrom components import Job\n",
}


@pytest.mark.parametrize("head", ENCODED.values(), ids=ENCODED.keys())
def test_a_module_in_any_encoding_python_reads_is_read(project: Project, head: bytes) -> None:
    (project.jobs / "report.py").write_bytes(head + JOB_LINE.encode())
    assert _deployed_schedules(project) == ["report-schedule"]
    # ... and a mistake in it is still found on its own line
    (project.jobs / "report.py").write_bytes(head + JOB_LINE.replace('"30m"', '"30 mins"').encode())
    line = len(head.splitlines()) + 1
    assert_rejected_everywhere(project, BASE_CONFIG, [f"jobs/report.py:{line}: timeout: "])


def test_a_module_linked_from_outside_the_project_is_named_by_its_link(project: Project) -> None:
    outside = project.root.parent / "shared-jobs" / "report.py"
    outside.parent.mkdir()
    outside.write_text(good())
    (project.jobs / "report.py").symlink_to(outside)
    assert _deployed_schedules(project) == ["report-schedule"]
    outside.write_text(good().replace('"30m"', '"30 mins"'))
    assert_rejected_everywhere(project, BASE_CONFIG, ["jobs/report.py:3: timeout: "])


# ---- an error in a helper is named where it is
HELPER_ERRORS = {
    "helper": ("_helpers.py", "from jobs._helpers import TEAM\n", "jobs/_helpers.py:3: syntax error"),
    "helper of a helper": ("_base.py", "from jobs._helpers import TEAM\n", "jobs/_base.py:3: syntax error"),
}


@pytest.mark.parametrize(("broken", "imports", "expected"), HELPER_ERRORS.values(), ids=HELPER_ERRORS.keys())
def test_a_syntax_error_in_a_helper_names_the_helper_and_its_line(
    project: Project, broken: str, imports: str, expected: str
) -> None:
    project.add_job("_helpers.py", "from jobs._base import TEAM\n" if broken == "_base.py" else "TEAM = 1\n")
    project.add_job(broken, "# helper\nTEAM = 'data'\nif True\n    pass\n")
    project.add_job("report.py", imports + good())
    assert_rejected_everywhere(project, BASE_CONFIG, [expected])


# ---- a module may not end the process that imports it
EXITS = {
    "sys.exit()": "import sys\nsys.exit()\n",
    "sys.exit(0)": "import sys\nsys.exit(0)\n",
    "raise SystemExit(2)": "raise SystemExit(2)\n",
    "argparse with a required argument": (
        "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--day', required=True)\n"
        "parser.parse_args()\n"
    ),
}


@pytest.mark.parametrize("code", EXITS.values(), ids=EXITS.keys())
def test_a_module_that_exits_at_import_is_an_error_naming_it(
    project: Project, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project.add_job("report.py", "from components import Job\n" + code + JOB_LINE)
    [message] = assert_rejected_everywhere(project, BASE_CONFIG, ["jobs/report.py:", "exited while being imported"])
    assert "move sys.exit() and argument parsing into the command the job runs" in message
    assert "plan.py" not in capsys.readouterr().err  # never the usage of the program importing it


def test_a_module_that_parses_arguments_it_does_not_require_is_fine(project: Project) -> None:
    code = "import argparse\nargparse.ArgumentParser().parse_known_args()\n"
    project.add_job("report.py", "from components import Job\n" + code + JOB_LINE)
    assert _deployed_schedules(project) == ["report-schedule"]


# ---- jobs live in jobs/ itself; a folder of modules is never silently skipped
SUBFOLDERS = {
    "package": ("reports/__init__.py", "jobs/reports/: jobs/reports/__init__.py: "),
    "module in a folder": ("reports/monthly.py", "jobs/reports/: jobs/reports/monthly.py: "),
    "deeper": ("team/reports/monthly.py", "jobs/team/: jobs/team/reports/monthly.py: "),
}


@pytest.mark.parametrize(("path", "expected"), SUBFOLDERS.values(), ids=SUBFOLDERS.keys())
def test_job_modules_in_a_subfolder_are_refused_never_skipped(project: Project, path: str, expected: str) -> None:
    project.add_job("report.py", good())
    (project.jobs / path).parent.mkdir(parents=True, exist_ok=True)
    (project.jobs / path).write_text(good())
    [message] = assert_rejected_everywhere(project, BASE_CONFIG, [expected])
    assert message.endswith(
        "never deployed; move each job to jobs/ itself, or rename the folder to jobs/_"
        + path.split("/")[0]
        + "/ if it holds helpers"
    )


def test_helper_folders_and_caches_are_not_jobs(project: Project) -> None:
    project.add_job("report.py", good())
    for folder in ("_shared", "__pycache__", ".venv"):
        (project.jobs / folder).mkdir()
        (project.jobs / folder / "x.py").write_text("X = 1\n")
    assert problems(project, BASE_CONFIG) == []


# ---- a Job imported as a template is not a second job
def test_a_job_template_imported_from_a_helper_is_not_counted_as_a_job(project: Project) -> None:
    project.add_job(
        "_templates.py",
        module('command=["python", "-m", "app.base"], timeout="1h", schedule="cron(0 1 * * ? *)"').replace(
            "job = ", "NIGHTLY = "
        ),
    )
    project.add_job(
        "report.py",
        "from jobs._templates import NIGHTLY\n\n"
        "job = NIGHTLY.model_copy(update={'command': ['python', '-m', 'app.report']})\n",
    )
    project.add_job("cleanup.py", "from jobs._templates import NIGHTLY\n")  # uses the template as it is
    mocks = run_program(project, BASE_CONFIG)
    assert mocks.error is None, mocks.error
    assert sorted(r.name for r in mocks.of_type("scheduled-jobs:jobs:ScheduledJob")) == ["cleanup", "report"]


def test_an_error_raised_in_a_helper_names_the_module_line_and_the_helper_line(project: Project) -> None:
    project.add_job("_helpers.py", "def team():\n    return {}['team']\n")
    project.add_job("report.py", "from jobs._helpers import team\n\nTEAM = team()\n" + good())
    assert_rejected_everywhere(
        project, BASE_CONFIG, ["jobs/report.py:3 (in jobs/_helpers.py:2): raised KeyError while importing: 'team'"]
    )


@pytest.mark.parametrize("field", ["environment", "secrets"])
@pytest.mark.parametrize("name", ["SCHEDULED_TIME", "JOB_NAME", "JOB_EXECUTION_ARN", "JOB_ATTEMPT"])
def test_a_job_may_not_set_a_variable_every_run_sets_for_itself(project: Project, field: str, name: str) -> None:
    value = '"/app/x"' if field == "secrets" else '"x"'
    project.add_job("report.py", good(f", {field}={{{name!r}: {value}}}".replace("'", '"')))
    assert_rejected_everywhere(
        project,
        BASE_CONFIG,
        [
            f"jobs/report.py:3: {field}.{name}: set by every run for the run itself (SCHEDULED_TIME, JOB_NAME, "
            "JOB_EXECUTION_ARN, JOB_ATTEMPT); choose another name"
        ],
    )
