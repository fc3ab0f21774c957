"""A stack file that names another stack (a copied `Pulumi.dev.yaml`) is warned about, with what to set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import plan
from components.model.stack_identity import environment, identity_warnings, obvious_prefix

REPO = Path(__file__).resolve().parents[2]


def _warnings(
    stack: str, prefix: str, tags: dict[str, str] | None = None, others: dict[str, str] | None = None
) -> list[str]:
    return identity_warnings(stack, f"Pulumi.{stack}.yaml", "scheduled-jobs", prefix, tags or {}, others or {})


@pytest.mark.parametrize(
    ("stack", "prefix"),
    [
        ("prod", "prod"),
        ("production", "prod"),
        ("prod", "acme-prod"),
        ("billing-staging", "billing-stg"),
        ("acme/dev", "dev"),
        ("Prod_EU", "prod-eu"),
        ("sandbox-alice", "alice"),
    ],
)
def test_a_prefix_of_the_stacks_own_name_or_environment_gets_no_warning(stack: str, prefix: str) -> None:
    assert _warnings(stack, prefix) == []


def test_a_prefix_of_another_environment_is_named_with_the_prefix_to_set() -> None:
    (warning,) = _warnings("prod", "dev")
    assert warning.startswith(
        "Pulumi.prod.yaml: scheduled-jobs:namePrefix: 'dev' says development, and the stack 'prod' is production;"
    )
    assert "set `scheduled-jobs:namePrefix: prod`" in warning


def test_a_prefix_unrelated_to_the_stack_name_is_named() -> None:
    (warning,) = _warnings("billing", "reports")
    assert "'reports' is not the stack's name" in warning and "set `scheduled-jobs:namePrefix: billing`" in warning


def test_a_prefix_another_stack_file_has_is_named_with_that_file() -> None:
    (warning,) = _warnings("prod-eu", "prod", others={"Pulumi.prod-us.yaml": "prod", "Pulumi.dev.yaml": "dev"})
    assert "'prod' is also the prefix of Pulumi.prod-us.yaml" in warning
    assert "set `scheduled-jobs:namePrefix: prod-eu`" in warning


def test_a_tag_of_another_environment_is_named_and_one_of_this_environment_is_not() -> None:
    (warning,) = _warnings("prod", "prod", tags={"Environment": "dev", "team": "dev-tools"})
    assert warning == (
        "Pulumi.prod.yaml: scheduled-jobs:tags.Environment: 'dev' says development, and the stack 'prod' is "
        "production: set it to 'prod', or what this stack's environment is called"
    )
    assert _warnings("prod", "prod", tags={"env": "production", "stage": "live"}) == []


def test_overrides_copied_word_for_word_from_another_stack_are_named() -> None:
    overrides = {"nightly-report": {"schedule": "@hourly"}}
    warnings = identity_warnings(
        "prod", "Pulumi.prod.yaml", "scheduled-jobs", "prod", {}, {}, overrides, {"Pulumi.dev.yaml": dict(overrides)}
    )
    assert warnings == [
        "Pulumi.prod.yaml: scheduled-jobs:jobs: the same per-job overrides as Pulumi.dev.yaml (nightly-report): a "
        "stack file copied from another keeps them; keep those this stack needs, delete the others"
    ]


def test_names_of_environments() -> None:
    assert (environment("billing-prod"), environment("stg"), environment("blue")) == ("production", "staging", None)
    assert environment("dev-to-prod") is None  # two environments: says none
    assert obvious_prefix("org/Billing_Prod") == "billing-prod"


def test_the_readme_recipe_done_as_written_before_editing_warns_about_each_thing_copied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cp Pulumi.dev.yaml Pulumi.prod.yaml` and `python plan.py --stack prod`: prod would take dev's names."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "jobs", root / "jobs", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, root / name)
    shutil.copy(REPO / "Pulumi.dev.yaml", root / "Pulumi.prod.yaml")
    assert plan.main(["--stack", "prod", "--root", str(root), "--out", str(tmp_path / "build")]) == 0
    warnings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning: Pulumi.prod.yaml")]
    assert [w.split(": ")[2] for w in warnings] == [
        "scheduled-jobs:namePrefix",
        "scheduled-jobs:namePrefix",
        "scheduled-jobs:tags.environment",
        "scheduled-jobs:jobs",
    ]
    assert plan.main(["--stack", "dev", "--root", str(root), "--out", str(tmp_path / "build")]) == 0
    assert "warning: Pulumi.dev.yaml: scheduled-jobs:namePrefix: 'dev' is also the prefix of Pulumi.prod.yaml" in (
        capsys.readouterr().out
    )
