"""Every generated state machine definition, checked by asl-validator (npm) and statelint (PyPI).

Each tool is run once over all definitions (starting node per file would cost seconds); each definition
still gets its own test that shows that tool's message for it. Each tool is also shown to reject a
broken definition, so a green run means the tool looked."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.checked_documents import DEFINITIONS, REPO, broken_definition

ASL_VALIDATOR = REPO / "node_modules" / ".bin" / "asl-validator"

# --- the tools, run once ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolRun:
    returncode: int
    output: str
    files: dict[str, Path]  # document key -> file given to the tool


def _write(tmp: Path, documents: dict[str, dict[str, Any]]) -> dict[str, Path]:
    files = {}
    for key, document in documents.items():
        path = tmp / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2))
        files[key] = path
    return files


def _run(command: list[str]) -> tuple[int, str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def _asl_validator(files: Iterable[Path]) -> tuple[int, str]:
    if not ASL_VALIDATOR.exists():
        pytest.fail(f"{ASL_VALIDATOR} is missing: run `npm ci` in {REPO}")
    return _run([str(ASL_VALIDATOR), *(arg for f in files for arg in ("--json-path", str(f)))])


def _statelint(files: Iterable[Path]) -> tuple[int, str]:
    script = shutil.which("statelint") or shutil.which("statelint", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.fail("statelint is missing: run `pip install -e '.[test]'`")
    # --eval-jsonata: statelint also evaluates what it can of each {% ... %} with jsonata-python.
    return _run([script, "--eval-jsonata", *(str(f) for f in files)])


@pytest.fixture(scope="module")
def asl_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _write(
        tmp_path_factory.mktemp("asl"), {**DEFINITIONS, "broken/next-to-missing-state.asl.json": broken_definition()}
    )


@pytest.fixture(scope="module")
def asl_validator_run(asl_files: dict[str, Path]) -> ToolRun:
    returncode, output = _asl_validator(asl_files.values())
    return ToolRun(returncode, output, asl_files)


@pytest.fixture(scope="module")
def statelint_run(asl_files: dict[str, Path]) -> ToolRun:
    returncode, output = _statelint(asl_files.values())
    return ToolRun(returncode, output, asl_files)


def _asl_validator_says(run: ToolRun, key: str) -> str:
    """asl-validator's verdict on one file: its ✓ line, or its ✕ line and the errors after it."""
    path = re.escape(str(run.files[key]))
    match = re.search(
        rf'^(✓|✕) State machine definition "{path}" is (valid|invalid).*?(?=^[✓✕]|\Z)', run.output, re.M | re.S
    )
    assert match, f"asl-validator said nothing about {key}:\n{run.output}"
    return match.group(0).strip()


# What statelint 3.1 reports that AWS's own rules allow, each with the rule; every other line is a problem.
STATELINT_WRONG = {
    # "In JSONata states, you can alternatively specify a JSONata expression which must evaluate to an integer"
    # (Step Functions dev guide, "Wait workflow state", Seconds); statelint wants a literal integer.
    r'^ State Machine\.States\.\w+\.Seconds is "\{% .* %\}" but should be an Integer$': "JSONata Seconds",
    # "In JSONata states, you can specify a JSONata expression which results in a string that conforms to the
    # previous requirements" (same page, Timestamp).
    r'^ State Machine\.States\.\w+\.Timestamp is "\{% .* %\}" but should be an RFC3339 timestamp$': "JSONata Timestamp",
    # With --eval-jsonata statelint replaces a Condition by what it evaluates to, then wants a string: a
    # Condition that yields a boolean (as a Choice Rule's must: "Choice workflow state") is reported.
    r"^ State Machine\.States\.\w+\.Choices\[\d+\]\.Condition is (true|false) but should be a String$": "evaluated",
}


def _statelint_says(run: ToolRun, key: str) -> str:
    """statelint's problems with one file ("" if none): with several files it heads each file's list with
    the file name. Its count line and the findings in STATELINT_WRONG are left out."""
    lines = run.output.splitlines()
    path = str(run.files[key])
    if path not in lines:
        return ""
    start = lines.index(path) + 1
    end = next((i for i in range(start, len(lines)) if lines[i] in {str(p) for p in run.files.values()}), len(lines))
    found = [line for line in lines[start:end] if not any(re.match(rule, line) for rule in STATELINT_WRONG)]
    return "\n".join(line for line in found if not re.fullmatch(r"(One error|\d+ errors):", line))


@pytest.mark.parametrize("key", sorted(DEFINITIONS))
def test_definition_passes_asl_validator(asl_validator_run: ToolRun, key: str) -> None:
    verdict = _asl_validator_says(asl_validator_run, key)
    assert verdict.startswith("✓"), verdict


@pytest.mark.parametrize("key", sorted(DEFINITIONS))
def test_definition_passes_statelint(statelint_run: ToolRun, key: str) -> None:
    problems = _statelint_says(statelint_run, key)
    assert problems == "", problems


def test_asl_validator_rejects_a_next_to_a_missing_state(asl_validator_run: ToolRun) -> None:
    verdict = _asl_validator_says(asl_validator_run, "broken/next-to-missing-state.asl.json")
    assert verdict.startswith("✕") and "ClassifyAttemp" in verdict, verdict
    assert asl_validator_run.returncode == 1  # only the broken file fails: every other file is ✓ above


def test_statelint_rejects_a_next_to_a_missing_state(statelint_run: ToolRun) -> None:
    problems = _statelint_says(statelint_run, "broken/next-to-missing-state.asl.json")
    assert 'No state found named "ClassifyAttemp"' in problems, statelint_run.output
    assert statelint_run.returncode == 1


def test_asl_validator_rejects_broken_jsonata(tmp_path: Path) -> None:
    broken = copy.deepcopy(DEFINITIONS["edge/forbid-defaults/narrow.asl.json"])
    broken["States"]["ClassifyAttempt"]["Choices"][0]["Condition"] = "{% $outcome.exitCode = %}"
    returncode, output = _asl_validator(_write(tmp_path, {"broken.asl.json": broken}).values())
    assert returncode == 1 and "Condition" in output, output


def test_shipped_stack_renders_every_job_and_the_janitor() -> None:
    """So the parametrised checks above cannot pass by checking nothing."""
    shipped = sorted(key for key in DEFINITIONS if key.startswith("dev/"))
    jobs = sorted(path.stem.replace("_", "-") for path in (REPO / "jobs").glob("*.py") if not path.name.startswith("_"))
    assert shipped == [f"dev/jobs/{job}/state-machine.asl.json" for job in jobs] + [
        "dev/shared/lock-janitor.asl.json",
        "dev/shared/slot-watch.asl.json",
    ]
