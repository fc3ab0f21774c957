"""The floor: a Pulumi program with none of our logic. It re-registers the resources a real run
recorded (same types, names, inputs, parents, dependencies, invokes and exports) from plain values: the
dependencies the program gets from Outputs and depends_on, the floor declares as depends_on.

bench/run.py copies it as `__main__.py` into a temp project next to `recorded.json`. Two floors:
- bare: each resource is a `pulumi.CustomResource` of the recorded type token;
- typed (a file `typed` beside it): each resource goes through its `pulumi_aws` class, as the program's do,
  so the difference to the program is our logic and its Output wiring, not the SDK's typed classes.
Both run with the program's garbage collector settings, so the ratio compares work, not collector settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.resources.garbage_collection import collect_old_objects_rarely

RECORDED = Path(__file__).resolve().parent / "recorded.json"
TYPED = (Path(__file__).resolve().parent / "typed").exists()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _typed(type_token: str, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.Resource:
    """`aws:iam/role:Role` -> aws.iam.Role(name, **inputs in snake case); nested values stay as recorded."""
    _, module_path, class_name = type_token.split(":")
    module = getattr(aws, module_path.split("/")[0])
    resource: pulumi.Resource = getattr(module, class_name)(
        name, opts=opts, **{_snake(k): v for k, v in inputs.items()}
    )
    return resource


def _key(urn: str | None) -> tuple[str, str] | None:
    """(type, name) of the resource a URN names: `urn:pulumi:s::p::a$b::name` -> (b, name)."""
    if not urn:
        return None
    *_, types, name = urn.split("::")
    return types.split("$")[-1], name


collect_old_objects_rarely()
recorded: dict[str, Any] = json.loads(RECORDED.read_text())
# The program's two invokes (account id and partition), so the floor makes the same calls.
aws.get_caller_identity()
aws.get_partition()

registered: dict[tuple[str, str], pulumi.Resource] = {}
components: list[pulumi.ComponentResource] = []
for entry in recorded["resources"]:  # in registration order, so a parent always comes first
    parent_key = _key(entry["parent"])
    opts = pulumi.ResourceOptions(
        parent=registered.get(parent_key) if parent_key else None,
        depends_on=[registered[key] for urn in entry["dependencies"] if (key := _key(urn)) in registered],
    )
    resource: pulumi.Resource
    if entry["component"]:
        resource = pulumi.ComponentResource(entry["type"], entry["name"], None, opts)
        components.append(resource)
    elif TYPED:
        resource = _typed(entry["type"], entry["name"], entry["inputs"], opts)
    else:
        resource = pulumi.CustomResource(entry["type"], entry["name"], entry["inputs"], opts)
    registered[(entry["type"], entry["name"])] = resource

for component in components:
    component.register_outputs({})
for key, value in recorded["exports"].items():
    pulumi.export(key, value)
