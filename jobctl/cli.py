"""`jobctl`: the command line. Parses arguments, opens an AWS session, runs one command, and turns AWS and user
errors into one clear line (or, with --json, one JSON document) and a distinct exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from jobctl import session
from jobctl.aws import StackJobs
from jobctl.commands import COMMANDS
from jobctl.commands.common import Context
from jobctl.errors import (
    ACCESS_CODES,
    EXIT_ACCESS_DENIED,
    EXIT_AWS,
    EXIT_CODE_NAMES,
    EXIT_INTERRUPTED,
    THROTTLING_CODES,
    JobctlError,
    aws_exit_code,
    error_code,
)
from jobctl.output import SCHEMA
from jobctl.stack_outputs import prefix_of_stack

PREFIX_ENV = "SCHEDULED_JOBS_PREFIX"

_EPILOG = """\
The prefix is the stack's namePrefix (required in Pulumi.<stack>.yaml); state machines are <prefix>-<job>.
Credentials and region come from the usual AWS settings (AWS_PROFILE, AWS_REGION, ~/.aws/config).
Tables fit the terminal (--wide: never cut) and show times in the job's time zone (--utc: in UTC);
colour only on a terminal, never with NO_COLOR set. --json: one document with "schema": "jobctl/v1".

exit codes:
  0  ok
  1  the run failed, timed out or was aborted (also: no log found, lock not deleted, answered no)
  2  usage error: a bad argument, or a question off a terminal without --yes
  3  the run was skipped because the job was already running
  4  AWS could not be reached, or answered with another error
  5  access denied: no credentials or region, or AWS refused them or the permission
  6  not found: no such job, run or lock table, or no jobs at all under the prefix
  7  throttled: AWS throttled calls past every retry; what was read is printed, with a note
  8  the run was skipped because the job is paused (jobctl pause)
  9  the run was skipped because its slot already ran (a second delivery of the slot)
130  interrupted (Ctrl-C); a run that was started goes on"""


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    """The same options on the main parser and each command, so `jobctl status --json` works too.
    Commands default to SUPPRESS so they do not overwrite a value given before the command."""
    flag = default if default is argparse.SUPPRESS else False
    parser.add_argument("--prefix", default=default, help=f"stack name prefix (default: ${PREFIX_ENV})")
    parser.add_argument("--stack", default=default, help="read the prefix from this Pulumi stack's outputs")
    parser.add_argument("--region", default=default, help="AWS region (default: from the AWS environment/profile)")
    parser.add_argument("--profile", default=default, help="AWS profile (default: AWS_PROFILE or the default)")
    parser.add_argument("--json", action="store_true", default=flag, help="machine-readable output (jobctl/v1)")
    parser.add_argument("--wide", action="store_true", default=flag, help="never cut table cells to fit")
    parser.add_argument("--utc", action="store_true", default=flag, help="times in UTC, not the job's time zone")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobctl",
        description="Run and inspect the scheduled jobs of one stack.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        cmd = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        _common_options(cmd, argparse.SUPPRESS)
        command.add_arguments(cmd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = next(c for c in COMMANDS if c.NAME == args.command)
    try:
        return int(command.run(Context(_stack_jobs(args), args)))
    except JobctlError as error:
        return _fail(args, error.exit_code, str(error))
    except (NoCredentialsError, PartialCredentialsError):
        return _fail(
            args,
            EXIT_ACCESS_DENIED,
            "no AWS credentials found: set AWS_PROFILE (and run `aws sso login` if it uses SSO) "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        )
    except ClientError as error:
        code, message = error_code(error), error.response.get("Error", {}).get("Message", "")
        if code in ACCESS_CODES:
            kind = "AWS refused access"
        elif code in THROTTLING_CODES:
            kind = f"AWS throttled {error.operation_name} past every retry (try again later)"
        else:
            kind = f"AWS error in {error.operation_name}"
        return _fail(args, aws_exit_code(error), f"{kind}: {code}: {message}")
    except EndpointConnectionError as error:
        return _fail(args, EXIT_AWS, f"cannot reach AWS: {error}")
    except KeyboardInterrupt:
        print("jobctl: interrupted (a started run goes on)", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fail(args: argparse.Namespace, exit_code: int, message: str) -> int:
    """One line on stderr; with --json also the error as a document on stdout, so a script sees it there."""
    print(f"jobctl: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        error = {"code": EXIT_CODE_NAMES.get(exit_code, "error"), "exit_code": exit_code, "message": message}
        document = {"schema": SCHEMA, "command": args.command, "error": error}
        print(json.dumps(document, indent=2, sort_keys=True))
    return exit_code


def _stack_jobs(args: argparse.Namespace) -> StackJobs:
    prefix = args.prefix or (prefix_of_stack(args.stack) if args.stack else None) or os.environ.get(PREFIX_ENV)
    if not prefix:
        raise JobctlError(
            f"no stack prefix: pass --prefix (e.g. --prefix prod), --stack (with the Pulumi CLI) or set {PREFIX_ENV}"
        )
    return StackJobs(session.open_session(args.profile, args.region), prefix)


if __name__ == "__main__":
    sys.exit(main())
