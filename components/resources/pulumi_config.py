"""Read every config value of the running stack, so unknown keys can be reported, not ignored."""

from __future__ import annotations

from typing import Any

from pulumi.runtime import config as runtime_config


def stack_config_values() -> dict[str, Any]:
    """All `namespace:key` values Pulumi handed this program (`pulumi.Config` only answers for known keys)."""
    values: dict[str, Any] = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values
