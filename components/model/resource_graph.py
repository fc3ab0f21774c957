"""A program's resource graph as plain values: what the upgrade check compares (components/model/upgrade_check.py).

Recorded under Pulumi mocks by components/resources/resource_graph_recorder.py; the last release's graph is kept
in `components/model/release_graph.json` and regenerated deliberately (docs/changing-a-deployed-stack.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RELEASE_GRAPH = Path(__file__).with_name("release_graph.json")  # {"source", "variants": {name: graph}}


@dataclass(frozen=True)
class GraphResource:
    """One resource: `identity` is its URN without stack and project (every ancestor's type, its type, its
    name); `aliases` are the identities it also answers to; long inputs are digests ({"sha256", "chars"})."""

    identity: str
    type: str
    name: str
    job: str | None  # the ScheduledJob it belongs to, None for the stack's shared resources
    aliases: tuple[str, ...]
    inputs: dict[str, Any]
    references: tuple[str, ...]  # identities named in its inputs (by ARN) or depended on
    depends_on: tuple[str, ...]  # the part of `references` Pulumi orders deletes by (dependents go first)
    protect: bool
    retain_on_delete: bool

    @property
    def custom(self) -> bool:
        """An AWS resource, not one of our components (which hold nothing)."""
        return self.type.startswith("aws:")


@dataclass(frozen=True)
class Graph:
    resources: tuple[GraphResource, ...]
    source: str = ""  # what it was recorded from, e.g. "release dab75f8"

    def by_identity(self) -> dict[str, GraphResource]:
        return {resource.identity: resource for resource in self.resources}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "source": self.source,
            "resources": [
                {
                    "identity": r.identity,
                    "type": r.type,
                    "name": r.name,
                    "job": r.job,
                    "aliases": list(r.aliases),
                    "inputs": r.inputs,
                    "references": list(r.references),
                    "dependsOn": list(r.depends_on),
                    "protect": r.protect,
                    "retainOnDelete": r.retain_on_delete,
                }
                for r in sorted(self.resources, key=lambda r: r.identity)
            ],
        }


def graph_from_json(data: dict[str, Any], source: str | None = None) -> Graph:
    """The graph from its JSON form (the recorder's output, or a kept file)."""
    resources = tuple(
        GraphResource(
            identity=row["identity"],
            type=row["type"],
            name=row["name"],
            job=row.get("job"),
            aliases=tuple(row.get("aliases", ())),
            inputs=dict(row.get("inputs", {})),
            references=tuple(row.get("references", ())),
            depends_on=tuple(row.get("dependsOn", ())),
            protect=bool(row.get("protect")),
            retain_on_delete=bool(row.get("retainOnDelete")),
        )
        for row in data["resources"]
        if row["type"] != "pulumi:pulumi:Stack"
    )
    return Graph(resources, source if source is not None else str(data.get("source", "")))


def read_graph(path: Path) -> Graph:
    return graph_from_json(json.loads(path.read_text()))


def read_release(path: Path = RELEASE_GRAPH) -> dict[str, Graph]:
    """The last release's graphs, one per machinery variant (recorder.MACHINERY_VARIANTS), each with the file's
    source (e.g. "release dab75f8")."""
    data = json.loads(path.read_text())
    return {name: graph_from_json(graph, data["source"]) for name, graph in sorted(data["variants"].items())}


def write_release(graphs: dict[str, Graph], source: str, path: Path = RELEASE_GRAPH) -> None:
    variants = {name: {"resources": graph.to_json()["resources"]} for name, graph in sorted(graphs.items())}
    path.write_text(json.dumps({"format": 2, "source": source, "variants": variants}, indent=2, sort_keys=True) + "\n")


def write_graph(graph: Graph, path: Path) -> None:
    path.write_text(json.dumps(graph.to_json(), indent=2, sort_keys=True) + "\n")
