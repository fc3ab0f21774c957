"""Setup errors as values: every problem names its file or config key, the field, what was given."""

from __future__ import annotations

from typing import Any

HIDDEN = object()  # a `given` not to echo: nothing was given, or it may be a secret


class InvalidSetup(Exception):
    """All problems found in the jobs and stack config; raised before any resource is registered."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.__str__())

    def __str__(self) -> str:
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} found; nothing was deployed:"
        return "\n".join([header, *(f"  - {p}" for p in self.problems)])


class FieldError(ValueError):
    """A validator's complaint about one field, so a check spanning fields still names the one to fix.

    `field` is relative to where pydantic reports the validator (a model validator: the model)."""

    def __init__(self, field: str, message: str, given: Any = HIDDEN) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.given = given
