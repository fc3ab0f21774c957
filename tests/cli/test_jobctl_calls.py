"""How many AWS calls each jobctl command makes (the formulas of docs/jobctl.md, for 1 job and for N), and what a
user sees when AWS throttles some of them: what was read, a note naming what was not, and exit code 7.
Counted on moto with botocore's before-call event (tests/support/jobctl_harness.py, AwsCalls)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.support import jobctl_harness as harness
from tests.support.jobctl_harness import (
    ENDS_AS_ASKED,
    FAILS,
    HOLDER,
    KEEPS_RUNNING,
    SUCCEEDS,
    AwsCalls,
    Stack,
    jobctl,
    jobctl_json,
    table_rows,
)

stack = harness.stack
aws_calls = harness.aws_calls
# Who hears the alerts, read by every `status` (jobctl/alert_topic.py): the stack's alarms (1 DescribeAlarms), the
# topic they notify, its subscriptions' list and each confirmed one's attributes (the harness: 1 e-mail).
ALERT_TOPIC = Counter(DescribeAlarms=1, GetTopicAttributes=1, ListSubscriptionsByTopic=1, GetSubscriptionAttributes=1)


def _jobs_with_runs(stack: Stack, count: int, runs: int) -> list[str]:
    names = [f"job-{n:03d}" for n in range(count)]
    for name in names:
        stack.machine(name, SUCCEEDS)
        for run in range(runs):
            stack.execute(name, f"scheduled-{run}", wait=False)
    stack.wait_for_all()
    return names


# --- the formulas ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 3])
def test_status_reads_one_listing_one_list_per_job_and_describes_only_each_latest_run(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str], jobs: int
) -> None:
    """status = 1 ListStateMachines + ceil(J/100) BatchGetItem + J ListExecutions + (jobs whose latest run
    ended) DescribeExecution, whatever the runs shown per job and the machines of other stacks; + the alert topic's
    3 + S calls (S confirmed subscriptions)."""
    _jobs_with_runs(stack, jobs, runs=4)
    stack.machine("never", SUCCEEDS)
    stack.machine("other", SUCCEEDS, prefix="prod")

    code, out, _ = jobctl(capsys, "status")

    assert code == 0 and len(table_rows(out)) == jobs + 1
    assert aws_calls.calls == ALERT_TOPIC + Counter(
        ListStateMachines=1, BatchGetItem=1, ListExecutions=jobs + 1, DescribeExecution=jobs
    )


def test_status_reads_the_lock_table_100_jobs_a_call(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    for number in range(101):
        stack.machine(f"job-{number:03d}", SUCCEEDS)
    stack.dynamodb.put_item(  # a slot claim: never read by status
        TableName=stack.lock_table, Item={"LockId": {"S": "job-000#slot#2026-11-29T06:00:00Z"}}
    )

    code, status = jobctl_json(capsys, "status")

    assert code == 0 and len(status["jobs"]) == 101
    assert aws_calls.calls == ALERT_TOPIC + Counter(ListStateMachines=1, BatchGetItem=2, ListExecutions=101)


def test_status_of_one_job_lists_no_machines_and_describes_each_ended_run(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    """status JOB = 1 GetCallerIdentity + 1 GetSchedule + 1 ListExecutions + (ended runs shown) DescribeExecution
    + 1 BatchGetItem; a running run is shown from the list alone."""
    _jobs_with_runs(stack, 20, runs=0)
    stack.machine("report", KEEPS_RUNNING)
    stopped = stack.execute("report", "scheduled-1", wait=False)
    stack.stop(stopped)
    running = stack.execute("report", "scheduled-2", wait=False)

    code, out, _ = jobctl(capsys, "status", "report", "--runs", "5")
    stack.stop(running)

    assert code == 0 and "scheduled-2" in out and "aborted" in out
    assert aws_calls.calls == ALERT_TOPIC + Counter(
        GetCallerIdentity=1, GetSchedule=1, ListExecutions=1, DescribeExecution=1, BatchGetItem=1
    )


@pytest.mark.parametrize("jobs", [1, 30])
def test_run_makes_two_calls_however_many_jobs_the_region_has(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str], jobs: int
) -> None:
    _jobs_with_runs(stack, jobs, runs=0)

    code, _, _ = jobctl(capsys, "run", "job-000")

    assert code == 0
    assert aws_calls.calls == Counter(GetCallerIdentity=1, StartExecution=1)


def test_history_asks_for_no_more_runs_than_it_shows(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    """history JOB --limit N = 1 GetCallerIdentity + ceil(N/1000) ListExecutions + N DescribeExecution (each
    ended run: its error and cause) + 1 GetSchedule."""
    stack.machine("report", FAILS)
    for number in range(6):
        stack.execute("report", f"scheduled-{number}", wait=False)
    stack.wait_for_all()

    code, history = jobctl_json(capsys, "history", "report", "--limit", "2")

    assert code == 0 and [run["name"] for run in history["runs"]] == ["scheduled-5", "scheduled-4"]
    assert aws_calls.calls == Counter(GetCallerIdentity=1, ListExecutions=1, DescribeExecution=2)


def test_ls_reads_schedules_and_items_never_runs(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    """ls = 1 ListStateMachines + J GetSchedule + ceil(J/100) BatchGetItem."""
    stack.schedule_group()
    for name in _jobs_with_runs(stack, 4, runs=1):
        stack.schedule(name, "rate(1 hour)", "UTC")

    code, _, _ = jobctl(capsys, "ls")

    assert code == 0
    assert aws_calls.calls == Counter(ListStateMachines=1, GetSchedule=4, BatchGetItem=1)


def test_unknown_job_costs_one_listing_only_to_name_the_known_jobs(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)

    code, _, err = jobctl(capsys, "run", "reprot")

    assert code == 6
    assert "no job 'reprot' under prefix 'dev'; known jobs: report" in err
    assert aws_calls.calls == Counter(GetCallerIdentity=1, StartExecution=1, ListStateMachines=1)


# --- throttling ------------------------------------------------------------------------------------------


def test_status_throttled_for_one_job_prints_the_others_marks_it_and_exits_7(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("alpha", "beta", "gamma"):
        stack.machine(name, ENDS_AS_ASKED)
        stack.execute(name, "scheduled-1", ends="fail" if name == "gamma" else "succeed")
    aws_calls.throttle("ListExecutions", about=":stateMachine:dev-beta")

    code, out, err = jobctl(capsys, "status")

    assert code == 7
    alpha, beta, gamma = table_rows(out)
    assert (alpha["outcome"], gamma["outcome"]) == ("succeeded", "failed")
    assert (beta["job"], beta["outcome"], beta["lock"]) == ("beta", "not read", "free")
    assert (
        "jobctl: incomplete: ListExecutions for 1 of 3 jobs failed "
        "(ThrottlingException, throttled past every retry): beta"
    ) in err


def test_status_json_when_throttled_keeps_every_key_and_lists_the_problem(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("alpha", SUCCEEDS)
    stack.machine("beta", SUCCEEDS)
    stack.hold_lock("beta", HOLDER, timedelta(hours=1))
    aws_calls.throttle("ListExecutions", about=":stateMachine:dev-beta")

    code, status = jobctl_json(capsys, "status")

    assert code == 7
    alpha, beta = status["jobs"]
    assert set(alpha) == set(beta)
    assert (alpha["runs"], beta["runs"]) == ([], None)
    assert beta["lock"]["state"] == "held"
    assert status["complete"] is False
    assert status["problems"] == [
        {"job": "beta", "call": "ListExecutions", "code": "ThrottlingException", "message": "Rate exceeded"}
    ]


def test_lock_table_throttled_still_shows_the_runs(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("alpha", SUCCEEDS)
    stack.execute("alpha", "scheduled-1")
    aws_calls.throttle("BatchGetItem")

    code, out, err = jobctl(capsys, "status")

    assert code == 7
    (alpha,) = table_rows(out)
    assert (alpha["outcome"], alpha["lock"]) == ("succeeded", "not read")
    assert "BatchGetItem for 1 of 1 jobs failed" in err


def test_a_call_throttled_once_is_retried_and_the_output_is_whole(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _jobs_with_runs(stack, 3, runs=1)
    aws_calls.throttle("ListExecutions", attempts=1)  # every call's first attempt

    code, status = jobctl_json(capsys, "status")

    assert code == 0 and status["complete"] is True
    assert [len(job["runs"]) for job in status["jobs"]] == [1, 1, 1]
    assert aws_calls.calls["ListExecutions"] == len(names)
    assert aws_calls.attempts["ListExecutions"] == 2 * len(names)


def test_a_throttled_single_job_command_says_so_and_exits_7(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)
    aws_calls.throttle("StartExecution")

    code, out = jobctl_json(capsys, "run", "report")

    assert code == 7
    assert out["error"] == {
        "code": "throttled",
        "exit_code": 7,
        "message": "AWS throttled StartExecution past every retry (try again later): ThrottlingException: "
        "Rate exceeded",
    }
    assert (out["schema"], out["command"]) == ("jobctl/v1", "run")


def test_run_with_an_input_reads_the_declared_names_once_first(
    stack: Stack, aws_calls: AwsCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.machine("report", SUCCEEDS)

    code, _, _ = jobctl(capsys, "run", "report", "--input", "DAY=2026-11-24")

    assert code == 0  # a definition from before run inputs declares nothing, and accepts any
    assert aws_calls.calls == Counter(GetCallerIdentity=1, DescribeStateMachine=1, StartExecution=1)
