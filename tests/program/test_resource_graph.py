"""The upgrade check on the program under the mocks: HEAD's graph against the last release's, every change this
repository's history made, a user's own jobs, a renamed job's aliases, and what the graph records.

After a release, regenerate the kept graph from the released commit (docs/changing-a-deployed-stack.md):
`UPDATE_RELEASE_GRAPH=1 pytest tests/program/test_resource_graph.py`."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest

from components.model.resource_graph import Graph, graph_from_json, read_graph, read_release, write_release
from components.model.upgrade_check import check, classify
from components.resources.resource_graph_recorder import MACHINERY_CONFIG, MACHINERY_VARIANTS, record
from tests.support.history_graphs import RECORDER, REPO, record_commit, stored

UNSAFE_COMMIT = "8b930e3"  # the up that moved every state machine to the shared role
USERS_JOBS = {
    "invoice_customers.py": (
        "from components import Job\n\n"
        'job = Job(schedule="cron(15 2 1 * ? *)", timezone="America/Chicago", command=["bill"], timeout="3h",\n'
        '          concurrency="replace", capacity="spot", retries={"attempts": 2, "interval": "10m"})\n'
    ),
    "send_digest.py": (
        "from components import Job\n\n"
        'job = Job(name="digest", schedule="rate(15 minutes)", command=["digest"], timeout="10m", jitter="2m",\n'
        '          permissions=[{"actions": ["ses:SendEmail"], "resources": ["*"]}])\n'
    ),
    "repair_data.py": 'from components import Job\n\njob = Job(command=["repair"], timeout="1h")\n',
}


def _head(jobs: dict[str, str] | None = None, config: dict[str, object] | None = None) -> Graph:
    return graph_from_json(record(REPO, jobs, config), "HEAD")


def test_head_upgrades_a_stack_deployed_at_the_last_release_safely() -> None:
    heads = {name: _head(config=config) for name, config in MACHINERY_VARIANTS.items()}
    if os.environ.get("UPDATE_RELEASE_GRAPH"):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        write_release(heads, f"release {commit.stdout.strip()}")
    released = read_release()
    assert set(released) == set(MACHINERY_VARIANTS)
    for name, head in heads.items():
        report = check(released[name], head)
        assert report.ok, f"{name}:\n" + "\n".join(report.lines())


def test_the_variants_cover_what_the_settings_switch() -> None:
    """The kept graph holds the resources only some settings declare: the cluster, the topic and its e-mail
    subscription, the dead-letter queue and its alarm (defaults); the self-test's canary jobs."""
    types = {name: {r.type for r in graph.resources} for name, graph in read_release().items()}
    assert {"aws:ecs/cluster:Cluster", "aws:sns/topic:Topic", "aws:sqs/queue:Queue"} <= types["default"]
    other = read_release()["existing-cluster-and-topic-self-test"]
    assert "aws:ecs/cluster:Cluster" not in types["existing-cluster-and-topic-self-test"]
    assert {r.job for r in other.resources if r.job} > {"cron-job", "rate-job-with-permissions"}  # canaries


def test_every_change_mains_history_made_passes_but_the_shared_role_upgrade() -> None:
    graphs = {commit: graph_from_json(graph) for commit, graph in stored().items()}
    commits = list(graphs)
    assert len(commits) >= 15, "the first-parent line since a7952d1 is recorded"
    reports = {after: check(graphs[before], graphs[after]) for before, after in itertools.pairwise(commits)}
    assert [commit for commit, report in reports.items() if not report.ok] == [UNSAFE_COMMIT]
    unsafe = reports[UNSAFE_COMMIT]
    assert sorted(p.split(",")[0] for p in unsafe.problems) == [
        "delete of cron-job-state-machine-role",
        "delete of cron-job-task-role",
        "delete of rate-job-with-permissions-state-machine-role",
    ]
    assert set(unsafe.affected_jobs) == {"cron-job", "rate-job-with-permissions"}
    # What else the history did, classified: the per-job alarms deleted when the slot watch came (85837ba) ...
    deleted = [c.identity.split("::")[-1] for c in reports["85837ba"].changes if c.action == "delete"]
    assert len(deleted) == 4 and all("alarm" in name for name in deleted)
    # ... and the lock janitor moved into its own component with aliases (02d1cb4): nothing deleted.
    moved = reports["02d1cb4"]
    assert not [c for c in moved.changes if c.action == "delete"]
    moved_names = {c.identity.split("::")[-1] for c in moved.changes if c.renamed_from}
    assert moved_names >= {"shared-janitor", "shared-janitor-rule"}


