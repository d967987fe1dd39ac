"""`gongkai parse`: files in, JSON out, one line on stderr and an exit code per failure."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from extract.errors import ExitCode, GongkaiError
from worker.files import UNKNOWN_AGENCY, UNKNOWN_YEAR, safe_component, write_atomically


def run_parse(args: argparse.Namespace) -> int:
    from worker.pipeline import process_file  # the heavy imports only for this command
    from worker.settings import load

    try:
        options = load().read_options()
    except GongkaiError as exc:
        print(f"gongkai: {exc.message}", file=sys.stderr, flush=True)
        return exc.exit_code
    if args.jobs:
        options = replace(options, ocr_jobs=args.jobs)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # JSON is UTF-8 whatever the locale says
    pretty = args.pretty
    if pretty is None:
        pretty = len(args.files) == 1 or args.out is not None
    failures: list[ExitCode] = []
    for path in args.files:
        try:
            report = process_file(path, options)
            if args.out is None:
                line = dumps(report, pretty)
            else:
                target = output_path(args.out, report)
                write_atomically(target, (dumps(report, pretty) + "\n").encode())
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


def dumps(report: Any, pretty: bool) -> str:
    if pretty:
        return json.dumps(report, ensure_ascii=False, indent=2)
    return json.dumps(report, ensure_ascii=False, separators=(",", ":"))


def _report_failure(path: Path, message: str) -> None:
    one_line = " ".join(message.split())
    print(f"gongkai: {path}: {one_line}", file=sys.stderr, flush=True)
