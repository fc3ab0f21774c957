"""One module per jobctl command, each with NAME, HELP, add_arguments(parser) and run(ctx) -> exit code; the
CLI builds its parser from this list, so a new command is one new module and one line here."""

from __future__ import annotations

from types import ModuleType

from jobctl.commands import (
    backfill,
    dlq,
    history,
    logs,
    ls,
    pause,
    redrive,
    rename,
    resume,
    run,
    selftest,
    status,
    stop,
    unlock,
)

COMMANDS: tuple[ModuleType, ...] = (
    *(ls, status, history, run, logs, stop, unlock),
    *(pause, resume, backfill, redrive, dlq, selftest, rename),
)
