"""Docs whose examples are the real output: docs/plan.md's plan and `--job` examples are what plan.py prints for
the shipped example jobs, the README diagram names only states the job's state machine has, the document list is
what the plan writes, and Pulumi.dev.yaml's comments say the defaults the settings have.

After a deliberate change of the plan's output, rewrite the examples with `UPDATE_DOCS=1 pytest
tests/unit/test_docs_output.py`. The examples are of the shipped jobs and dev stack file alone: jobs a user adds
are left out of the example's project, so they change nothing here."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import plan
from components.documents.rendered import rendered_documents
from components.loading.discovery import find_jobs
from components.loading.stack import load_stack
from components.model.arns import AwsEnv
from components.model.config import StackConfig
from jobctl.alert_topic import CONFIRMED, AlertTopic, Subscription
from jobctl.cli import build_parser
from jobctl.commands.ls import _row
from jobctl.commands.status import job_json
from jobctl.lock_table import Pause
from tests.support.pulumi_mocks import BASE_CONFIG

REPO = Path(__file__).resolve().parents[2]
PLAN_DOC = REPO / "docs" / "plan.md"
EXAMPLE_JOBS = ("disable-inactive-users", "nightly-report", "purge-stale-data")
# A ```text block that starts with a plan.py command line: its output follows.
EXAMPLE = re.compile(r"^```text\n\$ (python plan\.py [^\n]*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def _example_project(tmp_path: Path) -> Path:
    """The shipped Pulumi.yaml, Pulumi.dev.yaml and the example's job modules, and nothing a user added."""
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, root / name)
    modules = {m.name: REPO / m.source for m in find_jobs(REPO / "jobs").modules}
    missing = [job for job in EXAMPLE_JOBS if job not in modules]
    if missing:
        pytest.skip(f"the docs' example jobs were removed from jobs/: {missing}")
    for job in EXAMPLE_JOBS:
        shutil.copy(modules[job], root / "jobs" / modules[job].name)
    for helper in (REPO / "jobs").glob("_*.py"):
        shutil.copy(helper, root / "jobs" / helper.name)
    return root


