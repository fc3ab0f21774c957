"""jobctl run, finding jobs, and its errors, against a stack in moto
(tests/support/jobctl_harness.py). Assertions are on what a
user sees: the table text, the JSON fields, the exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from components.documents.job_machine import job_definition
from components.model.naming import shared_names
from components.model.spec import Job
from tests.support import jobctl_harness as harness
from tests.support.builders import ALERTS, TARGET, stack_job
from tests.support.jobctl_harness import (
    ECHOES_INPUT,
    FAILS,
    PREFIX,
    REGION,
    SKIPS,
    SUCCEEDS,
    TIMES_OUT,
    Stack,
    fake_aws_env,
    jobctl,
    jobctl_json,
    table_rows,
)

stack = harness.stack  # a stack in moto: state machines, lock table and log groups


# --- run ---------------------------------------------------------------------------------------------


def test_run_wait_exits_0_and_shows_the_succeeded_run(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, out, err = jobctl(capsys, "run", "report", "--wait")

    assert code == 0
    (run,) = table_rows(out)
    assert list(run) == ["run", "start (UTC)", "duration", "outcome", "error"]
    assert run["run"].startswith("manual-") and (run["outcome"], run["error"]) == ("succeeded", "")
    assert "waiting for it to end" in err


def test_run_passes_each_input_as_container_environment(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", ECHOES_INPUT)

    code, started = jobctl_json(capsys, "run", "report", "--input", "DRY_RUN=1", "--input", "DAY=2026-11-24=x")

    assert code == 0
    assert started["name"].startswith("manual-") and started["execution_arn"].endswith(started["name"])
    execution = stack.sfn.describe_execution(executionArn=started["execution_arn"])
    assert json.loads(execution["input"]) == {"environment": {"DRY_RUN": "1", "DAY": "2026-11-24=x"}}


def test_run_without_wait_prints_the_run_and_its_console_link(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, out, _ = jobctl(capsys, "run", "report")

    assert code == 0
    first, link = out.splitlines()
    assert first.startswith("started report run manual-")
    assert link.strip().startswith(f"https://{REGION}.console.aws.amazon.com/states/home?region={REGION}#/v2/")


def test_run_names_are_unique_within_one_second(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    names = {jobctl_json(capsys, "run", "report")[1]["name"] for _ in range(3)}

    assert len(names) == 3


def test_run_wait_exits_3_when_skipped_because_already_running(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SKIPS)

    code, run = jobctl_json(capsys, "run", "report", "--wait")

    assert code == 3
    assert run["outcome"] == "skipped"
    assert run["cause"] == "already running: another execution holds the lock of report"


def test_run_wait_exits_1_and_shows_error_and_cause_when_failed(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", FAILS)

    code, out, _ = jobctl(capsys, "run", "report", "--wait")

    assert code == 1
    (run,) = table_rows(out)
    assert (run["outcome"], run["error"]) == ("failed", "Job.NonZeroExit: container job exited with code 3")


def test_run_wait_exits_1_when_timed_out(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", TIMES_OUT)  # moto times the execution out after 1 real second

    code, run = jobctl_json(capsys, "run", "report", "--wait")

    assert (code, run["outcome"]) == (1, "timed_out")


def test_run_rejects_an_input_without_equals_sign(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)

    code, _, err = jobctl(capsys, "run", "report", "--input", "DRY_RUN")

    assert code == 2
    assert "--input 'DRY_RUN': expected KEY=VALUE" in err
    assert stack.sfn.list_executions(stateMachineArn=stack.machine("other", SUCCEEDS))["executions"] == []


# --- finding jobs, errors ------------------------------------------------------------------------------


def test_unknown_job_lists_the_known_jobs_of_the_prefix(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.machine("cleanup", SUCCEEDS)
    stack.machine("other", SUCCEEDS, prefix="prod")

    code, out, err = jobctl(capsys, "history", "reprot")

    assert (code, out) == (6, "")  # not found
    assert err == "jobctl: no job 'reprot' under prefix 'dev'; known jobs: cleanup, report\n"


def test_status_shows_only_the_jobs_of_its_own_prefix(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.machine("other", SUCCEEDS, prefix="prod")
    stack.machine("lock-janitor", ECHOES_INPUT, prefix="dev-eu")  # stack "dev-eu" shares the "dev-" prefix
    stack.machine("report", SUCCEEDS, prefix="dev-eu")

    code, status = jobctl_json(capsys, "status")

    assert code == 0
    assert [job["job"] for job in status["jobs"]] == ["report"]


def test_no_credentials_is_said_plainly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake_aws_env(monkeypatch)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    code, _, err = jobctl(capsys, "status", "--prefix", "dev")

    assert code == 5  # access denied
    assert err.startswith("jobctl: no AWS credentials found: set AWS_PROFILE")


def test_missing_prefix_asks_for_one(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake_aws_env(monkeypatch)

    code, _, err = jobctl(capsys, "status")

    assert code == 2
    assert "no stack prefix: pass --prefix" in err


def test_options_work_before_and_after_the_command(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.machine("report", SUCCEEDS)
    stack.machine("report", SUCCEEDS, prefix="prod")
    stack.machine("lock-janitor", ECHOES_INPUT, prefix="prod")
    stack.table(shared_names("prod").lock_table, "LockId")

    before = json.loads(jobctl(capsys, "--json", "--prefix", "prod", "status")[1])
    after = json.loads(jobctl(capsys, "status", "--json", "--prefix", "prod")[1])

    assert before == after
    assert before["prefix"] == "prod"


SLOTS = {
    "Z": ("2026-11-29T06:00:00Z", "2026-11-29T06:00:00Z"),
    "offset": ("2026-11-29T07:00:00+01:00", "2026-11-29T06:00:00Z"),
    "fraction": ("2026-11-29T06:00:00.000Z", "2026-11-29T06:00:00Z"),
}


@pytest.mark.parametrize(("given", "sent"), SLOTS.values(), ids=SLOTS.keys())
def test_run_for_a_named_slot_passes_it_as_the_schedule_would(
    stack: Stack, capsys: pytest.CaptureFixture[str], given: str, sent: str
) -> None:
    stack.machine("report", ECHOES_INPUT)
    code, started = jobctl_json(capsys, "run", "report", "--scheduled-time", given)
    assert code == 0
    execution = stack.sfn.describe_execution(executionArn=started["execution_arn"])
    assert json.loads(execution["input"]) == {"environment": {}, "scheduledTime": sent}


@pytest.mark.parametrize("given", ["2026-11-29", "2026-11-29T06:00:00", "yesterday", "2026-13-01T00:00:00Z"])
def test_run_refuses_a_slot_that_is_not_a_utc_time(
    stack: Stack, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    stack.machine("report", SUCCEEDS)
    code, _, err = jobctl(capsys, "run", "report", "--scheduled-time", given)
    assert code == 2
    assert f"--scheduled-time {given!r}: expected a time in UTC such as 2026-11-29T06:00:00Z" in err


@pytest.mark.parametrize("name", ["SCHEDULED_TIME", "JOB_NAME", "JOB_EXECUTION_ARN", "JOB_ATTEMPT"])
def test_run_refuses_an_input_the_run_sets_itself(stack: Stack, capsys: pytest.CaptureFixture[str], name: str) -> None:
    stack.machine("report", SUCCEEDS)
    code, _, err = jobctl(capsys, "run", "report", "--input", f"{name}=x")
    assert code == 2
    assert f"--input '{name}=x': {name} is set by the run itself" in err


def test_run_again_of_a_slot_that_succeeded_needs_rerun_and_rerun_needs_a_slot(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)
    code, first = jobctl_json(capsys, "run", "report", "--scheduled-time", "2026-11-29T06:00:00Z", "--wait")
    assert code == 0
    # What ClaimSlot would have written for that run (the stand-in machine writes nothing).
    stack.dynamodb.put_item(
        TableName="dev-job-locks",
        Item={"LockId": {"S": "report#slot#2026-11-29T06:00:00Z"}, "ExecutionArn": {"S": first["execution_arn"]}},
    )
    code, _, err = jobctl(capsys, "run", "report", "--scheduled-time", "2026-11-29T06:00:00Z")
    assert code == 2
    assert f"already ran in execution {first['execution_arn']} (succeeded); add --rerun" in err
    code, out, _ = jobctl(capsys, "run", "report", "--scheduled-time", "2026-11-29T06:00:00Z", "--rerun")
    assert code == 0
    assert f"was claimed by execution {first['execution_arn']} (succeeded): running it again" in out
    code, _, err = jobctl(capsys, "run", "report", "--rerun")
    assert (code, err.strip()) == (2, "jobctl: --rerun needs --scheduled-time: the slot to run again")


def test_run_refuses_an_input_the_deployed_job_does_not_declare_before_starting_anything(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = Job(name="report", command=["run"], timeout="10m", inputs={"DAY": r"\d{4}-\d{2}-\d{2}"})
    machine = stack.machine("report", job_definition(stack_job(spec, PREFIX), TARGET, "t", ALERTS))

    code, _, err = jobctl(capsys, "run", "report", "--input", "DAY=2026-11-24", "--input", "LD_PRELOAD=/tmp/x.so")

    assert code == 2
    assert "--input LD_PRELOAD: report does not accept these as run inputs; it declares DAY" in err
    assert "nothing was started" in err
    assert stack.sfn.list_executions(stateMachineArn=machine)["executions"] == []


def test_run_refuses_a_slot_that_has_not_come(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    machine = stack.machine("report", SUCCEEDS)
    ahead = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")

    code, _, err = jobctl(capsys, "run", "report", "--scheduled-time", ahead)

    assert code == 2
    assert f"--scheduled-time {ahead}: that slot has not come yet" in err
    assert stack.sfn.list_executions(stateMachineArn=machine)["executions"] == []
