"""The offline plan: what a reviewer reads and diffs before `pulumi up`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import plan
from components.documents.rendered import rendered_documents
from components.model.arns import AwsEnv
from tests.support.pulumi_mocks import Project

REPO = Path(__file__).resolve().parents[2]


def test_plan_of_the_dev_stack_shows_every_job_and_writes_its_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan.main(["--stack", "dev", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for job in ("nightly-report", "disable-inactive-users", "purge-stale-data"):
        assert job in out
    assert "at 07:30, only on Monday [cron(30 7 ? * MON *)]" in out  # plain words next to the expression
    assert "none: job disabled" in out  # dev switches purge-stale-data off
    stack = plan.load("dev")
    expected = rendered_documents(stack, AwsEnv("aws", "eu-central-1", plan.PLACEHOLDER_ACCOUNT))
    written = {
        str(p.relative_to(tmp_path / "dev")): json.loads(p.read_text()) for p in (tmp_path / "dev").rglob("*.json")
    }
    assert written == expected


def test_a_removed_job_disappears_from_the_rendered_documents(tmp_path: Path) -> None:
    stale = tmp_path / "dev" / "jobs" / "removed-job" / "state-machine.asl.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    assert plan.main(["--stack", "dev", "--out", str(tmp_path)]) == 0
    assert not stale.exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_appears_only_on_a_terminal_and_only_when_it_takes_long(tmp_path: Path) -> None:
    stack = plan.load("dev")
    env = AwsEnv("aws", "eu-central-1", plan.PLACEHOLDER_ACCOUNT)
    total = len(rendered_documents(stack, env))
    quick, slow, piped = _Terminal(), _Terminal(), io.StringIO()
    plan.write_documents(stack, tmp_path / "a", env, plan.Progress(total, quick, after=60))
    plan.write_documents(stack, tmp_path / "b", env, plan.Progress(total, slow, after=0))
    plan.write_documents(stack, tmp_path / "c", env, plan.Progress(total, piped, after=0))
    assert quick.getvalue() == ""
    assert slow.getvalue().endswith(f"writing documents: {total}/{total}\n")
    assert piped.getvalue() == ""


def _keys_in_file_order(text: str) -> list[list[str]]:
    """Every JSON object's keys in the order the file has them."""
    found: list[list[str]] = []

    def keep(pairs: list[tuple[str, object]]) -> dict[str, object]:
        found.append([key for key, _ in pairs])
        return dict(pairs)

    json.loads(text, object_pairs_hook=keep)
    return found


def test_the_rendered_files_are_byte_stable_for_a_clean_pull_request_diff(tmp_path: Path) -> None:
    """The promise is the bytes: keys sorted in every object, two-space indent, one final newline, and the
    same bytes from two processes with different hash seeds (set and dict order must not leak)."""
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "plan.py", "--stack", "dev", "--out", str(out)],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        outs.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.json"))})
    assert outs[0] == outs[1]
    assert len(outs[0]) > 10
    for name, data in outs[0].items():
        text = data.decode()
        assert text.endswith("}\n") and not text.endswith("\n\n"), name
        assert all(keys == sorted(keys) for keys in _keys_in_file_order(text)), name
        lines = text.splitlines()
        assert all(line == line.rstrip() for line in lines), name
        assert all((len(line) - len(line.lstrip(" "))) % 2 == 0 for line in lines), name
        assert lines[1].startswith('  "'), name


STACK_FILE = """\
config:
  aws:region: eu-central-1
  scheduled-jobs:image: app:1
  scheduled-jobs:subnets: ["subnet-0123456789abcdef0"]
  scheduled-jobs:securityGroups: ["sg-0123456789abcdef0"]
  scheduled-jobs:namePrefix: staging
"""


