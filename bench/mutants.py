"""Can the tests fail? Put one realistic bug at a time into the code and run the tests that should catch it.

    python bench/mutants.py              # every mutant, 2 at a time; prints the kill rate and the survivors
    python bench/mutants.py --only lock  # the mutants whose name contains "lock"
    python bench/mutants.py --list       # the catalogue, checked: each `old` text occurs exactly once

Each mutant is one plausible slip (a condition clause dropped, a margin set to zero, a check loosened, a
Catch removed, ...) in the documents, model, loading or plan code. Every mutant runs in its own copy of the
working tree (tracked files, with `.venv` and `node_modules` linked), with `pytest -x` over the test folders
from fastest to slowest, and counts as killed when a test fails. Exit status 1 when any mutant survives or
when a mutant's `old` text no longer occurs exactly once (the catalogue went stale). Not part of `.ci/run`:
a whole run takes minutes (see docs/testing.md)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Fastest first: with -x, most mutants die in the first seconds.
TEST_ORDER = ("tests/unit", "tests/program", "tests/cli", "tests/validators", "tests/executed")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    why: str  # the bug it stands for


MUTANTS: tuple[Mutant, ...] = (
    # ---- jobctl: calls proportional to what is shown, never thrown away
    Mutant(
        "jobctl-status-describes-every-run",
        "jobctl/commands/status.py",
        "None if single else 1",
        "None",
        "status over 500 jobs describes all 2,500 runs shown again instead of each job's latest",
    ),
    Mutant(
        "jobctl-throttled-job-loses-everything",
        "jobctl/parallel.py",
        "result.problems.append(problem_of(str(key), error))",
        "raise",
        "one throttled job throws away every row that was read",
    ),
    Mutant(
        "jobctl-lock-table-scanned-by-1000",
        "jobctl/lock_table.py",
        "BATCH_KEYS = 100",
        "BATCH_KEYS = 1000",
        "BatchGetItem asked for more than its 100 keys (a ValidationException on AWS)",
    ),
    Mutant(
        "jobctl-single-job-lists-the-region",
        "jobctl/aws.py",
        "if self._listed is not None and job in self._listed:",
        "if job in self.machines():",
        "every single-job command lists the region's state machines again",
    ),
    Mutant(
        "jobctl-log-ends-on-empty-page",
        "jobctl/log_events.py",
        'at_end = page["nextForwardToken"] == token',
        'at_end = not page["events"] or page["nextForwardToken"] == token',
        "an empty GetLogEvents page before the end cuts the log short",
    ),
    Mutant(
        "jobctl-no-retries",
        "jobctl/session.py",
        '"total_max_attempts": MAX_ATTEMPTS',
        '"total_max_attempts": 1',
        "a call throttled once is not retried",
    ),
    Mutant(
        "jobctl-unlock-asks-nobody",
        "jobctl/commands/common.py",
        "if not output.stdin_is_terminal():",
        "if False:",
        "unlock off a terminal waits on a prompt nobody can answer (or crashes on EOF)",
    ),
    # ---- a slot runs once
    Mutant(
        "slot-claim-unconditional",
        "components/documents/slot_claims.py",
        'f"attribute_not_exists({LOCK_KEY}) OR {LOCK_HOLDER} = :me OR {ITEM_EXPIRES_AT} < :now"',
        'f"attribute_not_exists({LOCK_KEY}) OR {LOCK_KEY} = {LOCK_KEY}"',
        "a second delivery of a slot claims it again and runs the job twice",
    ),
    Mutant(
        "slot-claim-not-ours-on-retry",
        "components/documents/slot_claims.py",
        'f"attribute_not_exists({LOCK_KEY}) OR {LOCK_HOLDER} = :me OR {ITEM_EXPIRES_AT} < :now"',
        'f"attribute_not_exists({LOCK_KEY}) OR {ITEM_EXPIRES_AT} < :now"',
        "a claim DynamoDB applied but answered with a 5xx skips the slot's only run",
    ),
    Mutant(
        "shared-role-passes-any-role",
        "components/documents/run_task.py",
        'target.env.role_arn(f"{target.prefix}-*-task")',
        'target.env.role_arn(f"{target.prefix}-*")',
        "the job state machines' shared role may pass any of the stack's roles (the scheduler's) to a task",
    ),
    Mutant(
        "jitter-not-in-late-alert",
        "components/model/deadlines.py",
        "return None if job.late_after is None else (job.jitter or 0) + job.late_after",
        "return job.late_after",
        "a jittered run that starts within its window pages as late",
    ),
    # ---- CI: a pull request previews but never deploys
    Mutant(
        "ci-preview-on-the-deploy-role",
        ".github/workflows/jobs.yml",
        "role-to-assume: ${{ vars.AWS_PREVIEW_ROLE_ARN }}",
        "role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "a pull request's preview assumes the role that may change production",
    ),
    Mutant(
        "ci-preview-for-forks",
        ".github/workflows/jobs.yml",
        "    needs: [stacks, test]\n    if: github.event_name == 'pull_request' && "
        "github.event.pull_request.head.repo.full_name == github.repository",
        "    needs: [stacks, test]\n    if: github.event_name == 'pull_request'",
        "a fork's pull request fails red for want of secrets instead of getting a note",
    ),
    Mutant(
        "ci-plan-summary-left-open",
        ".github/workflows/jobs.yml",
        'output="$(bash .ci/plan-report "${stack}" .base 2>&1)" || status=1',
        'output="$(bash .ci/plan-report "${stack}" .base 2>&1)"',
        "a failed plan stops the step before its summary block is closed, and the error is not in it",
    ),
    Mutant(
        "redrive-runs-the-task",
        "components/documents/redrive.py",
        'return f"{{% {REDRIVEN} ? $error({refused}) : {expression} %}}"',
        'return f"{{% {expression} %}}"',
        "a redriven execution (the console's Redrive) runs the task again, past the slot's claim and the lock",
    ),
    Mutant(
        "ci-deploy-trust-any-subject",
        "components/documents/ci_identities.py",
        "return github_trust(env, environment_subject(repository, stack))",
        'return github_trust(env, f"repo:{repository}:*")',
        "the deploy role trusts every workflow of the repository, pull requests included",
    ),
    Mutant(
        "ci-preview-policy-puts",
        "components/documents/ci_identities.py",
        'READ_VERBS = ("Describe", "Get", "List")',
        'READ_VERBS = ("Describe", "Get", "List", "Put")',
        "the read-only role may put role policies, rules and alarms",
    ),
    Mutant(
        "ci-repository-prefix-match",
        "components/model/config.py",
        "GITHUB_REPOSITORY.fullmatch(value)",
        "GITHUB_REPOSITORY.match(value)",
        "`octo-org/jobs:*` is accepted and the trust policy's subject carries a wildcard-looking suffix",
    ),
    # ---- the lock
    Mutant(
        "lock-expiry-ignored",
        "components/documents/lock_states.py",
        'f"attribute_not_exists({LOCK_HOLDER}) OR {LOCK_EXPIRES_AT} < :now OR {LEGACY_LOCK_EXPIRES_AT} < :now "',
        'f"attribute_not_exists({LOCK_HOLDER}) "',
        "an expired lock is never taken over: a crashed run blocks the job for ever",
    ),
    Mutant(
        "legacy-lock-expiry-ignored",
        "components/documents/lock_states.py",
        "OR {LEGACY_LOCK_EXPIRES_AT} < :now ",
        "",
        "a lock taken by the release before and never released blocks the job for ever after the upgrade",
    ),
    Mutant(
        "job-item-keeps-the-ttl-attribute",
        "components/documents/lock_states.py",
        'f"REMOVE {LEGACY_LOCK_EXPIRES_AT}"',
        'f""',
        "an item written by the release before keeps the table's TTL attribute: TTL deletes its pause",
    ),
    Mutant(
        "lock-not-ours-on-retry",
        "components/documents/lock_states.py",
        '    f"OR {LOCK_HOLDER} = :me"\n)',
        '    f""\n)',
        "a retried acquire that DynamoDB applied skips the run",
    ),
    Mutant(
        "lock-expiry-margin-zero",
        "components/model/timing.py",
        "LOCK_EXPIRY_MARGIN_SECONDS = 600",
        "LOCK_EXPIRY_MARGIN_SECONDS = 0",
        "the lock expires while ECS may still be stopping the task",
    ),
    Mutant(
        "lock-steps-margin-zero",
        "components/model/timing.py",
        "LOCK_STEPS_MARGIN_SECONDS = 300",
        "LOCK_STEPS_MARGIN_SECONDS = 0",
        "the execution timeout leaves no room for the lock steps",
    ),
    Mutant(
        "lock-expiry-from-one-attempt",
        "components/model/timing.py",
        "    return attempts * timeout + start_waits + job_waits + LOCK_STEPS_MARGIN_SECONDS",
        "    return timeout + start_waits + job_waits + LOCK_STEPS_MARGIN_SECONDS",
        "the execution timeout counts one attempt, so retries are cut off",
    ),
    Mutant(
        "held-lock-not-caught",
        "components/documents/lock_states.py",
        '        "Catch": [{"ErrorEquals": [DYNAMODB_CONDITION_FAILED], "Output": "{% $states.input %}", '
        '"Next": when_held}],\n',
        "",
        "a held lock fails the execution instead of skipping the run",
    ),
    # ---- running and classifying
    Mutant(
        "run-failure-not-caught",
        "components/documents/run_task.py",
        '        "Catch": [\n            {\n                "ErrorEquals": ["States.ALL"],',
        '        "Catch_": [\n            {\n                "ErrorEquals": ["States.ALL"],',
        "a failed task ends the execution with the lock held",
    ),
    Mutant(
        "timeout-retried",
        "components/documents/attempts.py",
        """{"Condition": f"{{% {_TIMEOUT} %}}", "Next": "RunFailed"},""",
        """{"Condition": f"{{% {_TIMEOUT} %}}", "Next": "WaitBeforeRetry"},""",
        "a timed-out run is run again",
    ),
    Mutant(
        "spot-interruption-is-success",
        "components/documents/attempts.py",
        "_SUCCESS = f\"$outcome.exitCode = 0 and $not($outcome.stopCode = '{STOP_CODE_SPOT_INTERRUPTION}')\"",
        '_SUCCESS = "$outcome.exitCode = 0"',
        "a task Spot took back (exit 0 after SIGTERM) counts as done",
    ),
    Mutant(
        "start-failure-unbounded",
        "components/documents/attempts.py",
        'f"{{% ({_NEVER_STARTED}) and $startRetries < {START_RETRY_ATTEMPTS} %}}"',
        'f"{{% ({_NEVER_STARTED}) %}}"',
        "a task that never starts is retried for ever",
    ),
    Mutant(
        "job-retry-off-by-one",
        "components/documents/attempts.py",
        "and $jobRetries < {job.retries.attempts} %}}",
        "and $jobRetries <= {job.retries.attempts} %}}",
        "one retry more than the job asked for",
    ),
    Mutant(
        "no-ecs-tag-grant",
        "components/documents/run_task.py",
        '            "Action": "ecs:TagResource",',
        '            "Action": "ecs:ListTagsForResource",',
        "RunTask with PropagateTags is denied",
    ),
    Mutant(
        "pass-role-unconditioned",
        "components/documents/run_task.py",
        '            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},\n',
        "",
        "the machine may pass the job's roles to any service",
    ),
    Mutant(
        "stop-timeout-short",
        "components/documents/containers.py",
        "STOP_TIMEOUT_SECONDS = 120",
        "STOP_TIMEOUT_SECONDS = 30",
        "a job gets 30 s instead of 120 s to finish after SIGTERM",
    ),
    # ---- alerts and deadlines
    Mutant(
        "alert-every-failure",
        "components/documents/job_state.py",
        'f"($n := $failuresBefore + 1; $n = {rule.after}{again} "',
        'f"($n := $failuresBefore + 1; $n >= {rule.after}{again} "',
        "a job that keeps failing pages on every run",
    ),
    Mutant(
        "alerted-at-kept-after-success",
        "components/documents/job_state.py",
        '    removed = ", ".join([*(LOCK_ATTRIBUTES if locked else ()), ALERTED_AT])',
        '    removed = ", ".join([*(LOCK_ATTRIBUTES if locked else ())])',
        "after a recovery the next failure is taken for a repeat and not alerted",
    ),
    Mutant(
        "deadline-without-grace",
        "components/model/deadlines.py",
        "DEADLINE_GRACE_SECONDS = 900",
        "DEADLINE_GRACE_SECONDS = 0",
        "a slot whose run just succeeded at the limit is reported missed",
    ),
    Mutant(
        "deadline-before-schedulers-retries",
        "components/model/deadlines.py",
        "default = max(job.execution_timeout, SCHEDULE_MAX_EVENT_AGE_SECONDS) + DEADLINE_GRACE_SECONDS",
        "default = job.execution_timeout + DEADLINE_GRACE_SECONDS",
        "a short job's slot is called missed while EventBridge Scheduler still retries its start",
    ),
    Mutant(
        "rate-kept-as-a-rate",
        "components/model/schedule.py",
        "        if self.rate_seconds is None or self.slots_known:",
        "        if True:",
        "a rate job's watch and job schedules start at their own creation: a false late alert every slot",
    ),
    Mutant(
        "rate-phase-ignores-the-name",
        "components/model/rate_slots.py",
        "digest = hashlib.sha256(key.encode()).digest()",
        'digest = hashlib.sha256(b"").digest()',
        "every job of one rate starts on the same minute: a pile-up at each slot",
    ),
    Mutant(
        "watch-claims-every-delivery",
        "components/documents/slot_watch.py",
        '"ConditionExpression": f"attribute_not_exists({LOCK_KEY}) OR {LOCK_HOLDER} = :me",',
        '"ConditionExpression": f"attribute_not_exists({LOCK_KEY}) OR {LOCK_KEY} = {LOCK_KEY}",',
        "a watch start delivered twice sends every alert of its slot twice",
    ),
    Mutant(
        "deadline-from-one-attempt",
        "components/model/deadlines.py",
        "default = max(job.execution_timeout, SCHEDULE_MAX_EVENT_AGE_SECONDS) + DEADLINE_GRACE_SECONDS",
        "default = max(job.timeout, SCHEDULE_MAX_EVENT_AGE_SECONDS) + DEADLINE_GRACE_SECONDS",
        "a run still retrying inside its budget is reported missed",
    ),
    Mutant(
        "janitor-blind-to-timeouts",
        "components/documents/lock_janitor.py",
        'ENDED_BADLY = ("FAILED", "TIMED_OUT", "ABORTED")',
        'ENDED_BADLY = ("FAILED", "ABORTED")',
        "a timed-out run keeps its lock until it expires and is never alerted",
    ),
    Mutant(
        "failed-slot-reported-missed",
        "components/documents/slot_watch.py",
        'f"({_field(LAST_SUCCEEDED_SLOT)} >= $slot or {_field(LAST_FAILED_SLOT)} >= $slot "',
        'f"({_field(LAST_SUCCEEDED_SLOT)} >= $slot "',
        "a slot whose run failed (and alerted) is reported missed as well: two pages for one failure",
    ),
    Mutant(
        "recovery-never-said",
        "components/documents/attempts.py",
        "and $alertedAt > 0 %}}",
        "and $alertedAt < 0 %}}",
        "the first success after an alerted failure sends no 'recovered'",
    ),
    Mutant(
        "janitor-takes-its-own-events",
        "components/documents/lock_janitor.py",
        """                f"and $not({_job_of(name_prefix)} in [{shared}]) %}}",""",
        """                "%}",""",
        "the janitor treats its own failure (and the slot watch's) as a job's, and can start itself again",
    ),
    Mutant(
        "secret-partial-arn-exact",
        "components/documents/policies.py",
        'secrets.add(arn if SECRET_SUFFIX.search(arn) else f"{arn}-??????")',
        "secrets.add(arn)",
        "a secret given without its random suffix cannot be read: every start fails",
    ),
    Mutant(
        "watch-schedule-always-enabled",
        "components/resources/scheduled_job.py",
        'state="ENABLED" if spec.enabled else "DISABLED",',
        'state="ENABLED" if spec.enabled or suffix == "watch" else "DISABLED",',
        "a disabled job's slots are still watched and reported missed",
    ),
    Mutant(
        "deployer-passrole-any-service",
        "components/documents/deployer.py",
        '    return _statement(sid, ["iam:PassRole"], roles, {"StringEquals": {"iam:PassedToService": service}})',
        '    return _statement(sid, ["iam:PassRole"], roles)',
        "the deployer may pass the stack's roles to any service",
    ),
    Mutant(
        "execution-trust-conditioned",
        "components/documents/policies.py",
        "def ecs_task_execution_trust() -> Document:",
        "def ecs_task_execution_trust(env: AwsEnv = AwsEnv('aws', 'eu-central-1', '123456789012')) -> Document:\n"
        "    return _trust('ecs-tasks.amazonaws.com', env, [env.arn('ecs', '*')])\n\n\ndef _unused() -> Document:",
        "the execution role's trust gets a source condition ECS does not send: no task can start",
    ),
    # ---- input checks
    Mutant(
        "secret-arn-prefix-only",
        "components/model/spec.py",
        "if not (SSM_PARAMETER_ARN.fullmatch(ref) or SECRETS_MANAGER_ARN.fullmatch(ref)):",
        "if not (SSM_PARAMETER_ARN.match(ref) or SECRETS_MANAGER_ARN.match(ref)):",
        "a secret ARN with text after it slips through",
    ),
    Mutant(
        "ssm-name-prefix-only",
        "components/model/spec.py",
        "elif not SSM_PARAMETER_NAME.fullmatch(ref):",
        "elif not SSM_PARAMETER_NAME.match(ref):",
        "a parameter name with a space or a pasted secret after it slips through",
    ),
    Mutant(
        "config-pattern-prefix-only",
        "components/model/config.py",
        "        if not pattern.fullmatch(value):",
        "        if not pattern.match(value):",
        "a subnet, security group, cluster or topic with text after it slips through",
    ),
    Mutant(
        "arn-region-unchecked",
        "components/model/config.py",
        '            if arn is not None and arn.split(":")[3] != self.region:',
        '            if arn is not None and arn.split(":")[3] != self.region and key == "clusterArn":',
        "an alarm topic in another region passes (Step Functions publishes in its own region)",
    ),
    Mutant(
        "job-name-prefix-only",
        "components/model/spec.py",
        "if name is not None and not JOB_NAME.fullmatch(name):",
        "if name is not None and not JOB_NAME.match(name):",
        "a job name with upper case or dots after a valid start slips through",
    ),
    Mutant(
        "zero-duration-allowed",
        "components/model/duration.py",
        "    if seconds <= 0:",
        "    if seconds < 0:",
        "a timeout of 0s is accepted",
    ),
    Mutant(
        "rate-zero-allowed",
        "components/model/schedule.py",
        "if not count_text.isdigit() or int(count_text) <= 0:",
        "if not count_text.isdigit():",
        "rate(0 minutes) is accepted",
    ),
    Mutant(
        "fargate-memory-unchecked",
        "components/model/spec.py",
        "        if self.memory not in allowed:",
        "        if self.memory not in allowed and self.memory > 30720:",
        "a cpu/memory pair Fargate refuses is accepted",
    ),
    Mutant(
        "name-limit-unchecked",
        "components/model/naming.py",
        "            if kind and len(value) > NAME_LIMITS[kind]:",
        "            if kind and len(value) > NAME_LIMITS[kind] + 20:",
        "a name AWS refuses at deploy time passes the plan",
    ),
    Mutant(
        "env-name-prefix-only",
        "components/model/spec.py",
        "    if not ENV_NAME.fullmatch(key):",
        "    if not ENV_NAME.match(key):",
        "an environment variable name with a dash slips through",
    ),
    Mutant(
        "region-pattern-only",
        "components/model/config.py",
        "        if known and value not in known:",
        "        if not known and value not in known:",
        "a misspelt region (eu-centrl-1) passes the plan and fails at deploy",
    ),
    Mutant(
        "image-unchecked",
        "components/model/image.py",
        "    if problem is None and not REFERENCE.fullmatch(value):",
        "    problem = None\n    if problem is None and not REFERENCE.match(value):",
        "an image reference ECS cannot pull (App:1.0, app:) passes",
    ),
    Mutant(
        "aws-tag-prefix-allowed",
        "components/model/tags.py",
        "        if key.lower().startswith(RESERVED_TAG_PREFIX):",
        "        if key.startswith(RESERVED_TAG_PREFIX):",
        "a tag key 'AWS:team' passes the plan; AWS refuses it in any case",
    ),
    Mutant(
        "merged-tags-uncounted",
        "components/model/tags.py",
        "    if len(tags) <= MAX_TAGS_PER_RESOURCE:",
        "    if len(tags) <= MAX_TAGS_PER_RESOURCE + 5:",
        "51 tags once stack, job and ours are merged pass the plan",
    ),
    Mutant(
        "task-size-unchecked",
        "components/model/task_size.py",
        "    if total <= TASK_DEFINITION_MAX_BYTES:",
        "    if total <= TASK_DEFINITION_MAX_BYTES * 2:",
        "a task definition ECS refuses (over 64 KiB) passes the plan",
    ),
    # ---- finding job modules and reading the stack file
    Mutant(
        "subfolder-skipped",
        "components/loading/discovery.py",
        "    problems: list[str] = _subfolders_with_modules(jobs_dir)",
        "    problems: list[str] = []",
        "a job in jobs/reports/ is silently never deployed",
    ),
    Mutant(
        "exit-at-import-escapes",
        "components/loading/discovery.py",
        "    except SystemExit as error:",
        "    except KeyboardInterrupt as error:",
        "a module calling sys.exit() at import ends the plan with status 0 and no word",
    ),
    Mutant(
        "template-counted-as-job",
        "components/loading/discovery.py",
        "    return assigned or found",
        "    return found",
        "a Job template imported from a helper counts as a second job",
    ),
    Mutant(
        "module-read-as-utf8",
        "components/loading/discovery.py",
        "        for node in ast.parse(path.read_bytes()).body",
        "        for node in ast.parse(path.read_text(encoding='utf-8')).body",
        "a latin-1 module crashes the plan",
    ),
    Mutant(
        "stack-file-read-as-yaml-1-1",
        "plan.py",
        "        data = _YAML.load(path.read_text())",
        "        data = __import__('yaml').safe_load(path.read_text())",
        "`assignPublicIp: yes` is true to the plan and a string to Pulumi",
    ),
    # ---- what plan writes
    Mutant(
        "plan-json-unsorted",
        "plan.py",
        "json.dumps(document, indent=2, sort_keys=True)",
        "json.dumps(document, indent=2)",
        "a rendered document's bytes change with dict order: noisy pull-request diffs",
    ),
    Mutant(
        "plan-json-no-newline",
        "plan.py",
        'json.dumps(document, indent=2, sort_keys=True) + "\\n"',
        "json.dumps(document, indent=2, sort_keys=True)",
        "rendered files lose their final newline",
    ),
)


def _check(mutants: tuple[Mutant, ...]) -> list[str]:
    """Stale entries: a mutant whose `old` text does not occur exactly once, or that changes nothing."""
    problems = []
    for mutant in mutants:
        count = (REPO / mutant.path).read_text().count(mutant.old)
        if count != 1 or mutant.old == mutant.new:
            problems.append(f"{mutant.name}: `old` occurs {count} times in {mutant.path}")
    return problems


def _workspace(root: Path) -> Path:
    """A copy of the tracked files, with the environment and node_modules linked, not copied."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    for linked in (".venv", "node_modules"):
        if (REPO / linked).exists():
            (root / linked).symlink_to(REPO / linked)
    return root