def test_the_stored_history_is_what_the_commits_own_program_records() -> None:
    assert record_commit(UNSAFE_COMMIT)["resources"] == stored()[UNSAFE_COMMIT]["resources"]


def test_the_check_holds_for_a_users_own_jobs_against_the_released_program(tmp_path: Path) -> None:
    """The released commit's program and HEAD's, both with a user's own jobs and settings: the machinery the
    kept graph covers is what a user's stack upgrades."""
    source = read_release()["default"].source.split()[-1]
    archive = subprocess.run(["git", "archive", source], cwd=REPO, check=True, capture_output=True).stdout
    tarfile.open(fileobj=BytesIO(archive)).extractall(tmp_path / "release", filter="data")
    (tmp_path / "jobs").mkdir()
    for name, body in USERS_JOBS.items():
        (tmp_path / "jobs" / name).write_text(body)
    config = {**MACHINERY_CONFIG, "scheduled-jobs:namePrefix": "acme-prod", "scheduled-jobs:logRetentionDays": 90}
    (tmp_path / "config.json").write_text(json.dumps(config))
    out = tmp_path / "release.json"
    options = ["--jobs", str(tmp_path / "jobs"), "--config", str(tmp_path / "config.json")]
    subprocess.run(
        [sys.executable, str(RECORDER), "--root", str(tmp_path / "release"), "--out", str(out), *options],
        check=True,
        capture_output=True,
    )
    released = read_graph(out)
    assert {r.job for r in released.resources} >= {"invoice-customers", "digest", "repair-data"}
    report = check(released, _head(USERS_JOBS, config))
    assert report.ok, "\n".join(report.lines())


def test_a_renamed_job_declaring_former_names_answers_to_every_old_resource() -> None:
    job = 'from components import Job\n\njob = Job(schedule="rate(1 hour)", command=["x"], timeout="5m"{})\n'
    before = _head({"report.py": job.format("")})
    after = _head({"usage_report.py": job.format(', former_names=["report"]')})
    changes = [c for c in classify(before, after) if c.job in ("report", "usage-report")]
    assert not [c for c in changes if c.action in ("create", "delete")], [c.describe() for c in changes]
    old_names = {c.renamed_from.split("::")[-1] for c in changes if c.renamed_from}
    assert old_names == {r.name for r in before.resources if r.job == "report"}
    assert check(before, after).ok
    without = _head({"usage_report.py": job.format("")})
    actions = {c.action for c in classify(before, without) if c.job == "report"}
    assert actions == {"delete", "forget"}  # no declaration: the old job goes, its log group is kept


def test_the_graph_records_what_the_check_decides_by() -> None:
    head = _head()
    named = {r.name: r for r in head.resources}
    table = named["shared-locks"]
    assert table.protect and table.retain_on_delete and table.inputs["name"] == "graph-job-locks"
    assert named["cron-job-logs"].retain_on_delete and not named["cron-job-logs"].protect
    machine = named["cron-job-state-machine"]
    assert named["shared-job-state-machines-role"].identity in machine.references
    assert named["cron-job-task"].identity in machine.depends_on
    assert machine.identity in named["cron-job-schedule"].references
    assert {r.job for r in head.resources if r.job} == {"cron-job", "rate-job-with-permissions"}


@pytest.mark.parametrize("option", ["--jobs", "--config"])
def test_the_recorder_refuses_a_missing_file_for_its_options(tmp_path: Path, option: str) -> None:
    result = subprocess.run(
        [sys.executable, str(RECORDER), "--root", str(REPO), "--out", str(tmp_path / "g.json"), option, "/nonexistent"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and not (tmp_path / "g.json").exists()
