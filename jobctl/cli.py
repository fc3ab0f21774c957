"""`jobctl`: the command line. Parses arguments, opens an AWS session, runs one command, turns AWS and
user errors into one clear line and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

import boto3
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from jobctl import commands
from jobctl.aws import StackJobs
from jobctl.errors import EXIT_AWS, AwsAccessError, JobctlError
from jobctl.stack_outputs import prefix_of_stack

PREFIX_ENV = "SCHEDULED_JOBS_PREFIX"

_EPILOG = """\
The prefix is the stack's namePrefix (default: the stack name); state machines are <prefix>-<job>.
Credentials and region come from the usual AWS settings (AWS_PROFILE, AWS_REGION, ~/.aws/config).

exit codes: 0 ok, 1 the run failed / timed out / was aborted (or: no logs, lock not deleted),
            2 usage error (unknown job, bad argument), 3 the run was skipped because the job was
            already running, 4 AWS could not be reached or refused (credentials, region, permissions)."""

# Errors that mean "your AWS access is wrong", not "your job is".
_ACCESS_ERRORS = {
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "UnrecognizedClientException",
}


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """The same options on the main parser and each command, so `jobctl status --json` works too.
    Commands default to SUPPRESS so they do not overwrite a value given before the command."""
    parser.add_argument("--prefix", default=default, help=f"stack name prefix (default: ${PREFIX_ENV})")
    parser.add_argument("--stack", default=default, help="read the prefix from this Pulumi stack's outputs")
    parser.add_argument("--region", default=default, help="AWS region (default: from the AWS environment/profile)")
    parser.add_argument("--profile", default=default, help="AWS profile (default: AWS_PROFILE or the default)")
    parser.add_argument("--json", action="store_true", default=default or False, help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobctl",
        description="Run and inspect the scheduled jobs of one stack.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        _common_options(cmd, argparse.SUPPRESS)
        return cmd

    run = command("run", "start a run now")
    run.add_argument("job")
    run.add_argument("--input", action="append", default=[], metavar="KEY=VALUE", help="container environment")
    run.add_argument("--wait", action="store_true", help="wait for the run to end; exit with its outcome")
    run.add_argument(
        "--scheduled-time",
        metavar="UTC_TIME",
        help="the slot to run for, e.g. 2026-11-29T06:00:00Z (the container's SCHEDULED_TIME); default: now. "
        "A slot whose run failed, timed out, was stopped or skipped runs again; one that succeeded needs --rerun",
    )
    run.add_argument("--rerun", action="store_true", help="run a slot again even though it already succeeded")

    status = command("status", "every job (or one) with its last runs and its lock")
    status.add_argument("job", nargs="?")
    status.add_argument("--runs", type=_positive, default=5, metavar="N", help="runs per job (default 5)")

    history = command("history", "a job's past runs, newest first")
    history.add_argument("job")
    history.add_argument("--limit", type=_positive, default=20, metavar="N", help="how many runs (default 20)")

    logs = command("logs", "the container log of a run (default: the latest)")
    logs.add_argument("job")
    logs.add_argument("--execution", metavar="ID", help="execution name or ARN")

    unlock = command("unlock", "delete a stuck lock, if the same run still holds it")
    unlock.add_argument("job")
    unlock.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


_COMMANDS: dict[str, Callable[[StackJobs, argparse.Namespace], int]] = {
    "run": commands.run,
    "status": commands.status,
    "history": commands.history,
    "logs": commands.logs,
    "unlock": commands.unlock,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](_stack_jobs(args), args)
    except JobctlError as error:
        print(f"jobctl: {error}", file=sys.stderr)
        return error.exit_code
    except (NoCredentialsError, PartialCredentialsError):
        print(
            "jobctl: no AWS credentials found: set AWS_PROFILE (and run `aws sso login` if it uses SSO) "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            file=sys.stderr,
        )
    except ClientError as error:
        code, message = error.response["Error"].get("Code", "?"), error.response["Error"].get("Message", "")
        kind = "AWS refused access" if code in _ACCESS_ERRORS else f"AWS error in {error.operation_name}"
        print(f"jobctl: {kind}: {code}: {message}", file=sys.stderr)
    except EndpointConnectionError as error:
        print(f"jobctl: cannot reach AWS: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("jobctl: interrupted (a started run goes on)", file=sys.stderr)
        return 130
    return EXIT_AWS


def _stack_jobs(args: argparse.Namespace) -> StackJobs:
    prefix = args.prefix or (prefix_of_stack(args.stack) if args.stack else None) or os.environ.get(PREFIX_ENV)
    if not prefix:
        raise JobctlError(
            f"no stack prefix: pass --prefix (e.g. --prefix prod), --stack (with the Pulumi CLI) or set {PREFIX_ENV}"
        )
    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
    except ProfileNotFound as error:
        raise AwsAccessError(str(error)) from error
    if not session.region_name:
        raise AwsAccessError("no AWS region: pass --region or set AWS_REGION (or a region in your profile)")
    return StackJobs(session, prefix)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
