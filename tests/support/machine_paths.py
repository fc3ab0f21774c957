"""Paths through a rendered state machine definition, for tests that assert the states a run passes."""

from __future__ import annotations

from typing import Any


def success_path(definition: dict[str, Any]) -> list[str]:
    """State names a successful run passes through (the exit-code-0 rule taken at a Choice)."""
    path: list[str] = []
    name = definition["StartAt"]
    while len(path) < 20:
        path.append(name)
        state = definition["States"][name]
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return path
        if state["Type"] == "Choice":
            # the success with no failure alert outstanding (a recovery also sends an alert)
            rules = [
                r for r in state["Choices"] if "exitCode = 0" in r["Condition"] and "alertedAt" not in r["Condition"]
            ] or state["Choices"]
            name = rules[0]["Next"]
        else:
            name = state["Next"]
    raise AssertionError(f"no end after {path}")
