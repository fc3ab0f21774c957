"""Scheduled container jobs. Job modules import `Job` (and `Permission`, `Retries`) from here.

The floors, each importing only the ones above it: `model` (plain values and rules), `loading` (finding
and validating jobs), `documents` (every AWS document, pure), `resources` (the Pulumi components). The
names below load on first use, so `jobctl`, which needs only `components.model`'s plain names, never
pays for pydantic and the schedule engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.model.permissions import Permission
    from components.model.spec import Job, Retries

__all__ = ["Job", "Permission", "Retries"]


def __getattr__(name: str) -> Any:
    """`from components import Job` without importing the spec when a caller needs only the model's names."""
    if name == "Permission":
        from components.model.permissions import Permission

        return Permission
    if name in ("Job", "Retries"):
        from components.model import spec

        return getattr(spec, name)
    raise AttributeError(f"module 'components' has no attribute {name!r}")
