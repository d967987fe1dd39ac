"""OCR end to end: scans and images read through `worker.pipeline.process_file`, scored
against their truth with `schemas.scoring`.

- The devset's own scans and images (dev-10 … dev-15).
- Scans made here from the text-layer PDFs (rendered at 300 dpi with pypdfium2, turned by
  ±1°, grey noise and specks added, saved as an image-only PDF or a multi-page TIFF): the
  OCR path checked against the text path on the same content.  Four run by default
  (SYNTHETIC_DEFAULT); GONGKAI_TEST_ALL_SCANS=1 runs all ten.
- Pages upside down and sideways, a PDF mixing text and scanned pages, the limits.
- Fault injection: a Tesseract that crashes, is killed, hangs, is missing or lacks chi_sim
  fails its document with a clear error (the choice made here: fail the document, never a
  half-read report), and never hangs.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from paths import TEXT_PDFS
from PIL import Image

from bench.paper import scan as scan_pages
from extract.errors import ExitCode, LimitExceeded, MissingDependency, OcrFailed
from extract.options import ReadOptions
from extract.read import read_document
from schemas.scoring import Score, score
from worker.pipeline import process_file
from worker.settings import load

SCANS = {  # the devset's scans and images, and the field accuracy each must reach
    "dev-10.pdf": 0.99,  # 200 dpi
    "dev-11.pdf": 0.995,  # 300 dpi
    "dev-12.pdf": 0.99,
    "dev-13.pdf": 0.995,
    "dev-14.png": 0.99,  # images
    "dev-15.jpg": 0.99,
}
SOURCES = TEXT_PDFS
SYNTHETIC_DEFAULT = {"dev-01.pdf", "dev-04.pdf", "dev-08.pdf", "huaian-shi-2024.pdf"}
ALL_SCANS = os.environ.get("GONGKAI_TEST_ALL_SCANS") == "1"


def truth_of(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(f"{path.stem}.truth.json").read_text(encoding="utf-8"))


def assert_read_right(report: dict[str, Any], truth: dict[str, Any], minimum: float) -> Score:
    """Every non-zero truth cell right, field accuracy at least `minimum`, and agency and
    year right when the truth has them (the title is on the page)."""
    result = score(report, truth)
    wrong = "\n".join(
        f"  {m.path}: expected {m.expected!r}, got {m.got!r}" for m in result.mismatches
    )
    summary = (
        f"{result.fields_right}/{result.fields_total} fields, "
        f"{result.nonzero_right}/{result.nonzero_total} non-zero\n{wrong}"
    )
    assert result.nonzero_right == result.nonzero_total, summary
    assert result.fields_right >= minimum * result.fields_total, summary
    if truth.get("agency") is not None:
        assert result.agency_ok, summary
    if truth.get("year") is not None:
        assert result.year_ok, summary
    return result


# --- the devset's scans and images ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("name", "minimum"), SCANS.items(), ids=list(SCANS))
def test_devset_scan_matches_truth(name: str, minimum: float, devset: Path) -> None:
    path = devset / name
    report = process_file(path)
    assert report["source"]["method"] == "ocr"
    assert_read_right(report, truth_of(path), minimum)


# --- scans made from the text PDFs ---------------------------------------------------------


def save_scan(pages: list[Image.Image], target: Path, dpi: int) -> Path:
    """An image-only PDF (JPEG pages) or, for .tif, a multi-page TIFF."""
    if target.suffix == ".tif":
        pages[0].save(target, save_all=True, append_images=pages[1:], dpi=(dpi, dpi))
    else:
        pages[0].save(
            target, "PDF", resolution=dpi, save_all=True, append_images=pages[1:], quality=85
        )
    return target


SYNTHETIC = [
    pytest.param(
        source,
        ".tif" if source.name == "dev-08.pdf" else ".pdf",
        id=source.stem,
        marks=[pytest.mark.slow]
        + (
            []
            if source.name in SYNTHETIC_DEFAULT or ALL_SCANS
            else [pytest.mark.skip(reason="set GONGKAI_TEST_ALL_SCANS=1 to run all ten")]
        ),
    )
    for source in SOURCES
]


@pytest.mark.parametrize(("source", "suffix"), SYNTHETIC)
def test_scan_of_a_text_pdf_reads_like_the_text_pdf(
    source: Path, suffix: str, tmp_path: Path
) -> None:
    seed = SOURCES.index(source)
    scan = save_scan(scan_pages(source, 300, 1.0, seed), tmp_path / f"scan{suffix}", 300)
    report = process_file(scan)
    assert report["source"]["method"] == "ocr"
    assert report["source"]["pages"] == len(pypdfium2.PdfDocument(source))
    text_report = process_file(source)
    assert report["edition"] == text_report["edition"]
    assert_read_right(report, truth_of(source), 0.995)


@pytest.mark.slow
def test_mixed_pdf_reads_text_pages_from_text_and_scanned_pages_by_ocr(
    tmp_path: Path, devset: Path
) -> None:
    """dev-01 with its applications page (page 3) replaced by a scan of it."""
    source = devset / "dev-01.pdf"
    scanned = save_scan(scan_pages(source, 300, 0.8, 3)[2:3], tmp_path / "page3.pdf", 300)
    mixed = pypdfium2.PdfDocument.new()
    text, scan = pypdfium2.PdfDocument(source), pypdfium2.PdfDocument(scanned)
    mixed.import_pages(text, [0, 1])
    mixed.import_pages(scan, [0])
    mixed.import_pages(text, [3, 4])
    path = tmp_path / "mixed.pdf"
    mixed.save(path)
    for document in (mixed, text, scan):
        document.close()

    document = read_document(path)
    assert [page.method for page in document.pages] == ["text", "text", "ocr", "text", "text"]
    assert document.method == "mixed"
    report = process_file(path)
    assert score(report, truth_of(source)).perfect


@pytest.mark.slow
@pytest.mark.parametrize("degrees", [180, 90, 270])
def test_pages_upside_down_or_sideways_are_turned_upright(
    degrees: int, tmp_path: Path, devset: Path
) -> None:
    source = devset / "dev-14.png"
    path = tmp_path / f"turned-{degrees}.png"
    Image.open(source).rotate(degrees, expand=True).save(path)
    assert_read_right(process_file(path), truth_of(source), 0.99)


# --- what a scanned page becomes ------------------------------------------------------------


@pytest.mark.slow
def test_ocr_pages_have_rows_like_the_text_layer(devset: Path) -> None:
    """Grid cells with boxes in points inside the page, blank cells as "", confidences
    0..1, prose as one-cell rows; the 2021 applications table has its 7 number columns."""
    document = read_document(devset / "dev-15.jpg")
    (page,) = document.pages
    assert page.method == "ocr" and document.method == "ocr"
    assert page.width == pytest.approx(595, abs=5) and page.height == pytest.approx(842, abs=5)
    blank = 0
    for row in page.rows:
        if row.table is None:
            assert len(row.cells) == 1 and row.cells[0].text
        for cell in row.cells:
            x0, top, x1, bottom = cell.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= top < bottom <= page.height
            if cell.text:
                assert cell.confidence is not None and 0 <= cell.confidence <= 1
            else:
                blank += 1
                assert cell.confidence is None
    assert blank >= 14  # the two blank rows of 7 cells
    total = next(row for row in page.rows if row.text.startswith("(七)总计"))
    assert [cell.text for cell in total.cells[-7:]] == ["29", "2", "0", "0", "3", "1", "35"]


def test_multipage_tiff_is_one_page_per_frame(tmp_path: Path, devset: Path) -> None:
    frame = Image.open(devset / "dev-14.png")
    path = tmp_path / "two.tif"
    frame.save(path, save_all=True, append_images=[frame.rotate(0)])
    document = read_document(path)
    assert [page.number for page in document.pages] == [1, 2]
    assert [page.method for page in document.pages] == ["ocr", "ocr"]
    assert document.pages[0].rows[0].text == document.pages[1].rows[0].text


# --- limits -------------------------------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge image but holds almost no data: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(50_000, 50_000))
    started = time.perf_counter()
    with pytest.raises(LimitExceeded, match="megapixels"):
        read_document(path)
    assert time.perf_counter() - started < 5


def test_pixel_limit_from_the_settings(devset: Path) -> None:
    options = load({"GONGKAI_MAX_MEGAPIXELS": "1"}).read_options()
    with pytest.raises(LimitExceeded, match=r"limit of 1 megapixels \(GONGKAI_MAX_MEGAPIXELS\)"):
        read_document(devset / "dev-14.png", options)
    with pytest.raises(LimitExceeded, match=r"image of page \d is 1654 × 2339 pixels"):
        read_document(devset / "dev-10.pdf", options)  # its pages are 200 dpi images


def test_page_limit_for_multipage_images(tmp_path: Path) -> None:
    frame = Image.new("L", (100, 100), 255)
    path = tmp_path / "three.tif"
    frame.save(path, save_all=True, append_images=[frame, frame])
    with pytest.raises(LimitExceeded, match="3 pages; the limit is 2"):
        read_document(path, ReadOptions(max_pages=2))


# --- fault injection ----------------------------------------------------------------------


def fake_tesseract(tmp_path: Path, on_call: str, *, call: int = 1, langs: str = "") -> Path:
    """A stand-in for the tesseract binary: the real one for `--list-langs` (or `langs`),
    and for OCR calls, except that call number `call` runs the shell code `on_call`."""
    script = tmp_path / "tesseract"
    counter = tmp_path / "calls"
    list_langs = (
        f"printf 'List of available languages:\\n{langs}'" if langs else 'exec tesseract "$@"'
    )
    script.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *--list-langs*) {list_langs}; exit 0;; esac\n'
        f'n=$(($(cat "{counter}" 2>/dev/null || echo 0) + 1)); echo $n > "{counter}"\n'
        f'if [ "$n" -eq {call} ]; then {on_call}; fi\n'
        'exec tesseract "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_tesseract_crashing_on_one_page_fails_the_document(tmp_path: Path, devset: Path) -> None:
    script = fake_tesseract(tmp_path, "echo 'simulated crash' >&2; exit 1", call=2)
    options = ReadOptions(ocr_jobs=1, tesseract=str(script))
    with pytest.raises(OcrFailed, match=r"Tesseract failed \(exit 1\) on page 1 .*simulated"):
        read_document(devset / "dev-14.png", options)


def test_tesseract_killed_by_a_signal_fails_the_document(tmp_path: Path, devset: Path) -> None:
    script = fake_tesseract(tmp_path, "kill -9 $$")
    with pytest.raises(OcrFailed, match="killed by signal 9"):
        read_document(devset / "dev-14.png", ReadOptions(tesseract=str(script)))


def test_hanging_tesseract_hits_the_page_time_limit(tmp_path: Path, devset: Path) -> None:
    """The hang is a child of the script (not exec'd), so killing only the script would
    leave the pipe open: the whole process group must go."""
    script = fake_tesseract(tmp_path, "sleep 300", call=1)
    options = ReadOptions(ocr_page_timeout=3, tesseract=str(script))
    started = time.perf_counter()
    with pytest.raises(OcrFailed, match=r"did not finish page 1 .* time limit"):
        read_document(devset / "dev-14.png", options)
    assert time.perf_counter() - started < 30


def test_missing_tesseract_says_how_to_install_it(devset: Path) -> None:
    options = ReadOptions(tesseract="/nonexistent/tesseract")
    with pytest.raises(MissingDependency, match="apt-get install tesseract-ocr"):
        read_document(devset / "dev-14.png", options)


def test_missing_chinese_data_says_how_to_install_it(tmp_path: Path, devset: Path) -> None:
    script = fake_tesseract(tmp_path, "true", langs="eng\\nosd\\n")
    with pytest.raises(MissingDependency, match=r"chi_sim.*tesseract-ocr-chi-sim"):
        read_document(devset / "dev-14.png", ReadOptions(tesseract=str(script)))


def test_cli_reports_a_failed_scan_on_one_line_and_exits_12(tmp_path: Path, devset: Path) -> None:
    script = fake_tesseract(tmp_path, "exit 3", call=1)
    result = subprocess.run(
        [sys.executable, "-m", "worker.cli", "parse", "--jobs", "1", str(devset / "dev-14.png")],
        capture_output=True,
        encoding="utf-8",
        env={**os.environ, "GONGKAI_TESSERACT": str(script)},
        timeout=120,
        check=False,
    )
    assert result.returncode == ExitCode.ocr_failed == 12
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"gongkai: {devset / 'dev-14.png'}: Tesseract failed (exit 3)")
