"""Setup errors as values: every problem names its file or config key, the field, what was given."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class InvalidSetup(Exception):
    """All problems found in the jobs and stack config; raised before any resource is registered."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.__str__())

    def __str__(self) -> str:
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} found; nothing was deployed:"
        return "\n".join([header, *(f"  - {p}" for p in self.problems)])


def _given(value: Any) -> str:
    if isinstance(value, (dict, list)) and len(repr(value)) > 80:
        return ""
    return f" (given: {value!r})"


def describe_validation_error(error: ValidationError, where: str, prefix: str = "") -> list[str]:
    """One line per pydantic error: `where: field: message (given: value)`."""
    lines = []
    for item in error.errors():
        field = (prefix + ".".join(str(part) for part in item["loc"])).rstrip(".")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "required but not given"
            given = ""
        elif item["type"] == "extra_forbidden":
            message = "unknown field (typo?)"
            given = ""
        else:
            given = _given(item.get("input"))
            if "model_type" in item["type"] or item["type"] == "dict_type":
                given = given if len(given) < 90 else ""
        location = f"{field}: " if field else ""
        lines.append(f"{where}: {location}{message}{given}")
    return lines
