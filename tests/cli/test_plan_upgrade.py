"""The plan's change report: each day-two change made as a user makes it (the stack file or a job module edited
between two plans), classified by the upgrade check and said in words, with a non-zero exit where the change
cannot succeed or needs a confirmation first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import plan
from tests.support.pulumi_mocks import BASE_CONFIG

CRON_JOB = (
    "from components import Job\n\n"
    'job = Job(schedule="cron(0 6 * * ? *)", timezone="Europe/Berlin", command=["x"], timeout="30m")\n'
)
NOW = "2026-11-30T00:00Z"


class Stack:
    """A project folder whose stack file and jobs a test edits between two plans."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.out, self.capsys = tmp_path / "project", tmp_path / "build", capsys
        (self.root / "jobs").mkdir(parents=True)
        (self.root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
        self.config: dict[str, Any] = {**BASE_CONFIG, "scheduled-jobs:logRetentionDays": 14}
        self.write_config()
        (self.root / "jobs" / "report.py").write_text(CRON_JOB)

    def write_config(self) -> None:
        (self.root / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": self.config}))

    def plan(self, *extra: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = plan.main(["--stack", "test", "--root", str(self.root), "--out", str(self.out), "--now", NOW, *extra])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Stack:
    deployed = Stack(tmp_path, capsys)
    code, out, _ = deployed.plan()
    assert code == 0
    assert "resources against the last plan's graph" not in out  # nothing to compare with yet
    assert "upgrade check against release" in out and ": safe: " in out
    return deployed


def test_the_same_stack_planned_again_reports_no_change(stack: Stack) -> None:
    code, out, _ = stack.plan()
    assert code == 0 and "resources against the last plan's graph" not in out


def test_a_prefix_change_is_refused_because_the_lock_table_is_protected(stack: Stack) -> None:
    stack.config["scheduled-jobs:namePrefix"] = "other"
    stack.write_config()
    code, out, err = stack.plan()
    assert code == 1
    assert "replace: Table shared-locks (name changed: ForceNew in hashicorp/terraform-provider-aws" in out
    assert "namePrefix changed (lock table test-job-locks -> other-job-locks)" in out
    assert "the lock table is protected, so `pulumi preview` fails and nothing is changed" in out
    assert "refused: namePrefix changed" in err
    code, out, _ = stack.plan()  # refused: the graph of the deployed prefix stays the one to compare with
    assert code == 1


def test_dlq_off_forgets_the_queue_deletes_its_alarm_and_waits_for_a_confirmation(stack: Stack) -> None:
    stack.config["scheduled-jobs:scheduleDeadLetterQueue"] = False
    stack.write_config()
    code, out, err = stack.plan()
    assert code == 1
    assert "forget: Queue shared-schedule-dlq (retain_on_delete: leaves the stack, stays in AWS)" in out
    assert "delete: MetricAlarm shared-schedule-dlq-alarm" in out
    assert "dead-letter queue shared-schedule-dlq leaves the stack, kept in AWS with its messages" in out
    assert "alarm shared-schedule-dlq-alarm is deleted: nothing watches what it watched" in out
    assert "run `jobctl dlq list`" in err and "--accept dlq-off" in err
    code, _, _ = stack.plan("--accept", "dlq-off")
    assert code == 0


def test_retention_shortened_says_cloudwatch_deletes_the_older_events(stack: Stack) -> None:
    stack.config["scheduled-jobs:logRetentionDays"] = 7
    stack.write_config()
    code, out, _ = stack.plan()
    assert code == 0
    assert "update: LogGroup report-logs (retentionInDays)" in out
    assert "log group /scheduled-jobs/test/report: retention 14 -> 7 days: CloudWatch Logs deletes the events" in out


def test_cron_to_rate_shows_the_next_runs_before_and_after(stack: Stack) -> None:
    (stack.root / "jobs" / "report.py").write_text(CRON_JOB.replace("cron(0 6 * * ? *)", "rate(6 hours)"))
    code, out, _ = stack.plan()
    assert code == 0
    # A rate is deployed as the cron of its interval in UTC at its name's phase (components/model/rate_slots.py),
    # so the runs after the change are known before it, not "from the moment Scheduler applies it".
    assert "update: Schedule report-schedule (scheduleExpression, scheduleExpressionTimezone)" in out
    assert (
        "job report: schedule cron(0 6 * * ? *) (Europe/Berlin) -> cron(4 4/6 * * ? *) (UTC): next runs before "
        "2026-11-30 06:00, 2026-12-01 06:00, 2026-12-02 06:00; after 2026-11-30 04:04, 2026-11-30 10:04, "
        "2026-11-30 16:04; a run in flight finishes on the old definition"
    ) in out


def test_permissions_added_make_a_task_role_and_a_new_revision_safe_for_a_run_in_flight(stack: Stack) -> None:
    granted = CRON_JOB.replace(
        'timeout="30m"', 'timeout="30m", permissions=[{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::b/*"]}]'
    )
    (stack.root / "jobs" / "report.py").write_text(granted)
    code, out, _ = stack.plan()
    assert code == 0
    assert "create: Role report-task-role" in out
    assert "replace: TaskDefinition report-task (taskRoleArn changed" in out
    assert "job report gets its own task role test-report-task (permissions added)" in out
    assert "task definition test-report: a new revision with a task role (taskRoleArn)" in out
    assert "UNSAFE" not in out


def test_permissions_removed_delete_the_task_role_a_running_task_holds(stack: Stack) -> None:
    granted = CRON_JOB.replace(
        'timeout="30m"', 'timeout="30m", permissions=[{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::b/*"]}]'
    )
    (stack.root / "jobs" / "report.py").write_text(granted)
    assert stack.plan()[0] == 0
    (stack.root / "jobs" / "report.py").write_text(CRON_JOB)
    code, out, err = stack.plan()
    assert code == 1
    assert "delete: Role report-task-role" in out
    assert "UNSAFE: delete of report-task-role, which report-task used, in the same up" in out
    assert "runs in flight of report: report-task-role (Role) is deleted" in out
    assert "refused: unsafe: delete of report-task-role" in err


def test_a_renamed_job_without_former_names_says_what_it_loses_the_pause_first(stack: Stack) -> None:
    (stack.root / "jobs" / "report.py").rename(stack.root / "jobs" / "usage_report.py")
    code, out, _ = stack.plan()
    assert code == 0
    hint = out.split("if report was renamed to usage-report: ")[1]
    assert hint.index("its pause") < hint.index("consecutive failures") < hint.index("slot claims")
    assert 'declare former_names=["report"] and run `jobctl rename report usage-report`' in hint
    assert "delete: StateMachine report-state-machine" in out


def test_a_renamed_job_with_former_names_keeps_its_identity_and_names_the_jobctl_step(stack: Stack) -> None:
    (stack.root / "jobs" / "report.py").unlink()
    renamed = CRON_JOB.replace("Job(", 'Job(former_names=["report"], ')
    (stack.root / "jobs" / "usage_report.py").write_text(renamed)
    code, out, _ = stack.plan()
    assert code == 0
    assert "job report is renamed to usage-report (former_names)" in out
    assert "run `jobctl rename report usage-report` before `pulumi up`" in out
    assert "if report was renamed" not in out
    # Aliases: the old resources are matched (replaced under new names), not deleted and created apart.
    assert "replace: StateMachine usage-report-state-machine (name changed" in out
    assert "(alias of report-state-machine)" in out
    assert "delete: StateMachine report-state-machine" not in out
    assert "UNSAFE" not in out


def test_no_graph_skips_the_change_report_but_not_the_upgrade_check(stack: Stack) -> None:
    stack.config["scheduled-jobs:namePrefix"] = "other"
    stack.write_config()
    code, out, _ = stack.plan("--no-graph")
    assert code == 0
    assert "the stack's resource graph: not recorded (--no-graph)" in out
    assert "namePrefix changed" not in out and "upgrade check against release" in out
    assert stack.plan()[0] == 1  # the graph of the deployed prefix is still the one compared with
