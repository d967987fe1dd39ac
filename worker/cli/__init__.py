"""The `gongkai` command line: `main` runs one subcommand.

Each subcommand is a function taking the parsed arguments and returning an exit code, so
later commands (watch, results, jobs) slot in beside `parse`.  Problems with an input file
are one line on stderr and an exit code from `extract.errors.ExitCode`, never a traceback:
scripts tell a corrupt file from a scan by the code alone.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence

from extract.errors import ExitCode
from worker.cli.arguments import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run `gongkai` and return its exit code (the console script's entry point)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else ExitCode.usage
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except BrokenPipeError:
        # The reader went away (`gongkai parse … | head`): stop quietly, like a tool killed
        # by SIGPIPE, and keep Python's final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
