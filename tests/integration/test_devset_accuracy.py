"""Every text-layer case of the devset and every seed must come out exactly right.

Scored with `schemas.scoring` (the devset README's rules); scans and images need OCR and
are measured by bench/accuracy.py instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paths import PINGTAN, SEED_TEXTS, TEXT_PDFS

from schemas.scoring import score
from schemas.validate import validate_report
from worker.pipeline import process_file

CASES = [*SEED_TEXTS, *TEXT_PDFS, PINGTAN]


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.name)
def test_report_matches_truth(path: Path) -> None:
    truth = json.loads(path.with_name(f"{path.stem}.truth.json").read_text(encoding="utf-8"))
    report = process_file(path)
    validate_report(report)

    result = score(report, truth)
    wrong = "\n".join(
        f"  {m.path}: expected {m.expected!r}, got {m.got!r}" for m in result.mismatches
    )
    assert result.perfect, (
        f"{result.fields_right}/{result.fields_total} fields right, "
        f"agency/year/edition ok: {result.agency_ok}/{result.year_ok}/{result.edition_ok}\n"
        f"{wrong}"
    )


def test_every_case_exists() -> None:
    """A renamed data file must not silently drop a case."""
    assert len(CASES) == 16
    missing = [path for path in CASES if not path.is_file()]
    assert not missing
