"""Offline plan: validate a stack's config and jobs, print what would run when, and write every state
machine definition and IAM policy to build/<stack>/ as sorted JSON, for review in pull requests.

    python plan.py [--stack dev] [--out build] [--account 123456789012] [--root .] [--now 2026-11-30T00:00Z]
    python plan.py --stack dev --job NAME     # one job's effective specification, and where each value came from
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from difflib import get_close_matches
from pathlib import Path
from typing import Any, TextIO

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError

from components.documents.deployer import deployer_policy_files
from components.documents.execution_roles import execution_role_changes, execution_roles
from components.documents.footprint import footprint, footprint_rows, footprint_warnings
from components.documents.limits import headroom_rows, stack_headroom
from components.documents.rendered import rendered_documents
from components.documents.security_controls import summary as security_summary
from components.documents.topic_key import topic_key_notes
from components.loading.discovery import find_jobs
from components.loading.effective_spec import effective_spec
from components.loading.iam_action_data import stack_permission_warnings
from components.loading.stack import load_stack
from components.model.arns import AwsEnv
from components.model.day_two import job_changes
from components.model.deadlines import (
    Deadline,
    deadline_origin,
    deadline_rule,
    deadline_summary,
    dst_notes,
    next_deadlines,
    yearly_skip_warning,
)
from components.model.duration import format_duration
from components.model.errors import InvalidSetup
from components.model.stack import Stack
from components.model.stack_identity import identity_warnings
from components.model.start_pileups import pileup_warnings
from components.model.text_table import text_table
from components.resources.upgrade_report import GRAPH_FILE, change_report, write_stack_graph

ROOT = Path(__file__).resolve().parent
# Pulumi reads stack files as YAML 1.2 (go-yaml v3): `yes` and `on` are strings, not booleans, and a key
# given twice is an error. ruamel.yaml reads YAML 1.2 the same way; PyYAML reads YAML 1.1.
_YAML = YAML(typ="safe", pure=True)
PLACEHOLDER_ACCOUNT = "123456789012"


def load(stack_name: str, root: Path = ROOT) -> Stack:
    """The validated stack, from Pulumi.yaml and Pulumi.<stack>.yaml as `pulumi up` would see them."""
    project = _read_yaml(root / "Pulumi.yaml").get("name")
    if not isinstance(project, str):
        raise InvalidSetup(["Pulumi.yaml: name: the project name is missing"])
    config_file = root / f"Pulumi.{stack_name}.yaml"
    if not config_file.is_file():
        raise InvalidSetup([f"{config_file.name}: no such stack file; create it (see Pulumi.dev.yaml)"])
    document = _read_yaml(config_file)
    values = document.get("config") or {}
    if not isinstance(values, dict):
        raise InvalidSetup(
            [f"{config_file.name}: config: should be a mapping of settings, e.g. `scheduled-jobs:image: app:1`"]
        )
    problems = _stack_file_problems(config_file.name, document, values)
    # Every other check still runs: all problems of all phases in one run. Settings written at the top level are
    # checked as the user meant them (under `config:`); an encrypted key is left out, so it is reported once, as
    # encrypted, not again as an invalid value.
    outside = {str(k): v for k, v in document.items() if k not in STACK_FILE_KEYS and ":" in str(k)}
    encrypted = {key for key, value in values.items() if _is_encrypted(value)}
    meant = {k: v for k, v in {**outside, **values}.items() if k not in encrypted}
    try:
        stack = load_stack(root / "jobs", meant, project, stack_name, config_file.name)
    except InvalidSetup as error:
        raise InvalidSetup(problems + [p for p in error.problems if not _about(p, encrypted)]) from None
    if problems:
        raise InvalidSetup(problems)
    return stack


def _is_encrypted(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _about(problem: str, keys: set[str]) -> bool:
    """Whether a problem is about one of these keys (missing because it was left out)."""
    return any(f" {key}:" in problem or f" {key} " in problem for key in keys)


# The top-level keys of a stack file (Pulumi docs, "Pulumi.<stack-name>.yaml" reference).
STACK_FILE_KEYS = ("config", "encryptionsalt", "encryptedkey", "secretsprovider", "environment")


def _stack_file_problems(name: str, document: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """Settings outside `config:`, and encrypted values, which plan.py cannot read offline."""
    problems = []
    outside = sorted(str(k) for k in document if k not in STACK_FILE_KEYS and ":" in str(k))
    if outside:
        shown = ", ".join(outside[:3]) + (f" and {len(outside) - 3} more" if len(outside) > 3 else "")
        problems.append(
            f"{name}: {shown}: written at the top level, where Pulumi does not read settings; "
            "indent them under `config:`"
        )
    encrypted = sorted(k for k, v in values.items() if _is_encrypted(v))
    problems.extend(
        f"{name}: {key}: is encrypted (secure:), and plan.py reads the stack file offline, without the "
        "stack's secrets provider; none of this project's settings is a secret, so set it in plain text "
        f"(`pulumi config set {key} VALUE`), or check this stack with `pulumi preview`"
        for key in encrypted
    )
    return problems


def _read_yaml(path: Path) -> dict[str, Any]:
    """The YAML file as a dict; a missing or malformed file is a setup problem, not a crash."""
    if not path.is_file():
        raise InvalidSetup([f"{path.name}: not found in {path.parent}"])
    try:
        data = _YAML.load(path.read_text())
    except DuplicateKeyError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else "?"
        key = str(error.problem).split('"')[1] if '"' in str(error.problem) else "a key"
        message = f"{path.name}:{line}: {key}: given a second time; Pulumi refuses a stack file with a repeated key"
        raise InvalidSetup([message + ": keep one"]) from None
    except YAMLError as error:
        raise InvalidSetup([f"{path.name}: not valid YAML: {' '.join(str(error).split())}"]) from None
    if data is not None and not isinstance(data, dict):
        raise InvalidSetup([f"{path.name}: should be a YAML mapping, not a {type(data).__name__}"])
    return data or {}


def table(stack: Stack, now: datetime) -> str:
    header = [
        "job",
        "schedule",
        "time zone",
        "next runs",
        "timeout",
        "retries",
        "concurrency",
        "enabled",
        "deadline",
    ]
    rows: list[list[str]] = []
    for job in stack.jobs:
        spec = job.spec
        schedule = spec.parsed_schedule
        if schedule is None:
            when, tz, runs = "manual only", "-", "-"
        else:
            when, tz = f"{schedule.describe()} [{schedule.shown()}]", spec.schedule_timezone
            if spec.jitter:
                when += f", starts up to {format_duration(spec.jitter)} late (jitter)"
            # A rate is deployed as its cron (components/model/rate_slots.py), so every job's runs are known.
            upcoming = schedule.next_runs(spec.schedule_timezone, 3, now)
            runs = ", ".join(run.strftime("%Y-%m-%d %H:%M") for run in upcoming) or "none: no runs to come"
        rows.append(
            [
                job.name,
                when,
                tz,
                runs,
                format_duration(spec.timeout),
                str(spec.retries.attempts),
                spec.concurrency,
                "yes" if spec.enabled else "no (schedule DISABLED)",
                deadline_summary(spec),
            ]
        )
    return text_table(header, rows, rule=True)


def deadlines(stack: Stack, now: datetime) -> list[str]:
    """Per scheduled, enabled job: its deadline rule in words, the deadlines of its next three slots, the
    slots DST skips or repeats in the coming year, and a warning for a run DST skips every year."""
    lines: list[str] = []
    for job in stack.jobs:
        spec = job.spec
        schedule = spec.parsed_schedule
        if not spec.enabled or schedule is None:
            continue
        lines.append(f"{job.name}: {deadline_rule(spec)}")
        origin = deadline_origin(spec)
        if origin is not None:
            lines.append(f"{job.name}: {origin}")
        upcoming = ", ".join(_deadline(d) for d in next_deadlines(spec, now))
        lines.append(f"{job.name}: deadlines {upcoming or 'none: the schedule has no more slots'}")
        lines.extend(f"{job.name}: {note}" for note in dst_notes(spec, now))
        warning = yearly_skip_warning(spec, now)
        if warning is not None:
            lines.append(f"warning: {job.source}: {warning}")
    return lines


def _deadline(deadline: Deadline) -> str:
    """E.g. "2026-12-01 08:08 (slot 06:00)": the slot's date only when it differs, seconds only when there are
    some, and the zone's abbreviations when DST changes the offset in between ("03:53:30 CET (slot 02:30 CEST)")."""
    slot, due = deadline.slot, deadline.deadline
    shifted = slot.utcoffset() != due.utcoffset()
    return f"{_clock(due, True, shifted)} (slot {_clock(slot, slot.date() != due.date(), shifted)})"


