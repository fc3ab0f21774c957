"""Walk a generated state machine definition along one path, counting state transitions as Step
Functions bills them: every state entered, and every retry of a Task as one more."""

from __future__ import annotations

from collections import Counter
from typing import Any


def walk(definition: dict[str, Any], outcomes: dict[str, list[str]], choices: dict[str, list[int | None]]) -> list[str]:
    """The states entered, retries included, when each Task attempt ends with the next of its `outcomes`
    ("ok" or an error name; "ok" once they run out) and each visit of a Choice takes the next rule of
    `choices[name]` (None: Default; the last one again once they run out)."""
    states, name = definition["States"], definition["StartAt"]
    pending = {state: list(results) for state, results in outcomes.items()}
    taken = {state: list(rules) for state, rules in choices.items()}
    path: list[str] = []
    while len(path) < 100:
        state = states[name]
        path.append(name)
        kind = state["Type"]
        if kind in ("Succeed", "Fail"):
            return path
        if kind == "Choice":
            rules = taken[name]
            rule = rules.pop(0) if len(rules) > 1 else rules[0]
            name = state["Default"] if rule is None else state["Choices"][rule]["Next"]
            continue
        if kind == "Task":
            error = _attempt(name, state, pending, path)
            if error is not None:
                catcher = next((c for c in state.get("Catch", []) if matches(c, error)), None)
                if catcher is None:
                    return [*path, f"(execution fails: {error})"]
                name = catcher["Next"]
                continue
        if state.get("End"):
            return path
        name = state["Next"]
    raise SystemExit(f"the walk does not end: {' > '.join(path[:20])} ...")


def _attempt(name: str, state: dict[str, Any], pending: dict[str, list[str]], path: list[str]) -> str | None:
    """Run a Task state's attempts; each retry is one more entry in `path`. The final error, or None."""
    retried: Counter[int] = Counter()
    while True:
        results = pending.get(name)
        error = results.pop(0) if results else "ok"
        if error == "ok":
            return None
        retriers = state.get("Retry", [])
        index = next((i for i, r in enumerate(retriers) if matches(r, error)), None)
        if index is None or retried[index] >= retriers[index].get("MaxAttempts", 3):
            return error
        retried[index] += 1
        path.append(f"{name} (retry)")


def matches(rule: dict[str, Any], error: str) -> bool:
    names = rule["ErrorEquals"]
    return error in names or ("States.ALL" in names and not error.startswith("States.Runtime"))
