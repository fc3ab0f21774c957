"""Per-job reads in parallel, in a bounded pool, keeping what was read when some calls fail."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from botocore.exceptions import ClientError

from jobctl.errors import EXIT_OK, aws_exit_code, error_code

# Threads at once. Step Functions' smallest burst bucket that jobctl draws on per job is ListExecutions' 100
# (Step Functions developer guide, "Step Functions service quotas", API action throttling), so 8 threads spend
# the burst in a few seconds and then wait on the refill: more threads would only meet throttling sooner, and
# adaptive retry (jobctl/session.py) slows the shared client down when they do.
WORKERS = 8

Key = TypeVar("Key")
Value = TypeVar("Value")


@dataclass(frozen=True)
class Problem:
    """A read that AWS refused or throttled past every retry: what the output says instead of the value."""

    subject: str
    operation: str
    code: str
    message: str
    exit_code: int

    def to_json(self) -> dict[str, str]:
        return {"job": self.subject, "call": self.operation, "code": self.code, "message": self.message}


@dataclass
class Gathered(Generic[Key, Value]):
    values: dict[Key, Value] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """The highest exit code among the problems: throttled (7) before not found, access denied and the rest."""
        return max((p.exit_code for p in self.problems), default=EXIT_OK)


def problem_of(subject: str, error: ClientError) -> Problem:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return Problem(subject, error.operation_name, error_code(error), message, aws_exit_code(error))


def gather(read: Callable[[Key], Value], keys: Iterable[Key], workers: int = WORKERS) -> Gathered[Key, Value]:
    """`read(key)` for every key, at most `workers` at a time. An AWS error for one key becomes a Problem and
    the others go on; any other exception is raised (after the pool has finished)."""
    ordered = list(keys)
    result: Gathered[Key, Value] = Gathered()
    if not ordered:
        return result
    with ThreadPoolExecutor(max_workers=min(workers, len(ordered)), thread_name_prefix="jobctl") as pool:
        futures = {key: pool.submit(read, key) for key in ordered}
    for key in ordered:
        try:
            result.values[key] = futures[key].result()
        except ClientError as error:
            result.problems.append(problem_of(str(key), error))
    return result
