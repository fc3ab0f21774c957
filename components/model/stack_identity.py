"""Does a stack file say which stack it is? A stack file copied from another (`cp Pulumi.dev.yaml Pulumi.prod.yaml`)
keeps the other's `namePrefix` and environment tag: deployed, prod would take dev's physical names (and in dev's
account replace dev's resources), while everything validates. These are warnings, since only the user knows the
intent; each says what to change."""

from __future__ import annotations

import re
from typing import Any

# The usual words for one environment, by the name they stand for. A stack or prefix named with any of them
# (as a whole word: "prod", "billing-prod", "prod-eu") is of that environment.
ENVIRONMENT_WORDS: dict[str, tuple[str, ...]] = {
    "production": ("production", "prod", "prd", "live"),
    "staging": ("staging", "stage", "stg"),
    "development": ("development", "dev", "develop"),
    "test": ("test", "testing", "tst"),
    "qa": ("qa",),
    "uat": ("uat",),
    "sandbox": ("sandbox", "sbx"),
    "preview": ("preview", "pre"),
    "demo": ("demo",),
}
_ENVIRONMENT_OF = {word: name for name, words in ENVIRONMENT_WORDS.items() for word in words}
# Tag keys that name the environment (AWS's tagging whitepaper, "Best Practices for Tagging AWS Resources",
# uses `environment` as its example of a technical tag; `env` and `stage` are its common short forms).
ENVIRONMENT_TAG_KEYS = ("environment", "env", "stage")


def words(name: str) -> list[str]:
    """`org/billing-prod.eu` -> ["org", "billing", "prod", "eu"]."""
    return [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]


def environment(name: str) -> str | None:
    """The environment a name says ("prod-eu" -> "production"), or None when it says none or two."""
    found = {_ENVIRONMENT_OF[w] for w in words(name) if w in _ENVIRONMENT_OF}
    return found.pop() if len(found) == 1 else None


def obvious_prefix(stack: str) -> str:
    """The prefix a reader expects for a stack: its name as a prefix may be written (lowercase letters, digits,
    hyphens): "Billing_Prod" -> "billing-prod"."""
    return "-".join(words(stack.rsplit("/", 1)[-1]))


def identity_warnings(
    stack: str,
    source: str,
    project: str,
    name_prefix: str,
    tags: dict[str, str],
    other_prefixes: dict[str, str],
    job_overrides: dict[str, Any] | None = None,
    other_job_overrides: dict[str, dict[str, Any]] | None = None,
) -> list[str]:
    """Warnings for a stack whose `namePrefix` or environment tag names another stack or environment, or whose
    per-job overrides are another stack file's, word for word.

    `other_prefixes`, `other_job_overrides`: each other stack file's `namePrefix` and `jobs`, by file name."""
    warnings = []
    key = f"{project}:namePrefix"
    expected = obvious_prefix(stack)
    said, wanted = environment(name_prefix), environment(stack)
    related = set(words(name_prefix)) & set(words(stack)) or (said is not None and said == wanted)
    if not related:
        why = f"says {said}, and the stack {stack!r} is {wanted}" if said and wanted else "is not the stack's name"
        warnings.append(
            f"{source}: {key}: {name_prefix!r} {why}; every physical name of this stack starts with it, so a stack "
            f"file copied from another takes the other's names: set `{key}: {expected}` (before the first "
            "`pulumi up`; a changed prefix later replaces every resource)"
        )
    for other, prefix in sorted(other_prefixes.items()):
        if prefix == name_prefix:
            # A physical name is taken once per account (and region): CreateStateMachine refuses "a state machine
            # with the same name but a different definition or role ARN" (StateMachineAlreadyExists, Step Functions
            # API reference); IAM role names are unique in the account (IAM User Guide, "IAM identifiers").
            warnings.append(
                f"{source}: {key}: {name_prefix!r} is also the prefix of {other}; in one account the two stacks "
                f"would take the same physical names (the second fails or takes over the first's): set `{key}: "
                f"{expected}`" + (" or another prefix of its own" if expected == name_prefix else "")
            )
    for tag, value in sorted(tags.items()):
        if tag.lower() not in ENVIRONMENT_TAG_KEYS:
            continue
        tagged = environment(value)
        if wanted is not None and tagged is not None and tagged != wanted:
            warnings.append(
                f"{source}: {project}:tags.{tag}: {value!r} says {tagged}, and the stack {stack!r} is {wanted}: "
                f"set it to {stack!r}, or what this stack's environment is called"
            )
    for other, overrides in sorted((other_job_overrides or {}).items()):
        if job_overrides and overrides == job_overrides:
            warnings.append(
                f"{source}: {project}:jobs: the same per-job overrides as {other} "
                f"({', '.join(sorted(job_overrides))}): a stack file copied from another keeps them; keep those "
                "this stack needs, delete the others"
            )
    return warnings