def _run(mutant: Mutant, root: Path) -> tuple[bool, str, float]:
    """(killed, the first failing test or '', seconds)."""
    target = root / mutant.path
    original = target.read_text()
    target.write_text(original.replace(mutant.old, mutant.new, 1))
    start = time.perf_counter()
    try:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        done = subprocess.run([*command, *TEST_ORDER], cwd=root, capture_output=True, text=True, env=env, check=False)
    finally:
        target.write_text(original)
    lines = done.stdout.splitlines()
    failed = [line.removeprefix("FAILED ").split(" - ")[0] for line in lines if line.startswith("FAILED ")]
    first = failed[0] if failed else ("" if done.returncode == 0 else f"pytest exit {done.returncode}")
    return done.returncode != 0, first, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="run the mutants whose name contains this")
    parser.add_argument("--list", action="store_true", help="list and check the catalogue, run nothing")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from components.model.text_table import text_table

    chosen = tuple(m for m in MUTANTS if args.only in m.name)
    stale = _check(chosen)
    if args.list or stale:
        print(text_table(["mutant", "file", "the bug"], [[m.name, m.path, m.why] for m in chosen]))
        print("\n".join(stale) or f"{len(chosen)} mutants, each applies once")
        return 1 if stale else 0

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        roots = [_workspace(Path(tmp) / f"w{i}") for i in range(max(1, args.workers))]
        free = list(roots)

        def one(mutant: Mutant) -> tuple[Mutant, tuple[bool, str, float]]:
            root = free.pop()
            try:
                return mutant, _run(mutant, root)
            finally:
                free.append(root)

        with ThreadPoolExecutor(len(roots)) as pool:
            results = list(pool.map(one, chosen))
    rows = [
        [m.name, "killed" if killed else "SURVIVED", f"{seconds:.0f}s", first or m.why]
        for m, (killed, first, seconds) in results
    ]
    print(text_table(["mutant", "result", "time", "caught by (or, if it survived, the bug)"], rows))
    killed = sum(1 for _, (k, _, _) in results if k)
    print(f"\n{killed} of {len(results)} killed ({killed / len(results):.0%}) in {time.perf_counter() - start:.0f}s")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
