"""Find the job modules in `jobs/` and the one `Job` each defines; every problem names the file."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from components.errors import InvalidSetup, describe_validation_error
from components.spec import Job


@dataclass(frozen=True)
class JobModule:
    """A job as found: where it came from (for messages) and its validated spec, name filled in."""

    source: str
    job: Job

    @property
    def name(self) -> str:
        assert self.job.name is not None
        return self.job.name


def job_files(jobs_dir: Path) -> list[Path]:
    """Every `jobs/*.py` not starting with `_`, sorted, so the order never depends on the file system."""
    return sorted(p for p in jobs_dir.glob("*.py") if not p.name.startswith("_"))


def discover_jobs(jobs_dir: Path) -> list[JobModule]:
    """Import every job module and return its spec; raise InvalidSetup listing every problem found.

    A module that fails is never skipped: a skipped job would be deleted by `pulumi up`."""
    if not jobs_dir.is_dir():
        raise InvalidSetup([f"{jobs_dir}: no jobs folder; create it and add a job module such as jobs/nightly_report.py"])
    files = job_files(jobs_dir)
    if not files:
        raise InvalidSetup([
            f"{_shown(jobs_dir)}/: no job modules found (files starting with '_' are helpers, not jobs); "
            "add one such as jobs/nightly_report.py with `job = Job(command=[...], timeout='30m')`"
        ])
    root = str(jobs_dir.resolve().parent)
    if root not in sys.path:
        sys.path.insert(0, root)  # so job modules can import `components` and `jobs._helpers`
    problems: list[str] = []
    found: list[JobModule] = []
    for path in files:
        module, errors = _load(path)
        problems.extend(errors)
        if module is not None:
            found.append(module)
    by_name: dict[str, list[str]] = {}
    for module in found:
        by_name.setdefault(module.name, []).append(module.source)
    for name, sources in by_name.items():
        if len(sources) > 1:
            problems.append(f"{' and '.join(sources)}: name: job name {name!r} is used by more than one module")
    if problems:
        raise InvalidSetup(problems)
    return found


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load(path: Path) -> tuple[JobModule | None, list[str]]:
    source = _shown(path)
    spec = importlib.util.spec_from_file_location(f"jobs.{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        return None, [f"{source}:{error.lineno}: syntax error: {error.msg}"]
    except ValidationError as error:
        line = _line_in(error, path)
        return None, describe_validation_error(error, f"{source}{line}")
    except ImportError as error:
        return None, [f"{source}{_line_in(error, path)}: cannot import: {error}"]
    except Exception as error:  # a job module is user code: report whatever it raised, with where
        return None, [f"{source}{_line_in(error, path)}: raised {type(error).__name__} while importing: {error}"]
    specs = {name: value for name, value in vars(module).items() if isinstance(value, Job)}
    if not specs:
        wrong = vars(module).get("job")
        if wrong is not None:
            return None, [
                f"{source}: job: is a {type(wrong).__name__}, not a components.Job; "
                "write `job = Job(command=[...], timeout='30m')`"
            ]
        return None, [f"{source}: no job defined; add `job = Job(command=[...], timeout='30m')` (from components import Job)"]
    if len(specs) > 1:
        return None, [f"{source}: defines {len(specs)} jobs ({', '.join(sorted(specs))}); one module holds one job"]
    job = next(iter(specs.values()))
    if job.name is None:
        default = path.stem.replace("_", "-")
        try:
            job = Job.model_validate({**job.model_dump(exclude_unset=True), "name": default})
        except ValidationError as error:
            return None, [
                f"{source}: name: the file name gives the job name {default!r}, which is not valid "
                f"({error.errors()[0]['msg'].removeprefix('Value error, ')}); rename the file or set name="
            ]
    return JobModule(source=source, job=job), []


def _line_in(error: BaseException, path: Path) -> str:
    """":N" for the deepest line of the job module in the traceback, so the message points at it."""
    resolved = str(path.resolve())
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if str(Path(f.filename).resolve()) == resolved]
    return f":{lines[-1]}" if lines else ""
