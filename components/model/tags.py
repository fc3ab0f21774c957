"""Tags: the user's (stack-wide and per job) and our own, merged the one way every resource gets them, and
checked against what AWS refuses at deploy (limits in aws_constants)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from components.model.aws_constants import (
    MAX_TAGS_PER_RESOURCE,
    RESERVED_TAG_PREFIX,
    TAG_KEY_MAX_LENGTH,
    TAG_VALUE_MAX_LENGTH,
)
from components.model.errors import FieldError

STACK_TAG = "scheduled-jobs:stack"  # on the shared resources: which stack made them
JOB_TAG = "scheduled-jobs:job"  # on a job's resources: which job they belong to


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags unchanged, or a FieldError for the first key or value AWS would refuse."""
    for key, value in tags.items():
        shown = key if len(key) <= 40 else key[:40] + "..."
        if not key:
            raise FieldError("", "a tag key is empty; AWS needs 1 to 128 characters")
        if len(key) > TAG_KEY_MAX_LENGTH:
            raise FieldError(
                "", f"the key {shown!r} is {len(key)} characters; AWS allows at most {TAG_KEY_MAX_LENGTH} per tag key"
            )
        if key in (STACK_TAG, JOB_TAG):
            raise FieldError(
                key, "set by this project on its resources, so yours would be overwritten; use another key"
            )
        if key.lower().startswith(RESERVED_TAG_PREFIX):
            raise FieldError(
                key, f"keys starting with {RESERVED_TAG_PREFIX!r} (in any case) are reserved for AWS; use another key"
            )
        if len(value) > TAG_VALUE_MAX_LENGTH:
            raise FieldError(
                key, f"the value is {len(value)} characters; AWS allows at most {TAG_VALUE_MAX_LENGTH} per tag value"
            )
    return tags


Tags = Annotated[dict[str, str], AfterValidator(check_tags)]


def shared_tags(stack_tags: dict[str, str], stack: str) -> dict[str, str]:
    """The tags of the stack's shared resources."""
    return {**stack_tags, STACK_TAG: stack}


def job_tags(stack_tags: dict[str, str], own_tags: dict[str, str], job: str) -> dict[str, str]:
    """The tags of one job's resources: the stack's, the job's own (which win), and ours."""
    return {**stack_tags, **own_tags, JOB_TAG: job}


def too_many_tags(tags: dict[str, str], what: str) -> str | None:
    """Why AWS would refuse this many tags on `what`, or None."""
    if len(tags) <= MAX_TAGS_PER_RESOURCE:
        return None
    return (
        f"{what} would carry {len(tags)} tags; AWS allows at most {MAX_TAGS_PER_RESOURCE} per resource: "
        f"drop {len(tags) - MAX_TAGS_PER_RESOURCE}"
    )
