"""Every numbered moto workaround's hook still exists in the installed moto, and a moved one is reported by
its number and name (tests/support/moto_hooks.py), not by a test timing out."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.moto_hooks import HOOKS, Hook, problems


@pytest.mark.parametrize("hook", HOOKS, ids=[f"{h.workaround}-{h.attribute}" for h in HOOKS])
def test_moto_still_has_what_the_workaround_patches(hook: Hook) -> None:
    assert hook.problem() is None, problems((hook,))


def test_every_numbered_workaround_has_a_check() -> None:
    assert {hook.workaround for hook in HOOKS} >= {1, 2, 3, 4, 5, 6, 7, 8, 10, 11}  # 9 patches nothing of moto's


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
