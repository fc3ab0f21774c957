"""Resource graphs of this repository's history, for the upgrade check's test on every change main made.

Each commit on main's first-parent line since job permissions (a7952d1) is recorded by that commit's own program
(`git archive` of the commit, then components/resources/resource_graph_recorder.py run on it in a subprocess)
with the machinery jobs, and kept compact in tests/program/history_graphs.json.gz (gzip: the identities
repeat): the inputs that decide replacement verbatim, every other input as a short digest (a change still
shows as an update). Regenerate:

    .venv/bin/python -m tests.support.history_graphs
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

from components.model.force_new import FORCE_NEW

REPO = Path(__file__).resolve().parents[2]
RECORDER = REPO / "components" / "resources" / "resource_graph_recorder.py"
HISTORY = REPO / "tests" / "program" / "history_graphs.json.gz"
FIRST = "a7952d1"  # job permissions: the machinery jobs' fields exist from here on
LAST = "dab75f8"  # the release kept in components/model/release_graph.json


def compact(graph: dict[str, Any]) -> dict[str, Any]:
    """The graph with only the ForceNew inputs verbatim; the rest as 12-hex digests."""
    rows = []
    for row in graph["resources"]:
        entry = FORCE_NEW.get(row["type"])
        kept = set(entry.fields) | ({"family"} if entry and entry.every_field else set()) if entry else set()
        inputs = {
            key: value if key in kept else hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:12]
            for key, value in row["inputs"].items()
        }
        rows.append({**row, "inputs": inputs})
    return {**graph, "resources": rows}


def record_commit(commit: str) -> dict[str, Any]:
    """The graph of `commit`'s program, recorded by that program in a subprocess."""
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        tarfile.open(fileobj=BytesIO(archive)).extractall(tree, filter="data")
        out = Path(scratch) / "graph.json"
        subprocess.run(
            [sys.executable, str(RECORDER), "--root", str(tree), "--out", str(out), "--source", f"commit {commit}"],
            check=True,
            capture_output=True,
            cwd=scratch,
        )
        return compact(json.loads(out.read_text()))


def first_parent_line() -> list[str]:
    text = subprocess.run(
        ["git", "rev-list", "--first-parent", "--reverse", "--abbrev=7", "--abbrev-commit", f"{FIRST}^..{LAST}"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return text.split()


def stored() -> dict[str, dict[str, Any]]:
    """Commit -> its compact graph, in first-parent order."""
    data: dict[str, dict[str, Any]] = json.loads(gzip.decompress(HISTORY.read_bytes()))["commits"]
    order = first_parent_line()
    return {commit: data[commit] for commit in sorted(data, key=order.index)}


def main() -> int:
    """Record every commit of the line; keep the ones whose graph differs from the one before."""
    kept: dict[str, Any] = {}
    previous: str | None = None
    for commit in first_parent_line():
        graph = record_commit(commit)
        text = json.dumps(graph["resources"], sort_keys=True)
        if text != previous:
            kept[commit] = graph
            print(commit, len(graph["resources"]), flush=True)
        previous = text
    HISTORY.write_bytes(gzip.compress((json.dumps({"commits": kept}, sort_keys=True) + "\n").encode(), mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
