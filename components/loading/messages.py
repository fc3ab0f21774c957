"""One line per mistake in a job module or a stack file: `where: field: what is wrong, what is allowed`."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from components.model.config import JobOverride
from components.model.errors import HIDDEN, FieldError
from components.model.spec import Job


def _given(value: Any) -> str:
    if value is HIDDEN or (isinstance(value, (dict, list)) and len(repr(value)) > 80):
        return ""
    return f" (given: {value!r})"


def _path(parts: tuple[Any, ...]) -> str:
    text = ""
    for part in parts:
        if part == "[key]":
            continue  # pydantic's marker for "the key of a dict"; the key itself is the part before
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def _fields(model: type[BaseModel] | None) -> dict[str, FieldInfo]:
    """The model's fields by the name a user writes (the alias where there is one)."""
    if model is None:
        return {}
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _model_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The nested model at `loc` (Retries at ("retries",), JobOverride at ("jobs", "x"), Permission at
    ("permissions", 0)), to name its fields."""
    key_next = False  # the part after a dict or list of models is a key or an index, not a field
    for part in loc:
        if model is None or key_next:
            key_next = False
            continue
        info = _fields(model).get(str(part))
        kind = info.annotation if info is not None else None
        values = get_args(kind)[-1:] if get_origin(kind) in (dict, list) else ()
        key_next = bool(values)
        model = _as_model(values[0] if values else kind)
    return model


def _as_model(kind: Any) -> type[BaseModel] | None:
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _example(info: FieldInfo | None) -> str:
    return f", e.g. {info.examples[0]!r}" if info is not None and info.examples else ""


def _named(field: str, key_name: Callable[[str], str] | None) -> str:
    field = field.rstrip(".")
    return key_name(field) if field and key_name is not None else field


def describe_validation_error(
    error: ValidationError,
    where: str,
    prefix: str = "",
    model: type[BaseModel] | None = None,
    key_name: Callable[[str], str] | None = None,
    unknown_key: str = "unknown field",
    unknown_key_help: str = "",
) -> list[str]:
    """One line per mistake: `where: field: what is wrong, what is allowed (given: value)`.

    `model` lets a message name the allowed fields and give the field's example; `key_name` turns a field
    path into what the user wrote (a stack file's `project:key`); `unknown_key` is how an unknown key is named and
    `unknown_key_help` where to read about the known ones."""
    fields = _fields(model)
    items = error.errors()
    # A typo (`timout`) makes one field unknown and a sibling missing: report it once, as the typo.
    missing = [tuple(i["loc"]) for i in items if i["type"] == "missing"]
    typos: dict[tuple[Any, ...], str] = {}
    for item in items:
        if item["type"] == "extra_forbidden":
            unknown = tuple(item["loc"])
            siblings = [str(m[-1]) for m in missing if m[:-1] == unknown[:-1]]
            if close := difflib.get_close_matches(str(unknown[-1]), siblings, n=1, cutoff=0.6):
                typos[unknown] = close[0]
    misspelt = {(*loc[:-1], name) for loc, name in typos.items()}
    lines = []
    for item in items:
        loc = tuple(item["loc"])
        top = fields.get(str(loc[0])) if loc else None
        given: Any = item.get("input")
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, FieldError):
            loc = loc + tuple(p for p in cause.field.split(".") if p)
            message, given = cause.message, cause.given
        elif item["type"] == "missing":
            if loc in misspelt:
                continue
            field_info = _fields(_model_at(model, loc[:-1])).get(str(loc[-1])) if len(loc) > 1 else top
            message, given = f"required but not given{_example(field_info)}", HIDDEN
        elif item["type"] == "extra_forbidden":
            name = str(loc[-1])
            known = list(_fields(_model_at(model, loc[:-1])))
            if _model_at(model, loc[:-1]) is JobOverride and name in Job.model_fields:
                # A job field, not a typo: say so, not "did you mean" a field that happens to look alike.
                message = (
                    f"cannot be overridden per stack; set it in the job module. Per stack you can set: "
                    f"{', '.join(known)}{unknown_key_help}"
                )
                lines.append(f"{where}: {_named(f'{prefix}{_path(loc)}', key_name)}: {message}")
                continue
            guess = typos.get(loc) or next(iter(difflib.get_close_matches(name, known, n=1, cutoff=0.6)), None)
            message = unknown_key + (f"; did you mean {guess!r}?" if guess else "")
            if known and not guess:
                message += f" (known fields: {', '.join(known)})"
            message += unknown_key_help
            given = HIDDEN
        else:
            message = item["msg"].removeprefix("Value error, ").replace(" after validation", "")
            if item["type"] == "model_type":  # pydantic says "a valid dictionary or instance of Retries"
                message = "Input should be a dictionary"
            if item["type"] == "string_type" and isinstance(given, (int, float)):
                message += f"; quote it: {str(given)!r}"
            elif not item["type"].startswith("value_error") and len(loc) == 1:
                message += _example(top)
        field = _named(f"{prefix}{_path(loc)}", key_name)
        lines.append(f"{where}: {field + ': ' if field else ''}{message}{_given(given)}")
    return lines
