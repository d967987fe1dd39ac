"""Text PDFs whose tables have no ruling lines: the reader's fallback groups words by line.

The devset's PDFs are all ruled, so the tests print their characters again, at the same
places, into PDFs with no lines at all (reportlab's built-in CID font for Chinese).
"""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
import pytest
from paths import DEVSET, HUAIAN
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from schemas.scoring import score
from worker.pipeline import process_file

CASES = [DEVSET / "dev-01.pdf", DEVSET / "dev-04.pdf", DEVSET / "dev-08.pdf", HUAIAN]


def unruled_copy(source: Path, target: Path) -> Path:
    """The same characters at the same places, and nothing else."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    drawing = canvas.Canvas(str(target))
    with pdfplumber.open(source) as pdf:
        for page in pdf.pages:
            drawing.setPageSize((page.width, page.height))
            for char in page.chars:
                drawing.setFont("STSong-Light", char["size"])
                baseline = page.height - char["bottom"] + char["size"] * 0.12
                drawing.drawString(char["x0"], baseline, char["text"])
            drawing.showPage()
    drawing.save()
    return target


@pytest.mark.parametrize("source", CASES, ids=lambda path: path.stem)
def test_report_without_ruling_lines_reads_like_the_ruled_one(source: Path, tmp_path: Path) -> None:
    copy = unruled_copy(source, tmp_path / source.name)
    with pdfplumber.open(copy) as pdf:
        assert not any(page.edges for page in pdf.pages)  # really no lines left

    truth = json.loads(source.with_suffix(".truth.json").read_text(encoding="utf-8"))
    result = score(process_file(copy), truth)

    assert result.mismatches == []
    assert result.fields_right == result.fields_total
