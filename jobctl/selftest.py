"""The self-test's scenarios (`jobctl selftest`): each starts the stack's canary jobs (components/model/
self_test.py) the way a user would, waits for what AWS does, and compares it with what this project promises:
expected, observed, PASS or FAIL, the evidence, and for a FAIL the most likely cause and where to read about it.
They prove what tests on moto cannot: AWS's side of the contract (docs/self-test.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from jobctl.aws import StackJobs, manual_execution_name
from jobctl.log_events import StreamMissing, log_stream, read_events
from jobctl.runs import Run

CANARY, CANARY_REPLACE, CANARY_SPOT = "selftest", "selftest-replace", "selftest-spot"
CANARY_TIMEOUT_SECONDS = 120  # components/model/self_test.py: CANARY_TIMEOUT
REDRIVE_REFUSED = "Job.RedriveRefused"  # components/documents/redrive.py
# What a run costs at most here: the canary's 0.25 vCPU and 0.5 GB for at most its timeout, a few times over.
COST = (
    "about 12 Fargate task-minutes at 0.25 vCPU / 0.5 GB (under one US cent at list prices), a few hundred Step "
    "Functions state transitions, one temporary SQS queue subscribed to the stack's topic; about 10 minutes"
)


@dataclass
class Outcome:
    """One scenario's row."""

    scenario: str
    expected: str
    observed: str = ""
    passed: bool = False
    evidence: dict[str, str] = field(default_factory=dict)
    likely_cause: str | None = None  # shown for a FAIL: the most likely cause
    see: str | None = None  # shown for a FAIL: the docs line to check

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "expected": self.expected,
            "observed": self.observed,
            "result": "PASS" if self.passed else "FAIL",
            "evidence": self.evidence,
            "likely_cause": None if self.passed else self.likely_cause,
            "see": None if self.passed else self.see,
        }


