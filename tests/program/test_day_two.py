"""Day-two safety the program sets on what it registers (issue 16): what holds data outlives its removal from
the program, a changed prefix cannot replace the lock table, and a removed job's state machine is given the time
its run in flight may take. The AWS and Pulumi behaviour each option relies on is cited where it is set."""

from __future__ import annotations

import pytest

from tests.support.bad_input import configured, good, manual
from tests.support.pulumi_mocks import Project, RecordingMocks, run_program


def _options(mocks: RecordingMocks, typ: str, name: str) -> dict[str, object]:
    return mocks.one(typ, name).options


def test_what_holds_data_is_kept_when_removed_and_the_lock_table_cannot_be_replaced(project: Project) -> None:
    project.add_job("report.py", good())
    mocks = run_program(project, configured({}))
    kept = {
        ("aws:dynamodb/table:Table", "shared-locks"),  # the jobs' alert state, the slot claims
        ("aws:sns/topic:Topic", "shared-alarms"),  # its confirmed e-mail subscriptions
        ("aws:sqs/queue:Queue", "shared-schedule-dlq"),  # starts EventBridge Scheduler could not deliver
        ("aws:cloudwatch/logGroup:LogGroup", "shared-execution-logs"),  # every run's history
        ("aws:cloudwatch/logGroup:LogGroup", "report-logs"),  # the job's container output
    }
    retained = {(r.type, r.name) for r in mocks.resources if r.options.get("retain_on_delete")}
    assert retained == kept
    protected = {(r.type, r.name) for r in mocks.resources if r.options.get("protect")}
    assert protected == {("aws:dynamodb/table:Table", "shared-locks")}


@pytest.mark.parametrize(
    ("fields", "seconds"),
    [
        # 30m, no retries: 4 attempts (the run and 3 start retries), 210 s of start waits, 300 s of lock steps:
        # 7710 s per execution; then 900 s for the deletion to finish.
        ("", 7710 + 900),
        # 1h with 2 retries of 1m: 6 attempts, 210 s + 180 s of waits (1m, then 2m), 300 s: 22290 s.
        (', retries={"attempts": 2, "interval": "1m"}', 22290 + 900),
    ],
    ids=["30m-no-retries", "1h-two-retries"],
)
def test_a_state_machine_may_take_its_jobs_whole_execution_timeout_to_be_deleted(
    project: Project, fields: str, seconds: int
) -> None:
    timeout = 'timeout="1h"' if fields else 'timeout="30m"'
    project.add_job("report.py", good(fields).replace('timeout="30m"', timeout))
    project.add_job("by_hand.py", manual(fields).replace('timeout="30m"', timeout))
    mocks = run_program(project, configured({}))
    for job in ("report", "by-hand"):
        options = _options(mocks, "aws:sfn/stateMachine:StateMachine", f"{job}-state-machine")
        assert options["delete_timeout"] == f"{seconds}s"
