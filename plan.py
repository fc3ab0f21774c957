"""Offline plan: validate a stack's config and jobs, print what would run when, and write every state
machine definition and IAM policy to build/<stack>/ as sorted JSON, for review in pull requests.

    python plan.py [--stack dev] [--out build] [--account 123456789012] [--root .] [--now 2026-11-30T00:00Z]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError

from components.documents.execution_roles import execution_role_changes, execution_roles
from components.documents.footprint import footprint, footprint_rows, footprint_warnings
from components.documents.limits import headroom_rows, stack_headroom
from components.documents.rendered import rendered_documents
from components.documents.security_controls import summary as security_summary
from components.documents.topic_key import topic_key_notes
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
    _check_stack_file(config_file.name, document, values, project)
    return load_stack(root / "jobs", values, project, stack_name, config_file.name)


# The top-level keys of a stack file (Pulumi docs, "Pulumi.<stack-name>.yaml" reference).
STACK_FILE_KEYS = ("config", "encryptionsalt", "encryptedkey", "secretsprovider", "environment")


def _check_stack_file(name: str, document: dict[str, Any], values: dict[str, Any], project: str) -> None:
    """Settings outside `config:`, and encrypted values, which plan.py cannot read offline."""
    outside = sorted(str(k) for k in document if k not in STACK_FILE_KEYS and ":" in str(k))
    if outside:
        shown = ", ".join(outside[:3]) + (f" and {len(outside) - 3} more" if len(outside) > 3 else "")
        raise InvalidSetup(
            [
                f"{name}: {shown}: written at the top level, where Pulumi does not read settings; "
                "indent them under `config:`"
            ]
        )
    encrypted = sorted(k for k, v in values.items() if isinstance(v, dict) and set(v) == {"secure"})
    if encrypted:
        raise InvalidSetup(
            [
                f"{name}: {key}: is encrypted (secure:), and plan.py reads the stack file offline, without the "
                "stack's secrets provider; none of this project's settings is a secret, so set it in plain text "
                f"(`pulumi config set {key} VALUE`), or check this stack with `pulumi preview`"
                for key in encrypted
            ]
        )


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
    args = parser.parse_args(argv)
    try:
        stack = load(args.stack, args.root)
    except InvalidSetup as problems:
        print(problems, file=sys.stderr)
        return 1
    now = args.now or datetime.now(UTC)
    print(
        f"stack {stack.stack}: {len(stack.jobs)} jobs, region {stack.config.region}, prefix {stack.config.name_prefix}"
    )
    print(table(stack, now))
    for warning in pileup_warnings(stack.jobs, now):
        print(f"warning: {warning}")
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
    count = write_documents(stack, args.out, env)
    print(f"\nwrote {count} documents to {args.out / stack.stack}/ (account {args.account} in ARNs)")
    config = stack.config
    for note in topic_key_notes(
        config.alarm_topic_arn, config.alarm_topic_kms_key_arn, config.encrypt_alarm_topic, config.name_prefix
    ):
        print(note)
    print(ci_roles_note(stack))
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