def _plan_ci(project: Project, extra: str, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[set[str], str]:
    project.add_job("report.py", 'from components import Job\n\njob = Job(command=["run"], timeout="30m")\n')
    (project.root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    (project.root / "Pulumi.staging.yaml").write_text(STACK_FILE + extra)
    assert plan.main(["--stack", "staging", "--root", str(project.root), "--out", str(out)]) == 0
    written = {p.name for p in (out / "staging").glob("*.json")}
    return written, capsys.readouterr().out


def test_with_the_repository_set_the_plan_writes_both_ci_trust_policies(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written, out = _plan_ci(project, "  scheduled-jobs:githubRepository: octo-org/jobs\n", tmp_path / "b", capsys)
    assert written == {
        *("deployer.policy.json", "deployer.trust.json", "previewer.policy.json", "previewer.trust.json"),
        "operator.policy.json",
        "reader.policy.json",
    }
    deploy = json.loads((tmp_path / "b" / "staging" / "deployer.trust.json").read_text())
    preview = json.loads((tmp_path / "b" / "staging" / "previewer.trust.json").read_text())
    subject = "token.actions.githubusercontent.com:sub"
    assert deploy["Statement"][0]["Condition"]["StringEquals"][subject] == "repo:octo-org/jobs:environment:staging"
    assert preview["Statement"][0]["Condition"]["StringEquals"][subject] == "repo:octo-org/jobs:pull_request"
    assert "pull requests of octo-org/jobs assume the read-only preview role" in out
    assert "GitHub environment 'staging'" in out


def test_without_the_repository_the_plan_writes_no_trust_policy_and_says_how_to_set_it(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written, out = _plan_ci(project, "", tmp_path / "b", capsys)
    assert written == {"deployer.policy.json", "previewer.policy.json", "operator.policy.json", "reader.policy.json"}
    assert (
        "CI roles: no trust policies written; set scheduled-jobs:githubRepository to OWNER/REPO in "
        "Pulumi.staging.yaml to write deployer.trust.json and previewer.trust.json (docs/ci.md)"
    ) in out


TOPIC = "arn:aws:sns:eu-central-1:123456789012:ops-alarms"
KEY = "arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-12ab-34cd-56ef-1234567890ab"


def test_a_named_topic_without_a_named_key_is_warned_about_with_how_to_look(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = _plan_ci(project, f"  scheduled-jobs:alarmTopicArn: {TOPIC}\n", tmp_path / "b", capsys)
    assert (
        f"warning: alarmTopicArn {TOPIC}: if that topic is encrypted (SSE-KMS), every alert is dropped unless "
        "alarmTopicKmsKeyArn names its key: plan is offline and cannot see whether it is; look with "
        f"`aws sns get-topic-attributes --topic-arn {TOPIC} --query Attributes.KmsMasterKeyId`"
    ) in out


def test_a_named_key_gets_the_statements_its_owner_must_add_written_and_named(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = f"  scheduled-jobs:alarmTopicArn: {TOPIC}\n  scheduled-jobs:alarmTopicKmsKeyArn: {KEY}\n"
    written, out = _plan_ci(project, extra, tmp_path / "b", capsys)
    assert "alarm-topic-key.statements-to-add.json" in written
    statements = json.loads((tmp_path / "b" / "staging" / "alarm-topic-key.statements-to-add.json").read_text())
    assert statements["Statement"][0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert (
        f"note: the topic is encrypted with {KEY}: the stack's alert states may use it; CloudWatch alarms (and, for "
        "a key whose policy does not enable IAM policies, the alert states) only once the key's owner adds the "
        "statements in alarm-topic-key.statements-to-add.json to its key policy (plan cannot read a key policy)"
    ) in out
    assert "warning: alarmTopicArn" not in out


def test_the_stack_topic_unencrypted_gets_no_key_note(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = _plan_ci(project, "", tmp_path / "b", capsys)
    about_keys = ("note: the stack's topic is encrypted", "note: the topic is encrypted", "warning: alarmTopicArn")
    assert not [line for line in out.splitlines() if line.startswith(about_keys)]


def test_the_plan_shows_the_security_team_view_of_the_dev_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan.main(["--stack", "dev", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (
        "Security Hub controls (FSBP, and CloudWatch.16 of NIST 800-53) for stack dev: 11 pass, 0 with findings, "
        "2 accepted, 0 not applicable (docs/security.md#security-hub-controls)"
    ) in out
    assert (
        "accepted: SNS.2 (delivery-status logging): topic dev-job-alarms: the topic's subscriptions are e-mail, "
        "which has no delivery-status logging"
    ) in out
