from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.pulumi_mocks import Project, make_project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIMPLE_JOB = """
from components import Job

job = Job(schedule="cron(0 6 * * ? *)", command=["python", "-m", "app.report"], timeout="30m")
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A temporary program folder with an empty jobs/ (the program's __main__.py copied in)."""
    return make_project(tmp_path)
