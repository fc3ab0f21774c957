"""Find the job modules in `jobs/` and the one `Job` each defines; every problem names the file."""

from __future__ import annotations

import ast
import importlib.util
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from components.loading.messages import describe_validation_error
from components.model.errors import InvalidSetup
from components.model.spec import Job


@dataclass(frozen=True)
class JobModule:
    """A job as found: its name (resolved here, once), where it came from (for messages), its validated spec."""

    name: str
    source: str
    job: Job
    line: int | None = None  # where the spec is assigned, so later problems can point at it

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


def job_files(jobs_dir: Path) -> list[Path]:
    """Every `jobs/*.py` not starting with `_`, sorted, so the order never depends on the file system."""
    return sorted(p for p in jobs_dir.glob("*.py") if not p.name.startswith("_"))


def _subfolders_with_modules(jobs_dir: Path) -> list[str]:
    """Problems for folders in `jobs/` that hold Python files but would never be deployed: jobs live directly
    in `jobs/`; a helper folder starts with `_` (like a helper module)."""
    problems = []
    for folder in sorted(p for p in jobs_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        modules = sorted(p.relative_to(jobs_dir).as_posix() for p in folder.rglob("*.py"))
        if modules:
            shown = ", ".join(f"jobs/{m}" for m in modules[:3]) + (
                f" and {len(modules) - 3} more" if len(modules) > 3 else ""
            )
            problems.append(
                f"jobs/{folder.name}/: {shown}: job modules in a subfolder are never deployed; move each job to "
                f"jobs/ itself, or rename the folder to jobs/_{folder.name}/ if it holds helpers"
            )
    return problems


def discover_jobs(jobs_dir: Path) -> list[JobModule]:
    """Import every job module and return its spec; raise InvalidSetup listing every problem found.

    A module that fails is never skipped: a skipped job would be deleted by `pulumi up`."""
    found = find_jobs(jobs_dir)
    if found.problems:
        raise InvalidSetup(found.problems)
    return found.modules


@dataclass(frozen=True)
class FoundJobs:
    """What discovery found: the modules that loaded, every problem, and the modules that did not load (by the
    job name their file name gives), so the checks that depend on them can say they were skipped."""

    modules: list[JobModule]
    problems: list[str]
    unloaded: dict[str, str]  # job name -> "jobs/x.py"


def find_jobs(jobs_dir: Path) -> FoundJobs:
    """Import every job module; a problem in one never hides the others' (discover_jobs raises on any)."""
    try:
        return _find_jobs(jobs_dir)
    except InvalidSetup as error:
        return FoundJobs([], error.problems, {})


def _find_jobs(jobs_dir: Path) -> FoundJobs:
    if not jobs_dir.is_dir():
        raise InvalidSetup([f"{jobs_dir}: no jobs folder; create it and add a job module such as jobs/report.py"])
    files = job_files(jobs_dir)
    if not files:
        raise InvalidSetup(
            [
                f"{_shown(jobs_dir, jobs_dir)}/: no job modules found (files starting with '_' are helpers, not jobs); "
                "add one such as jobs/nightly_report.py with `job = Job(command=[...], timeout='30m')`"
            ]
        )
    root = str(jobs_dir.resolve().parent)
    if root not in sys.path:
        sys.path.insert(0, root)  # so job modules can import `components`
    _fresh_jobs_package(jobs_dir)
    problems: list[str] = _subfolders_with_modules(jobs_dir)
    found: list[JobModule] = []
    unloaded: dict[str, str] = {}
    for path in files:
        module, errors = _load(path)
        problems.extend(errors)
        if module is not None:
            found.append(module)
        else:
            unloaded[path.stem.replace("_", "-")] = _shown(path, jobs_dir)
    by_name: dict[str, list[str]] = {}
    for module in found:
        by_name.setdefault(module.name, []).append(module.where)
    for name, sources in by_name.items():
        if len(sources) > 1:
            problems.append(
                f"{' and '.join(sources)}: name: both modules are the job {name!r}; job names must be unique: "
                "rename one file or set name= in one of them"
            )
    return FoundJobs(found, problems, unloaded)


def _fresh_jobs_package(jobs_dir: Path) -> None:
    """Make `jobs` this folder's package, so `from jobs._helpers import X` finds this folder's helpers
    and never ones cached from another folder imported earlier in the same process (as tests do)."""
    for name in [n for n in sys.modules if n == "jobs" or n.startswith("jobs.")]:
        del sys.modules[name]
    package = types.ModuleType("jobs", "Job modules; files starting with '_' are helpers.")
    package.__path__ = [str(jobs_dir.resolve())]
    sys.modules["jobs"] = package


def _shown(path: Path, jobs_dir: Path) -> str:
    """`path` as seen from the project root ("jobs/x.py"), whatever the working directory: the same
    text from `pulumi up` and from plan.py. A symbolic link is named by its own path, not its target's."""
    project = jobs_dir.absolute().parent
    if path.absolute().is_relative_to(project):
        return path.absolute().relative_to(project).as_posix()
    if path.resolve().is_relative_to(project.resolve()):
        return path.resolve().relative_to(project.resolve()).as_posix()
    return str(path)


def _load(path: Path) -> tuple[JobModule | None, list[str]]:
    source = _shown(path, path.parent)
    spec = importlib.util.spec_from_file_location(f"jobs.{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    argv = sys.argv
    # A module that parses arguments at import sees only its own path, never plan.py's or Pulumi's.
    sys.argv = [str(path)]
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        # The error may be in a helper the module imports: name the file it is in.
        where = _shown(Path(error.filename), path.parent) if error.filename else source
        return None, [f"{where}:{error.lineno}: syntax error: {error.msg}"]
    except SystemExit as error:
        return None, [
            f"{source}{_line_in(error, path)}: exited while being imported (SystemExit: {error.code}); a job module "
            "only defines its job: move sys.exit() and argument parsing into the command the job runs"
        ]
    except ValidationError as error:
        line = _line_in(error, path)
        return None, describe_validation_error(error, f"{source}{line}", model=Job)
    except ImportError as error:
        return None, [f"{source}{_line_in(error, path)}: cannot import: {error}"]
    except Exception as error:  # a job module is user code: report whatever it raised, with where
        where = f"{source}{_line_in(error, path)}{_raised_in_helper(error, path)}"
        return None, [f"{where}: raised {type(error).__name__} while importing: {error}"]
    finally:
        sys.argv = argv
    specs = _jobs_of(module, path)
    if not specs:
        wrong = vars(module).get("job")
        if wrong is not None:
            kind = "the Job class itself (not called)" if wrong is Job else f"a {type(wrong).__name__}"
            return None, [
                f"{source}{_assigned_line(path, 'job')}: job: is {kind}, not a components.Job; "
                "write `job = Job(command=[...], timeout='30m')`"
            ]
        return None, [
            f"{source}: no job defined; add `job = Job(command=[...], timeout='30m')` (from components import Job)"
        ]
    if len(specs) > 1:
        return None, [
            f"{source}: defines {len(specs)} jobs ({', '.join(sorted(specs))}); one module holds one job: "
            "move the others to files of their own"
        ]
    variable, job = next(iter(specs.items()))
    line = _assigned_line(path, variable)
    name = job.name
    if name is None:
        name = path.stem.replace("_", "-")
        try:
            job = Job.model_validate({**job.model_dump(exclude_unset=True), "name": name})
        except ValidationError as error:
            return None, [
                f"{source}{line}: name: the file name gives the job name {name!r}, which is not valid "
                f"({error.errors()[0]['msg'].removeprefix('Value error, ')}); rename the file or set name="
            ]
    return JobModule(name=name, source=source, job=job, line=int(line[1:]) if line else None), []


def _jobs_of(module: types.ModuleType, path: Path) -> dict[str, Job]:
    """The module's Jobs by variable: those it assigns itself; a Job it only imports (a template from a
    helper) counts only when the module assigns none."""
    found = {name: value for name, value in vars(module).items() if isinstance(value, Job)}
    assigned = {name: job for name, job in found.items() if _assigned_line(path, name)}
    return assigned or found


def _assigned_line(path: Path, variable: str) -> str:
    """ ":N" for the last top-level `variable = ...` in the module, or "" if it is not assigned plainly."""
    lines = [
        node.lineno
        # Bytes, so the source is decoded as Python decodes it (a byte-order mark, a coding declaration).
        for node in ast.parse(path.read_bytes()).body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id == variable
    ]
    return f":{lines[-1]}" if lines else ""


def _raised_in_helper(error: BaseException, path: Path) -> str:
    """ " (in jobs/_helpers.py:N)" when the deepest project frame of the traceback is a helper, not the module."""
    jobs_dir = path.parent.resolve()
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if Path(f.filename).resolve().is_relative_to(jobs_dir) and Path(f.filename).resolve() != path.resolve()
    ]
    return f" (in {_shown(Path(frames[-1].filename), path.parent)}:{frames[-1].lineno})" if frames else ""


def _line_in(error: BaseException, path: Path) -> str:
    """ ":N" for the deepest line of the job module in the traceback, so the message points at it."""
    resolved = str(path.resolve())
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if str(Path(f.filename).resolve()) == resolved]
    return f":{lines[-1]}" if lines else ""
