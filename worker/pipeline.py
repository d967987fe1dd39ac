"""One file in, one validated report out: the path every entry point (CLI, tasks, benches) shares.

Kept free of Celery, SQLAlchemy and OpenCV imports so `gongkai parse` on a text PDF costs
little more than pdfplumber itself; whatever needs those imports them lazily.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from extract.read import read_document
from extract.report import parse_document
from schemas.validate import validate_report


def process_file(path: Path) -> dict[str, Any]:
    """Read, parse and validate one report file.

    Problems with the input raise `extract.errors.GongkaiError` subclasses.  A report that
    fails validation is a bug of ours, not of the input, so `schemas.validate.InvalidReport`
    propagates unchanged and callers treat it as an internal error.
    """
    report = parse_document(read_document(path))
    validate_report(report)
    return report