def _clock(moment: datetime, day: bool, zone: bool) -> str:
    text = moment.strftime(("%Y-%m-%d " if day else "") + ("%H:%M:%S" if moment.second else "%H:%M"))
    return f"{text} {moment:%Z}" if zone else text


def _moment(text: str) -> datetime:
    """An ISO 8601 time for --now; one without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time such as 2026-11-30T06:00Z") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Progress:
    """A progress line on a terminal, shown only once the work has taken `after` seconds: 500 jobs
    take about 1.5 s (docs/performance.md), so a normal plan prints none."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, after: float = 2.0) -> None:
        self.total, self.stream, self.after = total, stream, after
        self.started = time.monotonic()
        self.shown = False

    def step(self, done: int) -> None:
        if self.stream.isatty() and time.monotonic() - self.started >= self.after:
            self.stream.write(f"\rwriting documents: {done}/{self.total}")
            self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")


def write_documents(stack: Stack, out: Path, env: AwsEnv, progress: Progress | None = None) -> int:
    target = out / stack.stack
    if target.exists():
        shutil.rmtree(target)  # a removed job must disappear from the diff too
    documents = rendered_documents(stack, env)
    progress = progress or Progress(len(documents))
    for done, (relative, document) in enumerate(documents.items(), start=1):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        if done % 50 == 0 or done == len(documents):
            progress.step(done)
    progress.finish()
    return len(documents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--account", default=PLACEHOLDER_ACCOUNT, help="account id used in rendered ARNs")
    parser.add_argument("--partition", default="aws")
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder (Pulumi.yaml, jobs/)")
    parser.add_argument(
        "--now",
        type=_moment,
        default=None,
        help="plan as of this ISO 8601 time (default: now), for reproducible output",
    )
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        choices=["dlq-off"],
        help="go ahead with a change the plan asks you to confirm (docs/changing-a-deployed-stack.md)",
    )
    parser.add_argument(
        "--no-graph",
        action="store_true",
        help="skip the stack's resource graph and the change report against the previous plan (the program runs "
        "under mocks for it: about 25 s at 500 jobs); the upgrade check against the last release still runs",
    )
    parser.add_argument("--job", help="print this job's effective specification with where each value came from")
    args = parser.parse_args(argv)
    try:
        stack = load(args.stack, args.root)
    except InvalidSetup as problems:
        print(problems, file=sys.stderr)
        return 1
    if args.job is not None:
        return show_job(stack, args.job, args.root)
    now = args.now or datetime.now(UTC)
    print(
        f"stack {stack.stack}: {len(stack.jobs)} jobs, region {stack.config.region}, prefix {stack.config.name_prefix}"
    )
    for warning in stack_identity(stack, args.root):
        print(f"warning: {warning}")
    print(table(stack, now))
    for warning in pileup_warnings(stack.jobs, now):
        print(f"warning: {warning}")
    for line in stack_permission_warnings(stack):
        print(line)
    uses = footprint(stack, args.partition)
    print("\nfootprint against AWS's default quotas (this stack alone; other stacks in the account count too):")
    print(text_table(["what", "this stack", "default quota", "share", "source"], footprint_rows(uses), rule=True))
    for warning in footprint_warnings(uses):
        print(f"warning: {warning}")
    env = AwsEnv(args.partition, stack.config.region, args.account)
    found, too_large = stack_headroom(stack, env)
    print("\nheadroom: the largest document of each kind against AWS's size limit (components/documents/limits.py):")
    print(text_table(["document", "largest", "size", "used", "source"], headroom_rows(found), rule=True))
    if too_large:
        print(InvalidSetup(too_large), file=sys.stderr)
        return 1
    print("\n" + "\n".join(security_summary(stack)))
    notes = deadlines(stack, now)
    if notes:
        print("\ndeadlines (times in each job's time zone):")
        print("\n".join(notes))
    previous = args.out / stack.stack / "jobs"
    if previous.is_dir():
        before = {path.name for path in previous.iterdir() if path.is_dir()}
        former = {job.name: job.spec.former_names for job in stack.jobs if job.spec.former_names}
        changes = job_changes(before, {job.name for job in stack.jobs}, stack.config.name_prefix, former)
        policies = {path.name for path in (previous.parent / "shared").glob("execution-role*.policy.json")}
        changes += execution_role_changes(policies, execution_roles(stack, env), stack.config.name_prefix)
        if changes:
            print(f"\nchanges since the last plan in {previous.parent}/ (`pulumi preview` compares with AWS):")
            print("\n".join(changes))
    attached = {path.name for path in (args.out / stack.stack).glob("deployer*.policy.json")}
    count = write_documents(stack, args.out, env)
    print(f"\nwrote {count} documents to {args.out / stack.stack}/ (account {args.account} in ARNs)")
    config = stack.config
    for note in topic_key_notes(
        config.alarm_topic_arn, config.alarm_topic_kms_key_arn, config.encrypt_alarm_topic, config.name_prefix
    ):
        print(note)
    print(ci_roles_note(stack))
    deployer_note = deployer_policies_note(list(deployer_policy_files(config, env, stack.stack)), attached)
    if deployer_note:
        print(deployer_note)
    # The upgrade check and the change report (components/resources/upgrade_report.py), beside the documents.
    graph_path = args.out / f"{stack.stack}.{GRAPH_FILE}"
    values = _read_yaml(args.root / f"Pulumi.{stack.stack}.yaml").get("config") or {}
    report = change_report(args.root / "jobs", values, graph_path, now, frozenset(args.accept), not args.no_graph)
    print("\nupgrade check and change report (docs/changing-a-deployed-stack.md):")
    print("\n".join(report.lines))
    if report.refusals:
        print("\n".join(f"refused: {refusal}" for refusal in report.refusals), file=sys.stderr)
        return 1
    if report.graph is not None:
        write_stack_graph(report.graph, graph_path)  # the next plan compares with this one
    return 0


