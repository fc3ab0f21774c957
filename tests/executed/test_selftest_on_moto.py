"""`jobctl selftest` on moto, with the canaries' real state machines and the test playing ECS (the stand-in for
runTask.sync of tests/support/moto_harness.py, starting a moto ECS task per run): the scenarios moto can carry
pass; two that only AWS can carry fail with their evidence and likely cause, which is what the self-test is for:
moto sends no execution status events to EventBridge, so the janitor never runs for a stopped run; and the
stand-in's history holds no RunTask response, so a timed-out run's task is not found. (moto's ECS moves a task
to STOPPED by itself as it is described: a PASS of the replace scenario here does not show that Step Functions
stopped the replaced task; docs/self-test.md.)"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from components.model.self_test import canaries
from jobctl.aws import StackJobs
from jobctl.selftest import SCENARIOS, SelfTest
from tests.support import moto_harness as harness
from tests.support import moto_run_states
from tests.support.moto_harness import NAMES, PREFIX, REGION, SHARED, Aws, RunRequest, with_redrive_counts

# How long a scenario that waits for the janitor waits here: moto never runs it, so the wait always runs out.
JANITOR_WAIT = 6.0
aws = harness.aws  # moto with workarounds 1-10, and the test playing ECS
aws_sdk_parameters = moto_run_states.aws_sdk_parameters  # workaround 11: StopLockHolder's aws-sdk call on moto


class Ecs(threading.Thread):
    """Plays ECS for the canaries: starts a moto task for each run, logs the canary's line, and ends it as its
    environment says (EXIT_CODE; SLEEP past the canary's 2m timeout: stopped, and the state times out)."""

    def __init__(self, aws: Aws) -> None:
        super().__init__(daemon=True)
        self.aws, self.done = aws, threading.Event()
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.logs = boto3.client("logs", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.ecs.create_cluster(clusterName=SHARED.cluster)
        self.ecs.register_task_definition(
            family=NAMES.task_family,
            containerDefinitions=[{"name": "job", "image": "busybox", "memory": 128}],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
        )
        self.logs.create_log_group(logGroupName=f"/scheduled-jobs/{PREFIX}/selftest")

    def network(self) -> dict[str, Any]:
        """moto's default VPC: its first subnet and security group, as they are now."""
        subnet = self.ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        group = self.ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
        return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}

    def run(self) -> None:
        while not self.done.is_set():
            try:
                request = self.aws.next_run()
            except Exception:  # nothing to run for a while, or the test is over and moto with it
                continue
            threading.Thread(target=self.answer_quietly, args=(request,), daemon=True).start()

    def answer_quietly(self, request: RunRequest) -> None:
        try:
            self.answer(request)
        except Exception:
            if not self.done.is_set():  # the test is still on: let it see the failure
                raise

    def answer(self, request: RunRequest) -> None:
        [override] = request.run_task["Overrides"]["ContainerOverrides"]
        env = {e["Name"]: e["Value"] for e in override["Environment"]}
        task = self.ecs.run_task(
            cluster=SHARED.cluster,
            taskDefinition=NAMES.task_family,
            launchType="FARGATE",
            networkConfiguration=self.network(),
        )["tasks"][0]["taskArn"]
        stream = f"job/job/{task.rsplit('/', 1)[-1]}"
        self.logs.create_log_stream(logGroupName=f"/scheduled-jobs/{PREFIX}/selftest", logStreamName=stream)
        self.logs.put_log_events(
            logGroupName=f"/scheduled-jobs/{PREFIX}/selftest",
            logStreamName=stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": f"selftest: {env['JOB_NAME']} attempt 1"}],
        )
        sleep = int(env.get("SLEEP", "0"))
        if sleep >= 120:  # past the canary's timeout: Step Functions stops the task, the state times out
            self.ecs.stop_task(cluster=SHARED.cluster, task=task, reason="Task stopped by Step Functions")
            self.aws.task_failed(request, "States.Timeout", "the state timed out")
            return
        time.sleep(min(sleep / 10, 9))
        self.aws.task_stopped(request, exit_code=int(env.get("EXIT_CODE", "0")), task_arn=task)


@pytest.fixture
def selftest(aws: Aws) -> Iterator[SelfTest]:
    yield from _with_canaries(aws)


def _with_canaries(aws: Aws) -> Iterator[SelfTest]:
    """The canaries' machines, the janitor's, and the test playing ECS, for as long as the self-test runs."""
    for spec in canaries(own_cluster=True):
        aws.job_machine(spec)
    aws.janitor_machine()  # deployed, but moto never starts it: no status events reach EventBridge
    ecs = Ecs(aws)
    ecs.start()
    yield SelfTest(StackJobs(boto3.Session(region_name=REGION), PREFIX), wait_seconds=20, poll=0.2)
    ecs.done.set()


def _row(outcome: Any) -> dict[str, Any]:
    return dict(outcome.to_json())


@pytest.mark.parametrize("name", ["success", "failure", "two-at-once", "slot-twice", "alert", "replace"])
def test_a_scenario_moto_can_carry_passes_with_its_evidence(selftest: SelfTest, name: str) -> None:
    row = _row(SCENARIOS[name](selftest))
    assert row["result"] == "PASS", row
    assert row["evidence"] and all(row["evidence"].values())
    assert row["likely_cause"] is None


def test_the_subscriptions_scenario_passes_with_a_confirmed_route_and_fails_once_none_remains(
    aws: Aws, selftest: SelfTest
) -> None:
    row = _row(selftest.subscriptions())  # the harness's queue, subscribed to the topic (a route no link removes)
    topic = f"arn:aws:sns:{REGION}:123456789012:{SHARED.alarm_topic}"
    assert (row["result"], row["observed"]) == ("PASS", f"{topic}: 1 confirmed, 0 pending confirmation")
    assert row["evidence"]["topic"] == f"{topic} (from the stack's own topic name)"  # moto's stack has no alarms
    for item in aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        aws.sns.unsubscribe(SubscriptionArn=item["SubscriptionArn"])  # as a mail scanner's click would
    row = _row(selftest.subscriptions())
    assert row["result"] == "FAIL"
    assert row["observed"].startswith(f"{topic}: 0 confirmed, 0 pending confirmation; WARNING: no confirmed")
    assert row["likely_cause"].startswith("every subscription was removed (a mail scanner following the unsubscribe")
    assert row["see"] == "docs/alerts.md, Who hears the alerts"


def test_a_stopped_run_whose_lock_the_janitor_never_releases_fails_with_evidence_and_cause(selftest: SelfTest) -> None:
    selftest.wait_seconds = JANITOR_WAIT  # moto never runs the janitor: the scenario waits out its whole bound
    row = _row(selftest.stopped_from_outside())
    assert row["result"] == "FAIL"
    assert row["observed"] == "lock still held by the stopped run"
    execution = row["evidence"]["execution"]
    assert row["evidence"]["lock item holder"] == execution  # the evidence: the item still names the stopped run
    assert row["likely_cause"].startswith("the janitor's EventBridge rule did not fire for the stopped execution")
    assert row["see"] == "docs/runs.md, Timeouts and stops (the lock janitor)"
    assert row["evidence"]["cleanup"] == "the self-test released the lock itself, so the next scenarios can run"
    assert selftest.lock_holder("selftest") is None


def test_a_timed_out_run_is_a_job_timeout_and_the_self_test_needs_aws_to_find_its_task(selftest: SelfTest) -> None:
    row = _row(selftest.timeout())
    assert row["result"] == "FAIL"
    assert row["observed"].startswith("timed_out Job.Timeout; task unknown") or "Job.Timeout" in row["observed"]
    assert row["evidence"]["task"] == "-"  # the stand-in's history has no RunTask response to read it from


@pytest.fixture
def redriving_selftest(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[SelfTest]:
    """The self-test with workaround 12 (an execution named `redrive-*` has RedriveCount 1), and StackJobs.redrive
    as that workaround plays RedriveExecution, which moto lacks: the canary's machine from RunJob, where the
    stopped run was, with the stopped run's input."""
    with_redrive_counts(monkeypatch)
    canary = next(spec for spec in canaries(own_cluster=True) if spec.name == "selftest")

    def redrive(jobs: StackJobs, execution_arn: str) -> str:
        return aws.redrive(aws.redriven_machine(canary, "RunJob"), jobs.execution_input(execution_arn))

    monkeypatch.setattr(StackJobs, "redrive", redrive)
    yield from _with_canaries(aws)


def test_a_redriven_stopped_canary_is_refused_alerted_and_runs_no_task(redriving_selftest: SelfTest) -> None:
    row = _row(SCENARIOS["redrive"](redriving_selftest))
    assert row["result"] == "PASS", row
    assert row["evidence"]["error"] == "Job.RedriveRefused"
    assert row["evidence"]["tasks started by the redrive"] == "none"
    assert row["evidence"]["alert"] != "none"
    assert row["observed"].endswith("0 task(s); 1 alert(s); lock free")


def test_the_selftest_command_refuses_a_stack_without_the_canary(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    from jobctl.cli import main

    aws.job_machine()
    code = main(["--prefix", PREFIX, "--region", REGION, "selftest"])
    err = capsys.readouterr().err
    assert code == 6
    assert "no self-test canary under prefix 'test': set `scheduled-jobs:selfTest: true`" in err


def test_the_selftest_command_prints_each_row_and_exits_1_on_a_fail(
    aws: Aws, selftest: SelfTest, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobctl import selftest as engine
    from jobctl.cli import main

    monkeypatch.setattr(engine.SelfTest, "__init__", _fast_init)
    code = main(
        ["--prefix", PREFIX, "--region", REGION, "--json", "selftest", "--only", "success", "--only", "stopped"]
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(s["scenario"], s["result"]) for s in document["scenarios"]] == [
        ("success", "PASS"),
        ("stopped from outside", "FAIL"),
    ]
    assert document["passed"] is False


def _fast_init(self: SelfTest, jobs: StackJobs, wait_seconds: float = 20, poll: float = 0.2) -> None:
    self.jobs, self.wait_seconds, self.poll, self.started = jobs, JANITOR_WAIT, 0.2, []
