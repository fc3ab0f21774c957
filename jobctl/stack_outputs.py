"""The stack's name prefix from `pulumi stack output`, for users who have the Pulumi CLI and would
rather name the stack than remember its prefix."""

from __future__ import annotations

import shutil
import subprocess

from jobctl.errors import JobctlError

PREFIX_OUTPUT = "namePrefix"  # exported by __main__.py


def prefix_of_stack(stack: str) -> str:
    """`pulumi stack output namePrefix --stack STACK`; a clear error without the CLI or the output."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise JobctlError(f"--stack {stack} needs the Pulumi CLI on PATH; without it pass --prefix")
    result = subprocess.run(
        [pulumi, "stack", "output", PREFIX_OUTPUT, "--stack", stack],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    prefix = result.stdout.strip()
    if result.returncode != 0 or not prefix:
        detail = result.stderr.strip() or f"no output {PREFIX_OUTPUT!r} (deploy the stack first)"
        raise JobctlError(f"cannot read stack {stack}'s {PREFIX_OUTPUT}: {detail}")
    return prefix
