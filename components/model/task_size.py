"""The size of a job's task definition, checked before deploy: ECS refuses one over 64 KiB at `pulumi up`.

What grows with the job is its command, environment and secrets; they are measured as the container definition
renders them (documents/containers.py uses the same entries), the rest is a fixed allowance."""

from __future__ import annotations

import json
from typing import Any

from components.model.aws_constants import TASK_DEFINITION_MAX_BYTES
from components.model.errors import FieldError

# Everything else in the task definition: image (at most ~400 bytes with registry and digest), container and
# family names, role ARNs, log settings, cpu/memory: under 2 KiB together; the rest is margin.
FIXED_PART_BYTES = 4 * 1024


def environment_entries(environment: dict[str, str]) -> list[dict[str, str]]:
    """The container definition's `environment`, sorted so the task definition only changes when it does."""
    return [{"name": k, "value": v} for k, v in sorted(environment.items())]


def secret_entries(secrets: dict[str, str]) -> list[dict[str, str]]:
    """The container definition's `secrets`: references only, never a secret's value."""
    return [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())]


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def variable_part_bytes(command: list[str], environment: dict[str, str], secrets: dict[str, str]) -> dict[str, int]:
    """Bytes of JSON each field the job sets adds to its task definition."""
    return {
        "environment": _json_bytes(environment_entries(environment)),
        "secrets": _json_bytes(secret_entries(secrets)),
        "command": _json_bytes(command),
    }


def check_task_size(command: list[str], environment: dict[str, str], secrets: dict[str, str]) -> None:
    """Raise a FieldError on the biggest field if the task definition would pass what ECS accepts."""
    parts = variable_part_bytes(command, environment, secrets)
    total = sum(parts.values()) + FIXED_PART_BYTES
    if total <= TASK_DEFINITION_MAX_BYTES:
        return
    field = max(parts, key=lambda name: parts[name])
    sizes = ", ".join(f"{name} {size:,}" for name, size in parts.items())
    raise FieldError(
        field,
        f"the task definition would be about {total:,} bytes ({sizes}, and up to {FIXED_PART_BYTES:,} for the "
        f"image, names and settings); ECS accepts at most {TASK_DEFINITION_MAX_BYTES:,} bytes (64 KiB): move large "
        "values into SSM parameters named in `secrets`, or into a file the job reads",
    )