class SelfTest:
    """The scenarios, against one stack. `wait_seconds` bounds each wait; `poll` is how often to look."""

    def __init__(self, jobs: StackJobs, wait_seconds: float = 600, poll: float = 5.0) -> None:
        self.jobs = jobs
        self.wait_seconds, self.poll = wait_seconds, poll
        self.started: list[str] = []  # executions this self-test started, stopped if it is interrupted

    # --- helpers -----------------------------------------------------------------------------------------

    def start(self, job: str, env: dict[str, str] | None = None, slot: str | None = None) -> str:
        arn = self.jobs.start(job, env or {}, manual_execution_name(datetime.now(UTC)), slot)
        self.started.append(arn)
        return arn

    def limit(self, seconds: float) -> float:
        """A scenario's own wait (how long AWS may take), bounded by `wait_seconds`."""
        return min(seconds, self.wait_seconds)

    def wait_for(self, what: Callable[[], Any], seconds: float | None = None) -> Any:
        """`what()` once it returns something truthy, else its last answer after `seconds`."""
        deadline = time.monotonic() + (seconds if seconds is not None else self.wait_seconds)
        while True:
            answer = what()
            if answer or time.monotonic() >= deadline:
                return answer
            time.sleep(self.poll)

    def ended(self, arn: str) -> Run:
        run: Run = self.wait_for(lambda: (r := self.jobs.describe(arn)).outcome != "running" and r)
        return run if run else self.jobs.describe(arn)

    def lock_holder(self, job: str) -> str | None:
        item = self.jobs.locks.items([job])[job]
        return item.lock.holder if item.lock else None

    def task_of(self, run: Run) -> str | None:
        tasks = self.jobs.task_arns(run)
        return tasks[-1] if tasks else None

    def task_status(self, task_arn: str) -> dict[str, Any]:
        ecs = self.jobs.client("ecs")
        cluster = task_arn.split("/")[-2]
        found = ecs.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks") or [{}]
        return dict(found[0])

    def stopped_status(self, task: str | None) -> dict[str, Any]:
        """The task as DescribeTasks has it once STOPPED (a stopped task may take its 120 s stopTimeout), or as
        it is after 3 minutes; {} without a task."""
        if task is None:
            return {}
        found = self.wait_for(
            lambda: (s := self.task_status(task)).get("lastStatus") == "STOPPED" and s, self.limit(180)
        )
        return dict(found) if found else self.task_status(task)

    def stop_leftovers(self) -> None:
        """Stop what this self-test started and is still running (Ctrl-C, or a scenario that gave up)."""
        for arn in self.started:
            try:
                if self.jobs.describe(arn).outcome == "running":
                    self.jobs.stop(arn, "stopped by jobctl selftest: cleaning up")
            except ClientError:
                pass

    # --- scenarios ---------------------------------------------------------------------------------------

    def subscriptions(self) -> Outcome:
        """Who hears the alerts (jobctl/alert_topic.py): no run needed, so it goes first, before the alert
        scenario's own temporary subscription."""
        out = Outcome(
            "alert subscriptions",
            "the alert topic has a confirmed subscription (an e-mail one confirmed with AuthenticateOnUnsubscribe)",
            likely_cause=(
                "every subscription was removed (a mail scanner following the unsubscribe link of an SNS e-mail) "
                "or was never confirmed; `pulumi up --refresh` subscribes alarmEmails again"
            ),
            see="docs/alerts.md, Who hears the alerts",
        )
        topic = self.jobs.alert_topic()
        out.evidence = {
            "topic": f"{topic.topic_arn} (from {topic.found_in})",
            "confirmed": str(len(topic.confirmed)),
            "pending confirmation": str(len(topic.pending)),
            "removable by an unsubscribe link": str(sum(s.unprotected for s in topic.confirmed)),
        }
        out.observed = topic.summary().removeprefix("alerts: ")
        warnings = topic.warnings()
        out.passed = topic.exists and bool(topic.confirmed)
        if warnings:
            out.observed += f"; WARNING: {warnings[0]}"
        return out

    def success(self) -> Outcome:
        out = Outcome(
            "success",
            "exit 0: succeeded, lock released, container log readable",
            likely_cause=(
                "the task could not start or pull its image (public.ecr.aws needs a route out: a NAT gateway, or "
                "assignPublicIp in a public subnet), or RunTask was denied (tag-on-create: ecs:TagResource)"
            ),
            see="docs/security.md, Authorization; docs/stack-settings.md, subnets and assignPublicIp",
        )
        run = self.ended(self.start(CANARY, {"EXIT_CODE": "0"}))
        task = self.task_of(run)
        holder = self.lock_holder(CANARY)
        lines = self._log_lines(task) if task else []
        out.evidence = {"execution": run.execution_arn, "task": task or "-", "log lines": str(len(lines))}
        out.observed = f"{run.outcome}; lock {'held by ' + holder if holder else 'released'}; {len(lines)} log lines"
        out.passed = run.outcome == "succeeded" and holder is None and any("selftest:" in line for line in lines)
        return out

    def failure(self) -> Outcome:
        out = Outcome(
            "non-zero exit",
            "exit 3: failed with Job.NonZeroExit (returned) or Job.TaskFailed (raised) and the code, never the task's "
            "JSON, lock released",
            likely_cause="the stopped task came back in a form the classifier does not know, or its description "
            "was not read ($parse)",
            see="docs/runs.md, Every attempt, classified once",
        )
        run = self.ended(self.start(CANARY, {"EXIT_CODE": "3"}))
        holder = self.lock_holder(CANARY)
        out.evidence = {"execution": run.execution_arn, "error": run.error or "-", "cause": (run.cause or "-")[:200]}
        out.observed = f"{run.outcome} {run.error}; lock {'held' if holder else 'released'}"
        # runTask.sync raises States.TaskFailed for a non-zero exit (aws/copilot-cli#3160) or returns the task
        # (not excluded by any source); either way the cause tells the code, never the task description's JSON.
        cause = run.cause or ""
        told = "code 3" in cause and "{" not in cause
        out.passed = run.error in ("Job.NonZeroExit", "Job.TaskFailed") and told and holder is None
        return out

    def timeout(self) -> Outcome:
        out = Outcome(
            "timeout",
            "sleeps past its 2m timeout: Job.Timeout, the ECS task STOPPED, lock released",
            likely_cause="a state timeout did not stop the ECS task (runTask.sync), or the lock was not released",
            see="docs/security.md, Left to the self-test",
        )
        run = self.ended(self.start(CANARY, {"SLEEP": str(CANARY_TIMEOUT_SECONDS * 3)}))
        task = self.task_of(run)
        status = self.stopped_status(task)
        holder = self.lock_holder(CANARY)
        out.evidence = {
            "execution": run.execution_arn,
            "task": task or "-",
            "task status": str(status.get("lastStatus", "-")),
            "stop code": str(status.get("stopCode", "-")),
        }
        lock = "held" if holder else "released"
        out.observed = f"{run.outcome} {run.error}; task {status.get('lastStatus', 'unknown')}; lock {lock}"
        out.passed = run.error == "Job.Timeout" and status.get("lastStatus") == "STOPPED" and holder is None
        return out

    def two_at_once(self) -> Outcome:
        out = Outcome(
            "two starts at once",
            "one runs, one is skipped (the lock)",
            likely_cause="the lock table's conditional write did not hold (a second run took the lock)",
            see="docs/runs.md, The lock, step by step",
        )
        first, second = self.start(CANARY, {"SLEEP": "20"}), self.start(CANARY, {"SLEEP": "20"})
        runs = [self.ended(first), self.ended(second)]
        outcomes = sorted(run.outcome for run in runs)
        out.evidence = {"executions": ", ".join(r.execution_arn for r in runs), "outcomes": ", ".join(outcomes)}
        out.observed = ", ".join(outcomes)
        out.passed = outcomes == ["skipped", "succeeded"]
        return out

    def stopped_from_outside(self) -> Outcome:
        out = Outcome(
            "stopped from outside",
            "the lock janitor releases the lock within 5 minutes",
            likely_cause=(
                "the janitor's EventBridge rule did not fire for the stopped execution, or the janitor could not "
                "assume its role (trust policy source condition); `jobctl unlock` releases the lock by hand"
            ),
            see="docs/runs.md, Timeouts and stops (the lock janitor)",
        )
        arn = self.start(CANARY, {"SLEEP": "90"})
        held = self.wait_for(lambda: self.lock_holder(CANARY) == arn, self.limit(120))
        self.jobs.stop(arn, "stopped by jobctl selftest: scenario 'stopped from outside'")
        released = self.wait_for(lambda: self.lock_holder(CANARY) != arn, self.limit(300)) if held else False
        holder = self.lock_holder(CANARY)
        out.evidence = {"execution": arn, "lock item holder": holder or "none"}
        out.observed = (
            "lock released"
            if released and held
            else ("lock still held by the stopped run" if held else "the run never took the lock")
        )
        out.passed = bool(held and released)
        if holder == arn and self.jobs.locks.delete_lock(CANARY, arn):
            # As `jobctl unlock` would: the scenarios after this one must not all be skipped behind it.
            out.evidence["cleanup"] = "the self-test released the lock itself, so the next scenarios can run"
        return out

    def replace(self) -> Outcome:
        out = Outcome(
            "concurrency=replace",
            "the holder is stopped (Job.Replaced), its task stopped, the new run proceeds",
            likely_cause="StopExecution was denied, or stopping the execution did not stop its ECS task",
            see='docs/runs.md, concurrency="replace"',
        )
        holder_arn = self.start(CANARY_REPLACE, {"SLEEP": "90"})
        self.wait_for(lambda: self.lock_holder(CANARY_REPLACE) == holder_arn, self.limit(120))
        newer = self.ended(self.start(CANARY_REPLACE, {"EXIT_CODE": "0"}))
        older = self.ended(holder_arn)
        task = self.task_of(older)
        status = self.stopped_status(task)
        out.evidence = {"replaced": holder_arn, "replacer": newer.execution_arn, "replaced task": task or "-"}
        out.observed = (
            f"replaced {older.outcome}; its task {status.get('lastStatus', 'unknown')}; replacer {newer.outcome}"
        )
        out.passed = (
            older.outcome == "aborted" and newer.outcome == "succeeded" and status.get("lastStatus") == "STOPPED"
        )
        return out

    def spot(self) -> Outcome:
        out = Outcome(
            "Fargate Spot",
            "ran on FARGATE_SPOT, or fell back to on-demand and says why",
            likely_cause="the cluster lacks the FARGATE_SPOT capacity provider, or runTask.sync dropped the strategy",
            see="docs/runs.md, Fargate Spot",
        )
        run = self.ended(self.start(CANARY_SPOT, {"EXIT_CODE": "0"}))
        task = self.task_of(run)
        provider = str(self.task_status(task).get("capacityProviderName", "-")) if task else "-"
        out.evidence = {"execution": run.execution_arn, "task": task or "-", "capacity provider": provider}
        out.observed = f"{run.outcome} on {provider}"
        out.passed = run.outcome == "succeeded" and provider in ("FARGATE_SPOT", "FARGATE")
        if provider == "FARGATE":
            out.observed += " (fell back: no Spot capacity then)"
        return out

    def alert(self) -> Outcome:
        out = Outcome(
            "alert",
            "a failed run's alert reaches the stack's topic",
            likely_cause="the machines may not publish to the topic (an alarmTopicArn's policy or its KMS key)",
            see="docs/alerts.md",
        )
        with self._listening_queue() as receive:
            run = self.ended(self.start(CANARY, {"EXIT_CODE": "4"}))
            messages: list[dict[str, Any]] = (
                self.wait_for(
                    lambda: [m for m in receive() if m.get("execution") == run.execution_arn], self.limit(120)
                )
                or []
            )
        out.evidence = {"execution": run.execution_arn, "message": messages[0].get("subject", "-") if messages else "-"}
        out.observed = f"{len(messages)} alert(s) for the run"
        out.passed = len(messages) == 1 and messages[0].get("kind") == "failed"
        return out

    def slot_twice(self) -> Outcome:
        out = Outcome(
            "a slot delivered twice",
            "the second delivery is skipped: 'already ran in execution'",
            likely_cause="the slot claim was not written or not read (the lock table's grants)",
            see="docs/runs.md, A slot runs once",
        )
        slot = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        first = self.ended(self.start(CANARY, {"EXIT_CODE": "0"}, slot))
        second = self.ended(self.start(CANARY, {"EXIT_CODE": "0"}, slot))
        reason = second.cause or ""
        out.evidence = {"first": first.execution_arn, "second": second.execution_arn, "reason": reason[:200]}
        out.observed = f"{first.outcome}, then {second.outcome}"
        out.passed = (
            first.outcome == "succeeded" and second.outcome == "skipped" and "already ran in execution" in reason
        )
        return out

    def redrive(self) -> Outcome:
        """The console's Redrive button on a stopped run (RedriveExecution re-enters the state the execution was
        stopped in, RunJob, "with the same input", Step Functions API reference): the machine refuses it before
        any task (components/documents/redrive.py), alerts, and leaves the lock alone."""
        out = Outcome(
            "redrive",
            "a redrive of a stopped run ends Job.RedriveRefused, starts no task, is alerted, takes no lock",
            likely_cause=(
                "the Context object carried no Execution.RedriveCount, or a JSONata $error in RunJob's Arguments "
                "was not caught by its States.ALL catcher (docs/runs.md, Every way into a run)"
            ),
            see="docs/runs.md, Every way into a run",
        )
        arn = self.start(CANARY, {"SLEEP": "60"})  # stopped while it runs
        held = self.wait_for(lambda: self.lock_holder(CANARY) == arn, self.limit(120))
        self.jobs.stop(arn, "stopped by jobctl selftest: scenario 'redrive'")
        stopped = self.ended(arn)
        if self.lock_holder(CANARY) == arn:  # the janitor's job; not what this scenario looks at
            self.jobs.locks.delete_lock(CANARY, arn)
        tasks_before = set(self.jobs.task_arns(stopped))
        with self._listening_queue() as receive:
            redriven_arn = self.jobs.redrive(arn)
            run = self.wait_for(
                lambda: (r := self.jobs.describe(redriven_arn)).error == REDRIVE_REFUSED and r, self.limit(120)
            ) or self.jobs.describe(redriven_arn)
            alerts: list[dict[str, Any]] = (
                self.wait_for(lambda: [m for m in receive() if m.get("kind") == "redrive-refused"], self.limit(120))
                or []
            )
        new_tasks = sorted(set(self.jobs.task_arns(run)) - tasks_before)
        holder = self.lock_holder(CANARY)
        out.evidence = {
            "execution": arn,
            "redriven": redriven_arn,
            "error": run.error or "-",
            "tasks started by the redrive": ", ".join(new_tasks) or "none",
            "alert": alerts[0].get("subject", "-") if alerts else "none",
        }
        lock = f"held by {holder}" if holder else "free"
        out.observed = f"{run.outcome} {run.error or ''}; {len(new_tasks)} task(s); {len(alerts)} alert(s); lock {lock}"
        out.passed = bool(
            held
            and stopped.outcome == "aborted"
            and run.error == REDRIVE_REFUSED
            and not new_tasks
            and len(alerts) == 1
            and holder is None
        )
        return out

    # --- plumbing ------------------------------------------------------------------------------------------

    def _log_lines(self, task: str) -> list[str]:
        stream = log_stream(self.jobs.prefix, CANARY, task)
        try:
            return [e.message for e in self.wait_for(lambda: list(self._events(stream)), self.limit(60)) or []]
        except StreamMissing:
            return []

    def _events(self, stream: Any) -> Iterator[Any]:
        try:
            yield from read_events(self.jobs.logs_client, stream)
        except StreamMissing:
            return

    @contextmanager
    def _listening_queue(self) -> Iterator[Callable[[], list[dict[str, Any]]]]:
        """A temporary SQS queue subscribed to the stack's topic (raw delivery), removed afterwards, also on
        an error or Ctrl-C."""
        sqs, sns = self.jobs.client("sqs"), self.jobs.client("sns")
        topic = self.jobs.alert_topic().topic_arn  # where the alarms send, also an alarmTopicArn
        url = sqs.create_queue(QueueName=f"{self.jobs.prefix}-selftest-{int(time.time())}")["QueueUrl"]
        subscription = None
        try:
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue_arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
                    }
                ],
            }
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
            subscription = sns.subscribe(
                TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
            )["SubscriptionArn"]

            def receive() -> list[dict[str, Any]]:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                return [json.loads(m["Body"]) for m in got]

            yield receive
        finally:
            if subscription:
                sns.unsubscribe(SubscriptionArn=subscription)
            sqs.delete_queue(QueueUrl=url)


SCENARIOS: dict[str, Callable[[SelfTest], Outcome]] = {
    "subscriptions": SelfTest.subscriptions,
    "success": SelfTest.success,
    "failure": SelfTest.failure,
    "timeout": SelfTest.timeout,
    "two-at-once": SelfTest.two_at_once,
    "stopped": SelfTest.stopped_from_outside,
    "replace": SelfTest.replace,
    "spot": SelfTest.spot,
    "alert": SelfTest.alert,
    "slot-twice": SelfTest.slot_twice,
    "redrive": SelfTest.redrive,
}
