"""The `gongkai` command line.

Each subcommand is a function taking the parsed arguments and returning an exit code, so
later commands (watch, results, jobs) slot in beside `parse`.  Problems with an input file
are one line on stderr and an exit code from `extract.errors.ExitCode`, never a traceback:
scripts tell a corrupt file from a scan by the code alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from extract.errors import ExitCode, FileAccess, GongkaiError

UNKNOWN_AGENCY = "_unknown-agency"
UNKNOWN_YEAR = "unknown-year"
_MAX_NAME_BYTES = 200  # below the usual 255-byte limit of one path component


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


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        help="let unexpected errors propagate with their traceback",
    )

    parser = argparse.ArgumentParser(
        prog="gongkai",
        description="Parse 政府信息公开工作年度报告 into JSON following the gongkai contract.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    parse = commands.add_parser(
        "parse",
        parents=[common],
        help="parse report files and print or write their JSON",
        description=(
            "Parse each FILE into one JSON report.  One file: a pretty JSON document on "
            "stdout.  Several files: JSON Lines, one compact document per line, in argument "
            "order.  A file that fails is reported on stderr and the others still run."
        ),
    )
    parse.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parse.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write DIR/<agency>/<year>.json for each file and print the written paths",
    )
    layout = parse.add_mutually_exclusive_group()
    layout.add_argument(
        "--pretty",
        dest="pretty",
        action="store_true",
        default=None,
        help="indented JSON (default for one file on stdout and for --out files)",
    )
    layout.add_argument(
        "--compact",
        dest="pretty",
        action="store_false",
        default=None,
        help="one line per document (default for several files on stdout)",
    )
    parse.set_defaults(run=_run_parse)
    return parser


class _VersionAction(argparse.Action):
    """`--version`, looking the version up only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import version

        print(f"gongkai {version('gongkai')}")
        parser.exit()


def _run_parse(args: argparse.Namespace) -> int:
    from worker.pipeline import process_file  # the heavy imports only for this command

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # JSON is UTF-8 whatever the locale says
    pretty = args.pretty
    if pretty is None:
        pretty = len(args.files) == 1 or args.out is not None
    failures: list[ExitCode] = []
    for path in args.files:
        try:
            report = process_file(path)
            if args.out is None:
                line = _dumps(report, pretty)
            else:
                target = output_path(args.out, report)
                _write_atomically(target, _dumps(report, pretty) + "\n")
                line = str(target)
        except GongkaiError as exc:
            _report_failure(path, exc.message)
            failures.append(exc.exit_code)
            continue
        except Exception as exc:
            if args.debug:
                raise
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            _report_failure(path, f"internal error: {detail}")
            failures.append(ExitCode.internal)
            continue
        print(line, flush=True)
    return exit_code(failures)


def exit_code(failures: Iterable[ExitCode]) -> int:
    """0 when nothing failed, the shared code when every failure is of one kind, else 1."""
    kinds = set(failures)
    if not kinds:
        return ExitCode.ok
    return kinds.pop() if len(kinds) == 1 else ExitCode.several_kinds


def output_path(out: Path, report: Mapping[str, Any]) -> Path:
    """`out/<agency>/<year>.json`, the agency made safe as one path component."""
    agency = safe_component(report.get("agency") or "") or UNKNOWN_AGENCY
    year = report.get("year")
    return out / agency / f"{UNKNOWN_YEAR if year is None else year}.json"


def safe_component(name: str) -> str:
    """One path component from free text: no separators, no control characters, no `..`.

    Agency names come from the report's title, i.e. from the input file: they must not be
    able to point outside the output folder or hide the file.
    """
    kept = "".join(
        "_" if char in "/\\" else char
        for char in name
        if not unicodedata.category(char).startswith("C")
    )
    kept = kept.strip(". ").replace("..", "_")
    return kept.encode()[:_MAX_NAME_BYTES].decode(errors="ignore")


def _write_atomically(target: Path, text: str) -> None:
    """Write via a temporary sibling, so a reader never sees half a report."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise FileAccess(f"cannot write {target}: {exc.strerror or exc}") from exc


def _dumps(report: Mapping[str, Any], pretty: bool) -> str:
    if pretty:
        return json.dumps(report, ensure_ascii=False, indent=2)
    return json.dumps(report, ensure_ascii=False, separators=(",", ":"))


def _report_failure(path: Path, message: str) -> None:
    one_line = " ".join(message.split())
    print(f"gongkai: {path}: {one_line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
