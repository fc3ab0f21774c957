"""The floors of `components/` hold: imports only go down (model <- loading <- documents <- resources <- entry
points), there is no cycle, the pure floors import no Pulumi or boto3, and jobctl stays light."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FLOORS = {"components.model": 1, "components.loading": 2, "components.documents": 3, "components.resources": 4}
ENTRY_POINTS = 5
# What each pure floor may not import at all.
FORBIDDEN = {
    1: ("pulumi", "pulumi_aws", "boto3"),
    2: ("pulumi", "pulumi_aws", "boto3"),
    3: ("pulumi", "pulumi_aws", "boto3"),
}


def _modules() -> dict[str, Path]:
    files = [*REPO.glob("components/**/*.py"), *REPO.glob("jobctl/**/*.py"), REPO / "plan.py", REPO / "__main__.py"]
    modules = {}
    for path in files:
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(path: Path) -> set[str]:
    """Every module named by an import statement, including imports inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _floor(module: str) -> int | None:
    for prefix, floor in FLOORS.items():
        if module == prefix or module.startswith(prefix + "."):
            return floor
    if module == "components":
        return 1  # the package itself only re-exports the model's Job, lazily
    return ENTRY_POINTS if module.startswith("jobctl") or module in ("plan", "__main__") else None


def test_imports_only_go_down_and_pure_floors_import_no_pulumi_or_boto3() -> None:
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        floor = _floor(module)
        assert floor is not None, module
        for imported in _imports(path):
            target = _floor(imported) if imported.split(".")[0] in ("components", "jobctl") else None
            if target is not None and target > floor:
                wrong.append(f"{module} (floor {floor}) imports {imported} (floor {target})")
            if imported.split(".")[0] in FORBIDDEN.get(floor, ()):
                wrong.append(f"{module} (floor {floor}) imports {imported}")
            if module.startswith("jobctl") and imported.startswith("components") and target != 1:
                wrong.append(f"{module} imports {imported}: jobctl may import only components.model")
    assert not wrong, "\n".join(wrong)


def test_there_is_no_import_cycle() -> None:
    modules = _modules()
    graph = {module: {i for i in _imports(path) if i in modules and i != module} for module, path in modules.items()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_a_change_to_a_floor_is_caught_by_this_test(tmp_path: Path) -> None:
    """The check above reads real import statements: an upward import in a model file is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from components.resources.shared import SharedInfra\nimport pulumi\n")
    imported = _imports(bad)
    assert {_floor(i) for i in imported if i.startswith("components")} == {4}
    assert "pulumi" in imported


def test_jobctl_loads_neither_pydantic_nor_the_schedule_engine() -> None:
    code = (
        "import sys, jobctl.cli; print(sorted(m for m in ('pydantic', 'aws_croniter', 'pulumi') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
