"""The moto internals each numbered workaround (moto_harness.py 1-10, 12-14, moto_run_states.py 11) relies on,
checked before a test uses them: when a moto release renames one, the failure names the workaround at
once, instead of a test waiting out its timeout on a patch that no longer takes effect."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

_PARSER = "moto.stepfunctions.parser"
_TASK_SERVICE = f"{_PARSER}.asl.component.state.exec.state_task.service"


@dataclass(frozen=True)
class Hook:
    workaround: int
    what: str
    module: str
    attribute: str  # "Class.member" or "member"
    parameters: tuple[str, ...] = ()  # names the patched callable must take, in this order

    def problem(self) -> str | None:
        """None if moto still has it as the workaround expects, else what changed."""
        try:
            target: object = importlib.import_module(self.module)
        except ImportError as error:
            return f"module {self.module} is gone ({error})"
        for part in self.attribute.split("."):
            if not hasattr(target, part):
                return f"{self.module}.{self.attribute} is gone"
            target = getattr(target, part)
        if self.parameters:
            if not callable(target):
                return f"{self.module}.{self.attribute} is no longer callable"
            names = tuple(inspect.signature(target).parameters)[: len(self.parameters)]
            if names != self.parameters:
                return f"{self.module}.{self.attribute} now takes {names}, the workaround passes {self.parameters}"
        return None


HOOKS: tuple[Hook, ...] = (
    Hook(
        1,
        "run state stand-ins (sqs:sendMessage.waitForTaskToken)",
        f"{_TASK_SERVICE}.state_task_service_sqs",
        "StateTaskServiceSqs",
    ),
    Hook(2, "JSONata evaluated by jsonata-python", f"{_PARSER}.asl.jsonata.jsonata", "_eval_jsonata"),
    Hook(3, "Retry waits recorded, not slept", f"{_PARSER}.asl.component.common.retry.retrier_decl", "time.sleep"),
    Hook(
        4,
        "a fresh task token per attempt",
        f"{_TASK_SERVICE}.state_task_service_sqs",
        "StateTaskServiceSqs._eval_execution",
        ("self", "env"),
    ),
    Hook(
        5, "'States.' errors let through (callback)", f"{_TASK_SERVICE}.state_task_service_callback", "CustomErrorName"
    ),
    Hook(
        5,
        "'States.' errors let through (Fail state)",
        f"{_PARSER}.asl.component.state.fail.state_fail",
        "CustomErrorName",
    ),
    Hook(
        6,
        "failure cause handed to the backend",
        f"{_PARSER}.models",
        "StepFunctionsParserBackend.send_task_failure",
        ("self", "task_token", "error", "cause"),
    ),
    Hook(
        7,
        "a stopped execution's pending state answered",
        f"{_PARSER}.models",
        "StepFunctionsParserBackend.send_task_success",
        ("self", "task_token", "outcome"),
    ),
    Hook(8, "conditional writes serialised (put)", "moto.dynamodb.models", "DynamoDBBackend.put_item"),
    Hook(8, "conditional writes serialised (delete)", "moto.dynamodb.models", "DynamoDBBackend.delete_item"),
    Hook(8, "conditional writes serialised (update)", "moto.dynamodb.models", "DynamoDBBackend.update_item"),
    Hook(
        10,
        "Wait states recorded, not slept",
        f"{_PARSER}.asl.component.state.wait.wait_function.wait_function",
        "WaitFunction._wait_interval",
        ("self", "env", "wait_seconds"),
    ),
    Hook(
        11,
        "aws-sdk:sfn:stopExecution's argument names",
        f"{_TASK_SERVICE}.state_task_service_aws_sdk",
        "StateTaskServiceAwsSdk._normalise_parameters",
        ("self", "parameters"),
    ),
    Hook(
        11,
        "aws-sdk:sfn:stopExecution's argument names (request shape)",
        f"{_TASK_SERVICE}.state_task_service_aws_sdk",
        "StateTaskServiceAwsSdk._to_boto_request",
    ),
    Hook(
        12,
        "redrive simulated: the Context object's Execution.RedriveCount",
        f"{_PARSER}.backend.execution_worker",
        "ExecutionData",
    ),
    Hook(
        13,
        "States.QueryEvaluationError for a JSONata error in a DynamoDB task's Arguments",
        f"{_TASK_SERVICE}.state_task_service_dynamodb",
        "StateTaskServiceDynamoDB._from_error",
        ("self", "env", "ex"),
    ),
    Hook(
        14,
        "a literal TimeoutSeconds recorded for a state stopped while being scheduled",
        f"{_PARSER}.asl.component.common.timeouts.timeout",
        "TimeoutSeconds.eval",
        ("self", "env"),
    ),
    Hook(
        14,
        "(the evaluation it skips once an execution stopped)",
        f"{_PARSER}.asl.component.eval_component",
        "EvalComponent.eval",
        ("self", "env"),
    ),
    # Not a numbered workaround: the replace tests order two replacers' reads by holding GetItem.
    Hook(0, "interleavings forced at GetItem (moto_run_states.py)", "moto.dynamodb.models", "DynamoDBBackend.get_item"),
)


def problems(hooks: tuple[Hook, ...] = HOOKS) -> list[str]:
    return [
        f"moto workaround {hook.workaround} ({hook.what}) no longer applies: {problem}"
        for hook in hooks
        if (problem := hook.problem()) is not None
    ]


def require_moto_hooks(fail: Callable[[str], object]) -> None:
    """Call `fail` (pytest.fail) with every broken workaround, each named, before any execution starts."""
    found = problems()
    if found:
        fail("\n".join(found) + "\n(moto is pinned to 5.2.x in pyproject.toml; see tests/support/moto_harness.py)")
