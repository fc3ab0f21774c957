"""Errors a user can act on, each with the exit code the CLI ends with."""

from __future__ import annotations

# Exit codes, documented in `jobctl --help`.
EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 3
EXIT_AWS = 4


class JobctlError(Exception):
    """A problem worth one clear line on stderr instead of a traceback."""

    exit_code = EXIT_USAGE


class UnknownJob(JobctlError):
    """The job has no state machine under this prefix; the message lists the jobs that do."""

    def __init__(self, job: str, prefix: str, known: list[str]) -> None:
        listed = ", ".join(known) if known else "none: is the prefix or the region wrong?"
        super().__init__(f"no job {job!r} under prefix {prefix!r}; known jobs: {listed}")


class AwsAccessError(JobctlError):
    """Credentials, region or permissions are missing: nothing about the jobs themselves."""

    exit_code = EXIT_AWS