def _run(command: str, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(root)
    args = shlex.split(command)[2:]
    assert plan.main([*args, "--root", str(root), "--out", "build"]) == 0
    return capsys.readouterr().out


def test_every_plan_example_in_docs_plan_md_is_the_real_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = PLAN_DOC.read_text()
    examples = EXAMPLE.findall(text)
    assert len(examples) >= 2, "docs/plan.md shows the plan's output and a --job output"
    wrong, updated = [], text
    for index, (command, shown) in enumerate(examples):
        root = _example_project(tmp_path / str(index))
        real = _run(command, root, capsys, monkeypatch)
        kept = [line for line in shown.splitlines() if line != "..."]  # "..." leaves lines out
        lines = iter(real.splitlines())
        if not all(any(line == real_line for real_line in lines) for line in kept):
            wrong.append(command)
            if os.environ.get("UPDATE_DOCS"):
                updated = updated.replace(f"$ {command}\n{shown}", f"$ {command}\n{real}")
    if os.environ.get("UPDATE_DOCS"):
        PLAN_DOC.write_text(updated)
    assert not wrong, f"docs/plan.md: the output shown for {wrong} is not what it prints (UPDATE_DOCS=1 rewrites it)"


def _diagram_states() -> set[str]:
    """The state names in the README diagram's state machine subgraph: `X[Name<br/>...]` and `X{Name...}`."""
    [block] = re.findall(r"```mermaid\n(.*?)```", (REPO / "README.md").read_text(), re.DOTALL)
    machine = block.split("subgraph M[", 1)[1].split("\n    end", 1)[0]
    return set(re.findall(r"\b[A-Z]\w*[\[{]([A-Z][A-Za-z]+)(?:<br/>[^\]}]*)?[\]}]", machine))


def test_the_readme_diagram_names_only_states_the_job_state_machine_has(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    fields = 'schedule="cron(0 6 * * ? *)", command=["x"], timeout="1h", retries=2'
    (jobs / "report.py").write_text(f"from components import Job\n\njob = Job({fields})\n")
    stack = load_stack(jobs, BASE_CONFIG, "scheduled-jobs", "test", "Pulumi.test.yaml")
    definition = rendered_documents(stack, AwsEnv("aws", "eu-central-1", "123456789012"))
    states = set(definition["jobs/report/state-machine.asl.json"]["States"])
    shown = _diagram_states()
    assert len(shown) >= 8, f"the diagram's states were not found: {shown}"
    assert shown <= states, (
        f"README diagram: no such states: {sorted(shown - states)} (the machine has {sorted(states)})"
    )


def test_the_document_list_in_docs_plan_md_is_what_the_plan_writes(tmp_path: Path) -> None:
    [listing] = re.findall(r"```text\nbuild/dev/\n(.*?)```", PLAN_DOC.read_text(), re.DOTALL)
    shown = sorted(line.strip() for line in listing.splitlines() if line.strip())
    root = _example_project(tmp_path)
    stack = plan.load("dev", root)
    written = sorted(rendered_documents(stack, AwsEnv("aws", "eu-central-1", plan.PLACEHOLDER_ACCOUNT)))
    assert shown == written
    [count] = re.findall(r"The dev stack's (\d+) documents", PLAN_DOC.read_text())
    assert int(count) == len(written)


def _commented_defaults() -> dict[str, str]:
    """`# ... Default: X.` in the comment block above each setting of Pulumi.dev.yaml, by setting."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in (REPO / "Pulumi.dev.yaml").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
            continue
        match = re.match(r"(?:# )?([a-z-]+:[A-Za-z]+):", stripped)
        said = re.search(r"Default: ([^.]+)\.", " ".join(comment))
        if match and said:
            found[match.group(1)] = said.group(1)
        comment = []
    return found


def test_pulumi_dev_yaml_says_the_defaults_the_settings_have() -> None:
    defaults = _commented_defaults()
    assert defaults, "no `Default:` comments found"
    fields = {f.alias or name: f for name, f in StackConfig.model_fields.items()}
    for key, said in defaults.items():
        field = fields[key.split(":", 1)[1]]
        assert not field.is_required(), f"Pulumi.dev.yaml: {key}: says `Default: {said}`, but the setting is required"
        assert YAML(typ="safe", pure=True).load(said) == field.default, f"{key}: Default: {said} vs {field.default!r}"


def test_no_text_says_name_prefix_has_a_default() -> None:
    """It is required (components/loading/stack.py says why); a text saying otherwise sends users to a prefix
    that is not theirs."""
    texts = {path.name: path.read_text() for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]}
    texts["Pulumi.dev.yaml"] = (REPO / "Pulumi.dev.yaml").read_text()
    texts["jobctl --help"] = build_parser().format_help()
    claims = re.compile(r"namePrefix[^.\n]*(default: the stack|defaults? to the stack)", re.IGNORECASE)
    said = [name for name, text in texts.items() if claims.search(" ".join(text.split()))]
    assert not said, f"say namePrefix is required in: {said}"


def _documented_keys(what: str) -> list[str]:
    """The keys docs/jobctl.md's JSON section lists for `what` ("`status`: ... each with `job`, ..."): the
    backticked words of its bullet after "each with" (or after the colon), nested lists in parentheses left out."""
    section = (REPO / "docs" / "jobctl.md").read_text().split("\n## JSON\n", 1)[1].split("\n## ", 1)[0]
    bullet = next(b for b in re.split(r"\n- ", section) if b.startswith(what))
    text = " ".join(bullet.split())
    text = text.split("each with", 1)[1] if "each with" in text else text.split(":", 1)[1]
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return re.findall(r"`([a-z_]+)`", text)


def test_the_alert_topic_keys_docs_jobctl_md_lists_are_the_keys_jobctl_writes() -> None:
    section = (REPO / "docs" / "jobctl.md").read_text().split("\n## JSON\n", 1)[1].split("\n## ", 1)[0]
    bullet = " ".join(next(b for b in re.split(r"\n- ", section) if b.startswith("The alert topic")).split())
    topic_text, subscription_text = bullet.split(":", 1)[1].split("each subscription with", 1)
    keys = [re.findall(r"`([a-z_]+)`", re.sub(r"\([^()]*\)", "", text)) for text in (topic_text, subscription_text)]
    subscription = Subscription("email", "a@example.com", CONFIRMED, "arn:aws:sns:eu-central-1:1:t:s", True)
    topic = AlertTopic("arn:aws:sns:eu-central-1:1:t", "the alarms' actions", subscriptions=[subscription])
    assert keys == [list(topic.to_json()), list(subscription.to_json())]


def test_the_json_keys_docs_jobctl_md_lists_are_the_keys_jobctl_writes() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert _documented_keys("`status`") == list(job_json("arn", "report", None, None, now))
    assert _documented_keys("`ls`") == list(_row("report", False, None, None, now))
    assert _documented_keys("A pause") == list(
        Pause("arn:aws:iam::1:user/a", "2026-11-30T00:00:00Z", "n", None).to_json()
    )


def test_the_readme_runs_plan_py_with_the_projects_python() -> None:
    """Outside the venv, `python plan.py` cannot import the project's dependencies: the README, which a newcomer
    follows as written, runs it as `.venv/bin/python plan.py`, in its commands and its prose."""
    readme = (REPO / "README.md").read_text()
    bare = [line for line in readme.splitlines() if re.search(r"(?<![/\w])python3? plan\.py", line)]
    assert not bare, "README: run plan.py as `.venv/bin/python plan.py`:\n" + "\n".join(bare)
