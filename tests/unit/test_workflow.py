"""The CI workflow (.github/workflows/jobs.yml) keeps its promises: a pull request previews with the read-only
role and never gets the deploy role or token; `up` runs only in the GitHub environment of its stack; every
action is pinned by commit; each job has only the permissions it needs; the same locked dependencies and
Pulumi CLI are used everywhere; every stack file is previewed and deployed; a fork gets a note, not a red
job; a failed plan still closes its block of the job summary. The scripts of the steps are run, not read."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "jobs.yml"
# GitHub runs a `shell: bash` step as `bash --noprofile --norc -eo pipefail {0}` (workflow syntax, `shell`).
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:- )?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
VERSION_COMMENT = re.compile(r"^ # v\d+\.\d+\.\d+$")
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
FROM_A_FORK = "github.event.pull_request.head.repo.full_name != github.repository"
STACKS = "${{ fromJSON(needs.stacks.outputs.stacks) }}"


def _workflow() -> dict[str, Any]:
    # YAML 1.2, as GitHub reads it: `on` is a key, not the boolean true.
    loaded = YAML(typ="safe", pure=True).load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


WF = _workflow()
JOBS: dict[str, dict[str, Any]] = WF["jobs"]


def _steps(job: str) -> list[dict[str, Any]]:
    return list(JOBS[job].get("steps", []))


def _step(job: str, action: str) -> dict[str, Any]:
    [step] = [s for s in _steps(job) if str(s.get("uses", "")).startswith(action + "@")]
    return step


def _named(job: str, step_id: str) -> dict[str, Any]:
    [step] = [s for s in _steps(job) if s.get("id") == step_id or s.get("name") == step_id]
    return step


def _locked_pulumi_version() -> str:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    [version] = [p["version"] for p in lock["package"] if p["name"] == "pulumi"]
    return str(version)


def _ci_run_uv_version() -> str:
    [version] = re.findall(r"^UV_VERSION=(\S+)$", (REPO / ".ci" / "run").read_text(), re.MULTILINE)
    return str(version)


def test_every_action_is_pinned_by_a_full_commit_sha_with_its_version_in_a_comment() -> None:
    parsed = [str(step["uses"]) for job in JOBS for step in _steps(job) if "uses" in step]
    lines = [m for line in WORKFLOW.read_text().splitlines() if (m := USES_LINE.match(line))]
    assert len(lines) == len(parsed) > 0, "every `uses:` is written on its own line"
    not_pinned = [ref for ref in parsed if not PINNED.match(ref)]
    assert not not_pinned, f"pin these by a 40-hex commit SHA: {not_pinned}"
    no_version = [m.group("ref") for m in lines if not VERSION_COMMENT.match(m.group("comment"))]
    assert not no_version, f"say the version in a comment (`@<sha> # v1.2.3`): {no_version}"
    pins: dict[str, set[str]] = {}
    for m in lines:
        action, _, sha = m.group("ref").partition("@")
        pins.setdefault(action, set()).add(f"{sha}{m.group('comment')}")
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}, "one pin per action"


# What each job may do with the GITHUB_TOKEN and the OIDC token; anything else is refused (no default grant).
PERMISSIONS = {
    "stacks": {"contents": "read"},
    "test": {"contents": "read"},
    "preview-skipped": {},
    "preview": {"contents": "read", "id-token": "write", "pull-requests": "write"},
    "up": {"contents": "read", "id-token": "write"},
}


def test_no_permission_by_default_and_each_job_only_what_it_needs() -> None:
    assert WF["permissions"] == {}
    assert {job: JOBS[job].get("permissions") for job in JOBS} == PERMISSIONS
    assert {job for job in JOBS if JOBS[job]["permissions"].get("id-token") == "write"} == {"preview", "up"}
    assert {job for job in JOBS if JOBS[job]["permissions"].get("pull-requests") == "write"} == {"preview"}


def test_no_long_lived_aws_keys_and_no_pull_request_target() -> None:
    text = WORKFLOW.read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert set(WF["on"]) == {"pull_request", "push"}  # pull_request_target would run with secrets on a fork's code


def test_preview_assumes_the_read_only_role_and_never_the_deploy_role_or_token() -> None:
    preview = JOBS["preview"]
    assert preview["if"] == f"github.event_name == 'pull_request' && {SAME_REPOSITORY}"
    assert "environment" not in preview  # its OIDC subject stays repo:OWNER/REPO:pull_request
    credentials = _step("preview", "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert _step("preview", "pulumi/actions")["env"] == {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_PREVIEW_TOKEN }}"}
    text = json.dumps(preview)
    assert "AWS_DEPLOY_ROLE_ARN" not in text and "secrets.PULUMI_ACCESS_TOKEN" not in text
    assert _step("preview", "pulumi/actions")["with"]["command"] == "preview"


def test_up_assumes_the_deploy_role_only_in_the_environment_of_its_stack() -> None:
    up = JOBS["up"]
    assert up["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    # The environment is the stack: its subject repo:OWNER/REPO:environment:<stack> is what the deploy role trusts.
    assert up["environment"] == "${{ matrix.stack }}" and up["strategy"]["matrix"]["stack"] == STACKS
    credentials = _step("up", "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert _step("up", "pulumi/actions")["env"] == {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
    assert _step("up", "pulumi/actions")["with"]["command"] == "up"
    others = json.dumps({job: JOBS[job] for job in JOBS if job != "up"})
    assert "AWS_DEPLOY_ROLE_ARN" not in others and "secrets.PULUMI_ACCESS_TOKEN" not in others


def test_the_pr_comment_keeps_its_summary_when_the_diff_is_long() -> None:
    options = _step("preview", "pulumi/actions")["with"]
    assert options["comment-on-pr"] is True and options["always-include-summary"] is True


def test_the_pulumi_cli_is_the_version_of_the_pulumi_sdk_in_uv_lock() -> None:
    versions = {job: str(_step(job, "pulumi/actions")["with"]["pulumi-version"]) for job in ("preview", "up")}
    assert versions == {"preview": _locked_pulumi_version(), "up": _locked_pulumi_version()}


def test_dependencies_come_from_the_lock_file_in_every_job() -> None:
    runs = {job: [str(s["run"]) for s in _steps(job) if "run" in s] for job in JOBS}
    assert "uv sync --locked" in (REPO / ".ci" / "run").read_text()
    assert "bash .ci/run" in runs["test"]
    for job in ("preview", "up"):
        steps = _steps(job)
        sync = next(i for i, s in enumerate(steps) if s.get("run") == "uv sync --locked")
        pulumi = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("pulumi/actions@"))
        assert sync < pulumi, f"{job}: install the locked dependencies before Pulumi runs the program"
    resolving = [r for rs in runs.values() for r in rs if re.search(r"pip install|uv pip|uv sync(?! --locked)", r)]
    assert not resolving, f"install from uv.lock only: {resolving}"
    uv = {job: _step(job, "astral-sh/setup-uv")["with"]["version"] for job in ("test", "preview", "up")}
    assert set(uv.values()) == {_ci_run_uv_version()}


def test_package_downloads_and_provider_plugins_are_cached() -> None:
    for job in ("test", "preview", "up"):
        assert _step(job, "astral-sh/setup-uv")["with"]["enable-cache"] is True, job
    for job in ("preview", "up"):
        cache = _step(job, "actions/cache")["with"]
        assert cache["path"] == "~/.pulumi/plugins"
        assert "hashFiles('uv.lock')" in cache["key"], "the provider plugins follow pulumi-aws in uv.lock"


def _run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BASH, "-c", script], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )


def test_preview_and_up_run_every_stack_file(tmp_path: Path) -> None:
    assert JOBS["stacks"]["outputs"]["stacks"] == "${{ steps.list.outputs.stacks }}"
    for job in ("preview", "up"):
        assert "stacks" in JOBS[job]["needs"] and JOBS[job]["strategy"]["matrix"]["stack"] == STACKS
    script = str(_named("stacks", "list")["run"])

    def listed(folder: Path) -> list[str]:
        output = tmp_path / f"output-{folder.name}"
        result = _run(script, folder, {"GITHUB_OUTPUT": str(output)})
        assert result.returncode == 0, result.stderr
        [line] = output.read_text().splitlines()
        key, _, value = line.partition("=")
        assert key == "stacks"
        return list(json.loads(value))

    assert listed(REPO) == sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in REPO.glob("Pulumi.*.yaml"))
    several = tmp_path / "several"
    several.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.dev-eu.yaml", "README.yaml"):
        (several / name).write_text("config: {}\n")
    assert listed(several) == ["dev-eu", "prod"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _run(script, empty, {"GITHUB_OUTPUT": str(tmp_path / "none")}).returncode != 0


def test_a_fork_pull_request_gets_a_note_in_the_job_summary_not_a_red_preview(tmp_path: Path) -> None:
    note = JOBS["preview-skipped"]
    assert note["if"] == f"github.event_name == 'pull_request' && {FROM_A_FORK}"
    assert note["permissions"] == {} and "needs" not in note
    [step] = note["steps"]
    summary = tmp_path / "summary.md"
    result = _run(str(step["run"]), tmp_path, {"GITHUB_STEP_SUMMARY": str(summary), "HEAD_REPOSITORY": "someone/fork"})
    assert result.returncode == 0, result.stderr
    text = summary.read_text()
    assert text.startswith("### No pulumi preview for this pull request\n") and "someone/fork" in text


def _summary_blocks(text: str) -> dict[str, str]:
    """Stack -> the text inside its ```text block; every block must be closed before the next heading."""
    blocks: dict[str, str] = {}
    for section in text.split("### Plan: ")[1:]:
        stack, _, rest = section.partition("\n")
        assert rest.startswith("```text\n") and rest.endswith("\n```\n"), f"{stack}: block not closed:\n{rest}"
        blocks[stack] = rest[len("```text\n") : -len("\n```\n")]
    return blocks


def test_a_failed_plan_closes_its_summary_block_with_the_error_in_it_and_fails_the_step(tmp_path: Path) -> None:
    """The plan step of the test job, run on a copy of the project where one stack file is broken."""
    [step] = [s for s in _steps("test") if "plan.py" in str(s.get("run", ""))]
    root = tmp_path / "project"
    root.mkdir()
    for name in (".venv", ".ci", "components", "jobs"):
        (root / name).symlink_to(REPO / name)
    for name in ("plan.py", "Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, root / name)
    (root / "Pulumi.broken.yaml").write_text((REPO / "Pulumi.dev.yaml").read_text().replace("sg-0", "sg-x"))
    summary = tmp_path / "summary.md"
    result = _run(str(step["run"]), root, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode != 0, "a failed plan fails the step"
    blocks = _summary_blocks(summary.read_text())
    assert set(blocks) == {"broken", "dev"}
    assert "scheduled-jobs:securityGroups: 'sg-x123456789abcdef0' is not a security group id" in blocks["broken"]
    assert re.search(r"^wrote \d+ documents to build/dev/", blocks["dev"], re.MULTILINE), "the others are planned"
    assert (root / "build" / "dev" / "deployer.policy.json").is_file()


def _project_copy(root: Path, jobs: list[str]) -> None:
    """A checkout of the project with only these of the shipped job modules."""
    (root / "jobs").mkdir(parents=True)
    for name in (".venv", ".ci", "components"):
        (root / name).symlink_to(REPO / name)
    for name in ("plan.py", "__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, root / name)
    for job in jobs:
        shutil.copy(REPO / "jobs" / job, root / "jobs" / job)


def test_a_pull_requests_plan_compares_with_the_base_branchs_and_shows_the_change_report(tmp_path: Path) -> None:
    """The test job's plan step with the base branch checked out in .base, as the checkout step before it does
    on a pull request: the head adds a job, and the summary says so, with the resources it creates."""
    [checkout] = [s for s in _steps("test") if s.get("with", {}).get("path") == ".base"]
    assert checkout["if"] == "github.event_name == 'pull_request'"
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    [step] = [s for s in _steps("test") if "plan.py" in str(s.get("run", "")) or "plan-report" in str(s.get("run", ""))]
    root = tmp_path / "project"
    _project_copy(root, ["nightly_report.py", "purge_stale_data.py", "disable_inactive_users.py"])
    _project_copy(root / ".base", ["nightly_report.py", "purge_stale_data.py"])
    summary = tmp_path / "summary.md"
    result = _run(str(step["run"]), root, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stdout + result.stderr
    block = _summary_blocks(summary.read_text())["dev"]
    assert "changes since the last plan in build/dev/" in block
    assert "job disable-inactive-users is added" in block
    assert "resources against the last plan's graph (build/dev.resource-graph.json): 6 create" in block
    assert "create: StateMachine disable-inactive-users-state-machine" in block
    assert "upgrade check against release" in block


def test_the_preview_posts_the_change_report_beside_the_preview_diff() -> None:
    steps = _steps("preview")
    names = [str(s.get("uses", s.get("name", ""))) for s in steps]
    preview = next(i for i, n in enumerate(names) if n.startswith("pulumi/actions@"))
    report = next(i for i, s in enumerate(steps) if "plan-report" in str(s.get("run", "")))
    base = next(i for i, s in enumerate(steps) if s.get("with", {}).get("path") == ".base")
    assert preview < report and base < report
    step = steps[report]
    assert "gh pr comment" in step["run"] and step["env"]["GH_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert "${{" not in step["run"], "untrusted values reach the script through env only"
    assert JOBS["preview"]["permissions"]["pull-requests"] == "write"
