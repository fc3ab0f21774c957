"""Our resource-type matching (components/model/resource_types.py) decides as the IAM simulator's own library
does (@cloud-copilot/iam-utils' resourceStringMatchesResourceTypePattern), on every resource type of the services
jobs commonly use, so plan.py warns exactly about the statements the simulation would call `no.resource.types`."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from components.loading.iam_action_data import IamActionData
from components.model.resource_types import arn_matches_template
from tests.support.iam_simulator import REPO_ROOT

SERVICES = ("s3", "sqs", "sns", "dynamodb", "secretsmanager", "ssm", "ecs", "lambda", "kms", "logs")
ARNS = (
    "*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/a/b.csv",
    "arn:aws:s3:::*",
    "arn:aws:s3:::b?cket",
    "arn:aws:sqs:eu-central-1:123456789012:out",
    "arn:aws:sns:eu-central-1:123456789012:topic",
    "arn:aws:dynamodb:eu-central-1:123456789012:table/orders",
    "arn:aws:dynamodb:eu-central-1:123456789012:table/orders/index/*",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/db-Ab12Cd",
    "arn:aws:ssm:eu-central-1:123456789012:parameter/app/key",
    "arn:aws:ecs:eu-central-1:123456789012:cluster/shared",
    "arn:aws:lambda:eu-central-1:123456789012:function:f",
    "arn:aws:lambda:eu-central-1:123456789012:function:f:*",
    "arn:aws:kms:eu-central-1:123456789012:key/*",
    "arn:aws:logs:eu-central-1:123456789012:log-group:/app/*",
    "arn:aws:*:*:123456789012:*",
)
DRIVER = """
import { resourceStringMatchesResourceTypePattern as m } from '@cloud-copilot/iam-utils'
import { readFileSync } from 'node:fs'
const pairs = JSON.parse(readFileSync(0, 'utf8'))
process.stdout.write(JSON.stringify(pairs.map(([arn, template]) => m(arn, template))))
"""


def _templates() -> list[str]:
    data = IamActionData()
    found: set[str] = set()
    for service in SERVICES:
        for action in data.actions(f"{service}:*"):
            found.update(t.arn for t in data.resource_types(action))
    return sorted(found)


def test_resource_type_matching_agrees_with_the_simulators_library() -> None:
    if shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "@cloud-copilot" / "iam-utils").is_dir():
        pytest.fail("node and node_modules/@cloud-copilot/iam-utils are needed: run `npm ci`")
    templates = _templates()
    assert len(templates) > 50, "IAM's action data is missing resource types (npm ci)"
    pairs = [(arn, template) for arn in ARNS for template in templates]
    run = subprocess.run(
        ["node", "--input-type=module", "-e", DRIVER],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    theirs = json.loads(run.stdout)
    differ = [
        f"{arn} ~ {template}: theirs {t}"
        for (arn, template), t in zip(pairs, theirs, strict=True)
        if arn_matches_template(arn, template) is not t
    ]
    assert not differ, "\n".join(differ[:20])