def stack_identity(stack: Stack, root: Path) -> list[str]:
    """Warnings for a stack file that names another stack (components/model/stack_identity.py), with the
    `namePrefix` of every other stack file of the project; one that cannot be read is its own stack's problem."""
    source = f"Pulumi.{stack.stack}.yaml"
    prefixes: dict[str, str] = {}
    overrides: dict[str, dict[str, Any]] = {}
    for path in sorted(root.glob("Pulumi.*.yaml")):
        try:
            values = _read_yaml(path).get("config") or {}
        except InvalidSetup:
            continue
        if not isinstance(values, dict):
            continue
        prefix, jobs = values.get(f"{stack.project}:namePrefix"), values.get(f"{stack.project}:jobs")
        if isinstance(prefix, str):
            prefixes[path.name] = prefix
        if isinstance(jobs, dict):
            overrides[path.name] = dict(jobs)
    prefixes.pop(source, None)
    own = overrides.pop(source, None)
    config = stack.config
    return identity_warnings(
        stack.stack, source, stack.project, config.name_prefix, dict(config.tags), prefixes, own, overrides
    )


def show_job(stack: Stack, name: str, root: Path) -> int:
    """`--job NAME`: the job as this stack deploys it, field by field, with each value's source."""
    job = next((j for j in stack.jobs if j.name == name), None)
    if job is None:
        known = [j.name for j in stack.jobs]
        guess = get_close_matches(name, known, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else f"jobs are: {', '.join(known[:10])}"
        print(f"--job: {name!r} is no job of stack {stack.stack}; {hint}", file=sys.stderr)
        return 2
    modules = {m.name: m.job for m in find_jobs(root / "jobs").modules}
    rows = effective_spec(job, modules.get(name, job.spec), stack.config, stack.project, f"Pulumi.{stack.stack}.yaml")
    print(f"job {job.name} in stack {stack.stack} ({job.source}); state machine {job.names.state_machine}")
    print(text_table(["field", "value", "from"], [[r.field, r.value, r.source] for r in rows], rule=True))
    return 0


def deployer_policies_note(files: list[str], before: set[str]) -> str | None:
    """With more than one deployer managed policy (deployer.py packs them within IAM's 6,144 characters): that every
    one is attached to the deploy role, and which ones the last plan did not write (attach them before `pulumi up`,
    or it is refused on what they allow)."""
    new = [name for name in files if before and name not in before]
    if len(files) < 2 and not new:
        return None
    text = f"deploy role: attach all {len(files)} managed policies written ({', '.join(files)}; docs/ci.md)"
    if new:
        text += f"; new since the last plan: {', '.join(new)}: attach before the `pulumi up` of this change"
    return text


def ci_roles_note(stack: Stack) -> str:
    """Which trust policies of the CI roles were written, or how to get them (docs/ci.md)."""
    repository = stack.config.github_repository
    if repository is None:
        return (
            "CI roles: no trust policies written; set scheduled-jobs:githubRepository to OWNER/REPO in "
            f"Pulumi.{stack.stack}.yaml to write deployer.trust.json and previewer.trust.json (docs/ci.md)"
        )
    return (
        f"CI roles: previewer.trust.json lets pull requests of {repository} assume the read-only preview role; "
        f"deployer.trust.json lets only jobs in its GitHub environment {stack.stack!r} assume the deploy role"
    )


if __name__ == "__main__":
    sys.exit(main())
