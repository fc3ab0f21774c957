"""What one job of a stack resolved to, field by field, and where each value came from: the job's module, a stack
default (`scheduled-jobs:capacity`, `:jitter`, `:image`), a stack override (`scheduled-jobs:jobs.<name>.<field>`),
or the field's own default; as `kubectl get cronjob NAME -o yaml` shows what the cluster holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from components.loading.stack import STACK_DEFAULTS as SAME_NAME_DEFAULTS
from components.model.config import StackConfig
from components.model.duration import format_duration
from components.model.spec import Job
from components.model.stack import StackJob

# Fields whose value is a duration in seconds, shown as the user writes them ("30m").
DURATIONS = {"timeout", "jitter", "late_after", "warn_after", "retries.interval", "failure_alerts.again_after"}
# Stack settings a job takes when its module sets none: field -> the setting (StackConfig's attribute); those of
# the same name as the field come from the loader's own list, so the two cannot disagree.
STACK_DEFAULTS = {"capacity": "capacity", "jitter": "jitter", "image": "image", **{f: f for f in SAME_NAME_DEFAULTS}}


@dataclass(frozen=True)
class Resolved:
    field: str  # "schedule", "retries.attempts"
    value: str  # as shown: "30m", "cron(0 6 * * ? *)", "[]"
    source: str  # "module jobs/x.py", "stack default scheduled-jobs:image", "stack override ...", "default"


def effective_spec(job: StackJob, module: Job, config: StackConfig, project: str, stack_file: str) -> list[Resolved]:
    """Every field of `job.spec` (the spec as the stack deploys it) with its source; `module` is the spec as
    the job's module defines it, before the stack's defaults and overrides."""
    override = config.jobs.get(job.name)
    overridden = set(override.as_update()) if override is not None else set()
    rows: list[Resolved] = []
    final = job.spec.model_dump()
    for name in Job.model_fields:
        value = final[name]
        if name == "image" and value is None:
            value = config.image
        source = _source(name, job, module, config, overridden, project, stack_file)
        for field, shown in _flat(name, value):
            rows.append(Resolved(field, _shown(field, shown), _nested_source(field, source, module)))
    return rows


def _nested_source(field: str, source: str, module: Job) -> str:
    """`retries=2` sets the attempts; the interval and backoff keep their defaults."""
    name, _, part = field.partition(".")
    nested = getattr(module, name)
    if part and source.startswith("module") and isinstance(nested, BaseModel) and part not in nested.model_fields_set:
        return "default"
    return source


def _source(
    name: str, job: StackJob, module: Job, config: StackConfig, overridden: set[str], project: str, stack_file: str
) -> str:
    if name in overridden:
        before = f"; the module's: {_shown(name, module.model_dump()[name])}" if name in module.model_fields_set else ""
        return f"stack override {project}:jobs.{job.name}.{_camel(name)} ({stack_file}){before}"
    if name in module.model_fields_set:
        return f"module {job.source}"
    setting = STACK_DEFAULTS.get(name)
    if setting is not None and getattr(config, setting) is not None and _took_default(name, job.spec):
        return f"stack default {project}:{_camel(setting)} ({stack_file})"
    return "default"


def _took_default(name: str, spec: Job) -> bool:
    """Whether the stack's setting reached the job: an image left unset, a capacity and a jitter applied."""
    if name == "image":
        return spec.image is None
    return name in spec.model_fields_set


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _flat(name: str, value: Any) -> list[tuple[str, Any]]:
    """A nested model's fields each on a line of their own: retries.attempts, retries.interval."""
    if isinstance(value, dict) and name in {"retries", "failure_alerts"}:
        return [(f"{name}.{key}", item) for key, item in value.items()]
    return [(name, value)]


def _shown(field: str, value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if value is None:
        return "none"
    if field in DURATIONS and isinstance(value, int):
        return format_duration(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "), default=str)
