"""The upgrade check and the change report for `plan.py`: the stack's resource graph recorded under Pulumi mocks,
compared with the previous plan's (build/<stack>.resource-graph.json, e.g. the base branch's in a pull request),
and this program's machinery compared with the last release's, per variant (components/model/release_graph.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from components.model.change_words import describe_changes
from components.model.resource_graph import Graph, graph_from_json, read_graph, read_release
from components.model.upgrade_check import UpgradeReport, check
from components.resources.resource_graph_recorder import MACHINERY_VARIANTS, record

GRAPH_FILE = "resource-graph.json"
PROGRAM = Path(__file__).resolve().parents[2]  # the checkout whose __main__.py and components/ are recorded


@dataclass(frozen=True)
class ChangeReport:
    lines: tuple[str, ...]  # what the plan prints
    refusals: tuple[str, ...]  # why the plan exits 1 (empty: it may go ahead)
    graph: Graph | None  # the stack's graph now, for the next plan to compare with (None: not recorded)


def stack_graph(jobs_dir: Path, config: dict[str, Any], source: str) -> Graph:
    """The stack's graph: this program with the stack's own job modules and stack file settings."""
    return graph_from_json(record(PROGRAM, config=config, jobs_dir=jobs_dir), source)


def machinery_checks() -> dict[str, UpgradeReport]:
    """The last release's machinery against this checkout's, per variant, with the same jobs and settings on
    both sides."""
    return {
        name: check(released, graph_from_json(record(PROGRAM, config=MACHINERY_VARIANTS[name])))
        for name, released in read_release().items()
    }


def change_report(
    jobs_dir: Path,
    config: dict[str, Any],
    previous: Path,
    now: datetime,
    accepted: frozenset[str],
    record_stack: bool = True,
) -> ChangeReport:
    """What `pulumi up` of this plan would do against the previous plan's graph (if there is one, and with
    `record_stack`) and against the last release; a refusal for each change that cannot succeed or is unsafe
    for a run in flight."""
    graph = stack_graph(jobs_dir, config, "plan") if record_stack else None
    lines: list[str] = [] if record_stack else ["the stack's resource graph: not recorded (--no-graph)"]
    refusals: list[str] = []
    if graph is not None and previous.is_file():
        before = read_graph(previous)
        report = check(before, graph)
        if any(change.action != "same" for change in report.changes):
            words = describe_changes(report, before, graph, now, accepted)
            lines.append(f"resources against the last plan's graph ({previous}): {report.lines()[0]}")
            lines += [f"  {change.describe()}" for change in report.changes if change.action != "same"]
            lines += words.lines
            lines += [f"runs in flight of {job}: {'; '.join(n)}" for job, n in sorted(report.affected_jobs.items())]
            refusals += words.refusals
    source = next(iter(read_release().values())).source or "the last release"
    for name, release in machinery_checks().items():
        verdict = "safe" if release.ok else "UNSAFE"
        lines.append(f"upgrade check against {source} ({name} machinery): {verdict}: {release.lines()[0]}")
        lines += [f"UNSAFE: {problem}" for problem in release.problems]
        refusals += [f"upgrade from {source} ({name}): {problem}" for problem in release.problems]
    return ChangeReport(tuple(lines), tuple(refusals), graph)


def write_stack_graph(graph: Graph, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(graph.to_json(), indent=2, sort_keys=True) + "\n")
