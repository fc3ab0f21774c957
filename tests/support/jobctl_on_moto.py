"""jobctl run through its CLI against the moto harness (tests/support/moto_harness.py): in the test's thread, or in
a background thread while the test plays ECS for the runs it starts; and a job's EventBridge Scheduler schedule,
which the harness's job machine lacks, made in moto as the stack makes it (group `<prefix>-jobs`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import boto3
import pytest

from components.model.naming import job_names
from tests.support.moto_harness import PREFIX, REGION, ROLE, SHARED, WAIT


def jobctl(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from jobctl.cli import main

    capsys.readouterr()
    code = main(["--prefix", PREFIX, "--region", REGION, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@dataclass
class Background:
    """jobctl running in a thread; `ended()` waits for it and returns its exit code, stdout and stderr."""

    capsys: pytest.CaptureFixture[str]
    thread: threading.Thread | None = None
    result: dict[str, int | BaseException] = field(default_factory=dict)

    def ended(self) -> tuple[int, str, str]:
        assert self.thread is not None
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "jobctl did not end"
        captured = self.capsys.readouterr()
        code = self.result["code"]
        if isinstance(code, BaseException):
            raise code
        return code, captured.out, captured.err


def jobctl_in_background(capsys: pytest.CaptureFixture[str], *args: str) -> Background:
    from jobctl.cli import main

    capsys.readouterr()
    background = Background(capsys)

    def run() -> None:
        try:
            background.result["code"] = main(["--prefix", PREFIX, "--region", REGION, *args])
        except BaseException as error:  # surfaced by ended()
            background.result["code"] = error

    background.thread = threading.Thread(target=run)
    background.thread.start()
    return background


def create_schedule(job: str, expression: str, timezone: str, machine_arn: str) -> None:
    """The job's schedule as components/resources/scheduled_job.py declares it (what GetSchedule reads)."""
    scheduler = boto3.client("scheduler", region_name=REGION)
    groups = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    if SHARED.schedule_group not in groups:
        scheduler.create_schedule_group(Name=SHARED.schedule_group)
    scheduler.create_schedule(
        Name=job_names(PREFIX, job).schedule,
        GroupName=SHARED.schedule_group,
        ScheduleExpression=expression,
        ScheduleExpressionTimezone=timezone,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": machine_arn, "RoleArn": ROLE, "Input": '{"scheduledTime": "<aws.scheduler.scheduled-time>"}'},
    )
