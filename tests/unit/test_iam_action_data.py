"""plan.py's warnings about a job's permissions, from IAM's action data (components/loading/iam_action_data.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import plan
from components.loading.iam_action_data import IamActionData, permission_warnings
from tests.support.builders import job
from tests.support.pulumi_mocks import BASE_CONFIG

BUCKET, OBJECTS = "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"


def _warnings(*grants: dict[str, Any]) -> list[str]:
    return permission_warnings([job(name="export", permissions=list(grants))])


def test_a_statement_for_a_bucket_and_its_objects_gets_no_warning() -> None:
    assert _warnings({"actions": ["s3:GetObject", "s3:ListBucket"], "resources": [BUCKET, OBJECTS]}) == []


def test_an_action_on_none_of_the_resource_types_it_takes_is_named_with_the_arn_to_add() -> None:
    (listing,) = _warnings({"actions": ["s3:GetObject", "s3:ListBucket"], "resources": [OBJECTS]})
    assert listing.startswith("warning: jobs/export.py: permissions[0]: s3:ListBucket: applies to resource type")
    assert "bucket (arn:${Partition}:s3:::${BucketName})" in listing
    assert "so IAM never allows it here" in listing
    assert listing.endswith("add the ARN of the resource it acts on to `resources`, e.g. arn:aws:s3:::bucket")
    (getting,) = _warnings(
        {"actions": ["s3:ListBucket"], "resources": [BUCKET]}, {"actions": ["s3:GetObject"], "resources": [BUCKET]}
    )
    assert getting.startswith("warning: jobs/export.py: permissions[1]: s3:GetObject:")
    assert getting.endswith("e.g. arn:aws:s3:::bucket/*")


def test_an_action_of_no_resource_type_needs_a_star() -> None:
    (warning,) = _warnings(
        {
            "actions": ["ecr:GetAuthorizationToken"],
            "resources": ["arn:aws:ecr:eu-central-1:123456789012:repository/app"],
        }
    )
    assert 'takes no resource type, so IAM allows it only with Resource "*"' in warning
    assert _warnings({"actions": ["ecr:GetAuthorizationToken"], "resources": ["*"]}) == []


def test_a_misspelt_action_is_named_with_the_likely_one() -> None:
    (warning,) = _warnings({"actions": ["s3:GetObjects"], "resources": [OBJECTS]})
    assert warning.endswith(
        "names no action in IAM's action data (Service Authorization Reference); did you mean s3:GetObject?"
    )


def test_a_wildcard_action_is_fine_when_one_action_it_names_applies() -> None:
    assert _warnings({"actions": ["s3:Get*"], "resources": [OBJECTS]}) == []
    (warning,) = _warnings({"actions": ["s3:Put*"], "resources": ["arn:aws:sqs:eu-central-1:123456789012:out"]})
    assert "none of the" in warning and "actions it names applies" in warning


def test_without_the_data_the_plan_says_the_check_did_not_run(tmp_path: Path) -> None:
    jobs = [job(name="export", permissions=[{"actions": ["s3:GetObject"], "resources": [OBJECTS]}])]
    (note,) = permission_warnings(jobs, IamActionData(tmp_path / "missing"))
    assert note.startswith("note: permissions not checked against IAM's action data") and "npm ci" in note
    assert permission_warnings([job(name="plain")], IamActionData(tmp_path / "missing")) == []


def test_plan_prints_the_warning_for_the_job_and_still_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    (root / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": BASE_CONFIG}))
    (root / "jobs" / "export.py").write_text(
        "from components import Job\n\njob = Job(command=['x'], timeout='1h', permissions=[{'actions': "
        f"['s3:ListBucket'], 'resources': ['{OBJECTS}']}}])\n"
    )
    assert plan.main(["--stack", "test", "--root", str(root), "--out", str(tmp_path / "build")]) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if "permissions[0]" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: jobs/export.py: permissions[0]: s3:ListBucket:")


def test_permissions_a_stack_override_set_are_named_at_the_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    override = {"export": {"permissions": [{"actions": ["s3:GetObject"], "resources": [BUCKET]}]}}
    (root / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": {**BASE_CONFIG, "scheduled-jobs:jobs": override}}))
    (root / "jobs" / "export.py").write_text("from components import Job\n\njob = Job(command=['x'], timeout='1h')\n")
    assert plan.main(["--stack", "test", "--root", str(root), "--out", str(tmp_path / "build")]) == 0
    [warning] = [line for line in capsys.readouterr().out.splitlines() if "permissions[0]" in line]
    assert warning.startswith("warning: Pulumi.test.yaml: scheduled-jobs:jobs.export.permissions[0]: s3:GetObject:")
