"""Every numbered moto workaround's hook still exists in the installed moto, and a moved one is reported by
its number and name (tests/support/moto_hooks.py), not by a test timing out."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs import (
    StateTaskServiceSqs,
)

from tests.support import moto_harness as harness
from tests.support.moto_hooks import HOOKS, Hook, problems

aws = harness.aws  # moto with its numbered workarounds, and the test playing ECS


@pytest.mark.parametrize("hook", HOOKS, ids=[f"{h.workaround}-{h.attribute}" for h in HOOKS])
def test_moto_still_has_what_the_workaround_patches(hook: Hook) -> None:
    assert hook.problem() is None, problems((hook,))


def test_every_numbered_workaround_has_a_check() -> None:
    numbered = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14}  # 9 patches nothing of moto's
    assert {hook.workaround for hook in HOOKS} >= numbered


def test_a_moved_hook_is_reported_by_its_workaround() -> None:
    renamed = dataclasses.replace(HOOKS[2], attribute="time.snooze")
    changed_signature = dataclasses.replace(HOOKS[3], parameters=("self", "environment"))
    assert problems((renamed, changed_signature)) == [
        "moto workaround 3 (Retry waits recorded, not slept) no longer applies: "
        "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time.snooze is gone",
        "moto workaround 4 (a fresh task token per attempt) no longer applies: "
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs."
        "StateTaskServiceSqs._eval_execution now takes ('self', 'env'), the workaround passes ('self', 'environment')",
    ]


def test_a_stop_while_a_run_state_is_scheduled_leaves_a_readable_history(
    aws: harness.Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workaround 14, forced: the stop lands between RunJob's entry and its TaskScheduled event, as the
    self-test's stop of a canary that has just taken the lock can (seen on CI). Without the workaround the
    history cannot be read at all."""
    original = StateTaskServiceSqs._before_eval_execution

    def stopped_first(service: StateTaskServiceSqs, env: Any, *args: Any, **kwargs: Any) -> None:
        aws.sfn.stop_execution(executionArn=env.states.context_object.context_object_data["Execution"]["Id"])
        original(service, env, *args, **kwargs)

    monkeypatch.setattr(StateTaskServiceSqs, "_before_eval_execution", stopped_first)
    execution = aws.start(aws.job_machine(), "stopped-while-scheduled", {"scheduledTime": "2026-12-01T06:00:00Z"})
    aws.task_stopped(aws.next_run(), exit_code=0)  # workaround 7: wakes the stopped state's thread
    assert aws.ended(execution)["status"] == "ABORTED"
    events = aws.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    scheduled = [event["taskScheduledEventDetails"] for event in events if event["type"] == "TaskScheduled"]
    run_job = [details for details in scheduled if "waitForTaskToken" in details["resource"]]
    assert [details["timeoutInSeconds"] for details in run_job] == [600]  # REPORT's timeout="10m"
