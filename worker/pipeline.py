"""One file in, one validated report out: the path every entry point (CLI, tasks, benches) shares.

Kept free of Celery, SQLAlchemy and OpenCV imports so `gongkai parse` on a text PDF costs
little more than pdfplumber itself; whatever needs those imports them lazily.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extract.document import Document
from extract.options import DEFAULTS, ReadOptions
from extract.read import read_document
from extract.report import parse_document
from schemas.rules import is_ruled
from schemas.validate import validate_report

Progress = Callable[[str, int | None, int | None], None]
"""Told (stage, page, pages) as a file goes through: reading, parsing, validating."""


@dataclass(frozen=True, slots=True)
class Processed:
    report: dict[str, Any]
    timings: dict[str, float]
    """Seconds per stage (read, parse, validate, total), kept with the stored report."""


def process_file(path: Path, options: ReadOptions = DEFAULTS) -> dict[str, Any]:
    """Read, parse and validate one report file under the readers' `options`.

    Problems with the input raise `extract.errors.GongkaiError` subclasses.  A report that
    fails validation is a bug of ours, not of the input, so `schemas.validate.InvalidReport`
    propagates unchanged and callers treat it as an internal error.
    """
    return run(path, options=options).report


def run(path: Path, progress: Progress | None = None, options: ReadOptions = DEFAULTS) -> Processed:
    """`process_file` with the time each stage took, reporting stages to `progress`."""
    tell = progress or (lambda stage, page, pages: None)
    started = time.perf_counter()
    tell("reading", None, None)
    document = read_document(
        path, options, on_page=lambda done, total: tell("reading", done, total)
    )
    read = time.perf_counter()
    pages = len(document.pages)
    tell("parsing", pages, pages)
    report = parse_document(document)
    if _read_again(path, document, report, options):
        report = parse_document(document)
    parsed = time.perf_counter()
    tell("validating", pages, pages)
    validate_report(report)
    done = time.perf_counter()
    timings = {
        "read": read - started,
        "parse": parsed - read,
        "validate": done - parsed,
        "total": done - started,
    }
    return Processed(report, {stage: round(seconds, 4) for stage, seconds in timings.items()})


REREAD_REASONS = frozenset({"ocr_breaks_arithmetic", "ocr_unreadable"})
"""Review reasons whose cells OCR reads again, other ways, before a second parse."""


def _read_again(
    path: Path, document: Document, report: dict[str, Any], options: ReadOptions
) -> bool:
    """Have OCR read again the cells the parser nulled (their readings break the table's
    sums, or could not be read); whether any cell gained a reading to weigh.

    The parser keeps a new reading only where it alone makes the sums hold, so this can
    fill a null but never change a number that was kept.
    """
    cells = [
        cell
        for reason in report["review"]["reasons"]
        if reason["reason"] in REREAD_REASONS
        for cell in reason["paths"]
        if is_ruled(cell)  # a new reading elsewhere has no sum to confirm it
    ]
    requests = [
        (entry["page"], tuple(entry["bbox"]))
        for entry in map(report["provenance"].get, cells)
        if entry and entry["bbox"] and entry["method"] == "ocr"
    ]
    if not requests:
        return False
    from extract.ocr import OcrSettings, reread_cells  # OpenCV only for scans

    return document.add_alternatives(
        reread_cells(path, requests, OcrSettings.from_options(options))
    )
