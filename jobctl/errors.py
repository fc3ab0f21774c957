"""Errors a user can act on, each with the exit code the CLI ends with, and which AWS error codes mean what."""

from __future__ import annotations

from botocore.exceptions import ClientError

# Exit codes, documented in `jobctl --help` and docs/jobctl.md.
EXIT_OK = 0
EXIT_RUN_FAILED = 1  # the run failed, timed out or was aborted; also: no log found, lock not deleted
EXIT_USAGE = 2  # a bad argument, or a question that needs a terminal (or --yes)
EXIT_SKIPPED = 3  # the run was skipped because the job was already running
EXIT_AWS = 4  # AWS could not be reached, or answered with an error not listed below
EXIT_ACCESS_DENIED = 5  # no credentials, no region, or AWS refused the credentials or the permission
EXIT_NOT_FOUND = 6  # no such job, run, lock table, or no jobs at all under the prefix
EXIT_THROTTLED = 7  # AWS throttled a call past every retry; what was read is printed, with a note
EXIT_SKIPPED_PAUSED = 8  # the run was skipped because the job is paused (`jobctl pause`)
EXIT_SKIPPED_SLOT_RAN = 9  # the run was skipped because its slot already ran (a second delivery of the slot)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)

EXIT_CODE_NAMES = {
    EXIT_OK: "ok",
    EXIT_RUN_FAILED: "run_failed",
    EXIT_USAGE: "usage",
    EXIT_SKIPPED: "skipped",
    EXIT_AWS: "aws_error",
    EXIT_ACCESS_DENIED: "access_denied",
    EXIT_NOT_FOUND: "not_found",
    EXIT_THROTTLED: "throttled",
    EXIT_SKIPPED_PAUSED: "skipped_paused",
    EXIT_SKIPPED_SLOT_RAN: "skipped_slot_already_ran",
    EXIT_INTERRUPTED: "interrupted",
}

# The error codes botocore's retry handler itself treats as throttling (botocore/retries/standard.py,
# ThrottledRetryableChecker._THROTTLED_ERROR_CODES), plus DynamoDB's ProvisionedThroughputExceededException
# (DynamoDB developer guide, "Error handling": "reduce the frequency of requests", retried by the SDKs).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
# "Your AWS access is wrong", not "your job is": IAM denials and bad or expired credentials (AWS API
# common errors: AccessDeniedException, ExpiredTokenException, InvalidClientTokenId, ...).
ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "UnrecognizedClientException",
    }
)
# What a missing job, run or table answers: Step Functions StateMachineDoesNotExist / ExecutionDoesNotExist,
# DynamoDB, Scheduler and CloudWatch Logs ResourceNotFoundException (their API references, "Errors").
NOT_FOUND_CODES = frozenset({"StateMachineDoesNotExist", "ExecutionDoesNotExist", "ResourceNotFoundException"})


def aws_exit_code(error: ClientError) -> int:
    code = error_code(error)
    if code in THROTTLING_CODES:
        return EXIT_THROTTLED
    if code in ACCESS_CODES:
        return EXIT_ACCESS_DENIED
    if code in NOT_FOUND_CODES:
        return EXIT_NOT_FOUND
    return EXIT_AWS


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "?"))


def is_throttling(error: ClientError) -> bool:
    return error_code(error) in THROTTLING_CODES


class JobctlError(Exception):
    """A problem worth one clear line on stderr instead of a traceback."""

    exit_code = EXIT_USAGE


class NotFound(JobctlError):
    """A job, run or table that is not there."""

    exit_code = EXIT_NOT_FOUND


class UnknownJob(NotFound):
    """The job has no state machine under this prefix; the message lists the jobs that do."""

    def __init__(self, job: str, prefix: str, known: list[str]) -> None:
        listed = ", ".join(known) if known else "none: is the prefix or the region wrong?"
        super().__init__(f"no job {job!r} under prefix {prefix!r}; known jobs: {listed}")


class NoJobs(NotFound):
    """Nothing under the prefix at all: a wrong --prefix or region, said as such (not an empty table)."""

    def __init__(self, prefix: str, region: str | None, other_prefixes: list[str]) -> None:
        others = f" Stacks found there: {', '.join(other_prefixes)}" if other_prefixes else ""
        super().__init__(f"no jobs under prefix {prefix!r} in {region}: is the prefix or the region wrong?{others}")


class AwsAccessError(JobctlError):
    """Credentials, region or permissions are missing: nothing about the jobs themselves."""

    exit_code = EXIT_ACCESS_DENIED
