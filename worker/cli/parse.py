"""`gongkai parse`: files in, JSON out, one line on stderr and an exit code per failure.

With `--out DIR` each report is written as `DIR/<agency>/<year>.json`, and never over the
file of another document: reports whose agency or year could not be read share a name, and
so do two editions of one report.  The file's `source.sha256` says which document it holds;
the same document is written again in place, another one beside it with its SHA-256.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from extract.errors import ExitCode, FileAccess, GongkaiError
from worker.files import UNKNOWN_AGENCY, UNKNOWN_YEAR, safe_component, write_atomically

_LARGEST_REPORT_FILE = 64 * 1024 * 1024  # a file this big under DIR is no report of ours


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
    if args.out is not None:
        unusable = _unusable_folder(args.out)
        if unusable:
            print(f"gongkai: --out {args.out}: {unusable}", file=sys.stderr, flush=True)
            return ExitCode.file_access
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
                wanted = output_path(args.out, report)
                target = write_report(wanted, report, (dumps(report, pretty) + "\n").encode())
                if target != wanted:
                    _report_failure(path, f"{wanted} holds another document; written to {target}")
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


def write_report(wanted: Path, report: Mapping[str, Any], data: bytes) -> Path:
    """Write `data` at `wanted`, or where it does not replace another document's file:
    `wanted` when it is free or holds the same document (by `source.sha256`), else
    `<year>.<12 hex digits of the SHA-256>.json` beside it (the full SHA-256 should even
    that be taken).  A free name is claimed with an exclusive create before it is written,
    so two processes never write the same one.  Returns the path written."""
    sha256 = str(report.get("source", {}).get("sha256", ""))
    try:
        wanted.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileAccess(f"cannot write {wanted}: {exc.strerror or exc}") from exc
    for target in _names(wanted, sha256):
        holder = _held_by(target)
        claimed = holder is None and _claim(target)
        if claimed or (sha256 and holder == sha256):
            try:
                write_atomically(target, data)
            except FileAccess:
                if claimed:  # leave the name free, not held by an empty file
                    with contextlib.suppress(OSError):
                        target.unlink()
                raise
            return target
    raise FileAccess(f"cannot write {wanted}: it and the names beside it hold other documents")


def _claim(target: Path) -> bool:
    """Take a free name with an exclusive create; False when another process was first."""
    try:
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    except OSError as exc:
        raise FileAccess(f"cannot write {target}: {exc.strerror or exc}") from exc
    return True


def _names(wanted: Path, sha256: str) -> Iterator[Path]:
    yield wanted
    if sha256:
        yield wanted.with_name(f"{wanted.stem}.{sha256[:12]}{wanted.suffix}")
        yield wanted.with_name(f"{wanted.stem}.{sha256}{wanted.suffix}")


def _held_by(path: Path) -> str | None:
    """The SHA-256 of the document a report file holds; None when there is no file, ""
    when it is something else (not our JSON, unreadable, a folder)."""
    try:
        if path.stat().st_size > _LARGEST_REPORT_FILE:
            return ""
        held = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return ""
    source = held.get("source") if isinstance(held, dict) else None
    return str(source.get("sha256") or "") if isinstance(source, dict) else ""


def _unusable_folder(out: Path) -> str | None:
    """Why `--out` cannot take the reports (it is a file, or cannot be made or written),
    told once and before any parsing, instead of once per report; None when it can."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return "not a directory"
    except OSError as exc:
        return f"cannot create the folder: {exc.strerror or exc}"
    if not os.access(out, os.W_OK | os.X_OK):
        return "the folder is not writable"
    return None


def dumps(report: Any, pretty: bool) -> str:
    if pretty:
        return json.dumps(report, ensure_ascii=False, indent=2)
    return json.dumps(report, ensure_ascii=False, separators=(",", ":"))


def _report_failure(path: Path, message: str) -> None:
    one_line = " ".join(message.split())
    print(f"gongkai: {path}: {one_line}", file=sys.stderr, flush=True)
