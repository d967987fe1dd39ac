"""The PDF reader on the devset PDFs: table rows, blank cells, merged and vertical labels,
scans, broken and encrypted files, and its cost against bare word extraction."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pytest
from paths import DEVSET, TEXT_PDFS

from extract.document import Cell, Document, Row
from extract.errors import CorruptFile, EncryptedFile, FileAccess, LimitExceeded
from extract.options import DEFAULTS, ReadOptions
from extract.pdf import page_needs_ocr, read_pdf

SCANS = sorted(DEVSET.glob("dev-1[0-3].pdf"))
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _read(path: Path) -> Document:
    return read_pdf(path, "0" * 64, DEFAULTS)


def _table_rows(document: Document) -> list[Row]:
    return [row for page in document.pages for row in page.rows if row.table is not None]


def _row_with(document: Document, label: str) -> Row:
    (row,) = [row for row in _table_rows(document) if any(c.text == label for c in row.cells)]
    return row


def _applications_values(row: Row) -> tuple[int | None, ...] | None:
    """The 7 applicant-column values of a table row, or None if it is not such a row."""
    tail = row.cells[-7:]
    if len(row.cells) < 8 or NUMBER.match(row.cells[-8].text):
        return None
    if not all(NUMBER.match(cell.text) or cell.text == "" for cell in tail):
        return None
    return tuple(int(cell.text) if cell.text else None for cell in tail)


def test_dev01_wrapped_label_row_has_its_seven_numbers(devset: Path) -> None:
    row = _row_with(
        _read(devset / "dev-01.pdf"), "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    )
    numbers = [cell.text for cell in row.cells if NUMBER.match(cell.text)]
    assert numbers == ["1", "0", "0", "0", "0", "0", "1"]
    assert len(row.cells) == 8  # the merged "三、本年度办理结果" cell is in the row above


def test_dev01_merged_label_cells_appear_once(devset: Path) -> None:
    document = _read(devset / "dev-01.pdf")
    row = _row_with(document, "三、本年度办理结果")
    assert [cell.text for cell in row.cells[:2]] == ["三、本年度办理结果", "（一）予以公开"]
    row = _row_with(document, "（三）不予公开")
    assert [cell.text for cell in row.cells[:2]] == ["（三）不予公开", "1.属于国家秘密"]
    assert len(_row_with(document, "2.其他法律行政法规禁止公开").cells) == 8


def test_dev07_blank_row_has_seven_empty_cells_in_the_number_columns(devset: Path) -> None:
    document = _read(devset / "dev-07.pdf")
    blank = _row_with(document, "1.本机关不掌握相关政府信息")
    assert [cell.text for cell in blank.cells[-7:]] == [""] * 7
    full = _row_with(document, "2.没有现成信息需要另行制作")
    assert [c.x_center for c in blank.cells[-7:]] == [c.x_center for c in full.cells[-7:]]


def test_dev05_vertical_review_headers_are_joined(devset: Path) -> None:
    document = _read(devset / "dev-05.pdf")
    header = [row for row in _table_rows(document) if row.cells[0].text == "结果维持"]
    assert [cell.text for cell in header[-1].cells] == [
        "结果维持",
        "结果纠正",
        "其他结果",
        "尚未审结",
        "总计",
    ] * 2


def test_huaian_large_numbers_on_page_4(huaian: Path) -> None:
    page = _read(huaian).pages[3]
    texts = {cell.text for row in page.rows if row.table is not None for cell in row.cells}
    assert {"3001", "1288", "3119", "1362", "746", "769"} <= texts
    row = next(row for row in page.rows if row.cells[0].text == "一、本年新收政府信息公开申请数量")
    assert [cell.text for cell in row.cells[1:]] == ["3001", "53", "0", "0", "61", "4", "3119"]


@pytest.mark.parametrize("path", TEXT_PDFS, ids=lambda p: p.stem)
def test_every_applications_row_is_read_in_its_columns(path: Path) -> None:
    """Each truth row appears as a row whose 7 cells hold its values, blanks as "" cells,
    and every such row puts its 7 cells at the same x-centres."""
    truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
    rows = [row for row in _table_rows(_read(path)) if _applications_values(row) is not None]
    found = {_applications_values(row) for row in rows}
    for key, values in truth["applications"].items():
        assert tuple(values.values()) in found, key
    centres = {tuple(round(cell.x_center or 0) for cell in row.cells[-7:]) for row in rows}
    assert len(centres) == 1


@pytest.mark.parametrize("path", TEXT_PDFS, ids=lambda p: p.stem)
def test_review_row_matches_truth(path: Path) -> None:
    truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
    want = [value for group in truth["reviews_and_lawsuits"].values() for value in group.values()]
    rows = [
        row
        for row in _table_rows(_read(path))
        if len(row.cells) == 15 and all(c.text == "" or c.text.isdigit() for c in row.cells)
    ]
    assert [int(c.text) if c.text else None for c in rows[-1].cells] == want


def test_pages_rows_and_cells_are_well_formed(devset: Path) -> None:
    document = _read(devset / "dev-04.pdf")
    assert document.filename == "dev-04.pdf"
    assert [page.number for page in document.pages] == [1, 2, 3, 4, 5]
    assert document.method == "text"
    for page in document.pages:
        assert page.width and page.height
        tops = [row.cells[0].bbox[1] for row in page.rows if row.cells[0].bbox]
        assert tops == sorted(tops)
        for row in page.rows:
            assert row.cells
            assert all(isinstance(cell, Cell) and cell.bbox is not None for cell in row.cells)
            if row.table is None:
                assert len(row.cells) == 1 and row.cells[0].text


@pytest.mark.parametrize("path", SCANS, ids=lambda p: p.stem)
def test_scans_have_no_text_layer(path: Path) -> None:
    """Every page of a scan goes to OCR (tests/integration/test_ocr_devset.py reads them)."""
    with pdfplumber.open(path) as pdf:
        assert all(page_needs_ocr(page) for page in pdf.pages)


def test_truncated_pdf_is_corrupt(tmp_path: Path, devset: Path) -> None:
    data = (devset / "dev-01.pdf").read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFile, match=r"^not a readable PDF: ") as caught:
        _read(broken)
    assert "\n" not in caught.value.message


def test_non_pdf_bytes_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"<html><body>not a pdf</body></html>")
    with pytest.raises(CorruptFile):
        _read(path)


def _minimal_pdf(encrypt: bool) -> bytes:
    """A one-page PDF; with `encrypt`, its trailer names a Standard security handler whose
    user password is not empty (the /U entry matches no key pdfminer can derive)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    if encrypt:
        objects.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <"
            + b"11" * 32
            + b"> /U <"
            + b"22" * 32
            + b"> /P -4 >>"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if encrypt:
        trailer += b" /Encrypt 4 0 R /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">]"
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(_minimal_pdf(encrypt=True))
    with pytest.raises(EncryptedFile, match=r"^encrypted PDF: "):
        _read(path)


def test_the_same_pdf_unencrypted_reads_as_blank(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    path.write_bytes(_minimal_pdf(encrypt=False))
    document = _read(path)
    assert [(page.method, page.rows) for page in document.pages] == [("ocr", [])]


def test_too_many_pages(devset: Path) -> None:
    with pytest.raises(LimitExceeded, match="5 pages"):
        read_pdf(devset / "dev-01.pdf", "0" * 64, ReadOptions(max_pages=4))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileAccess):
        _read(tmp_path / "absent.pdf")


@pytest.mark.slow
def test_read_pdf_costs_little_more_than_extracting_words(huaian: Path) -> None:
    """Rebuilding tables must stay cheap next to pdfplumber's own word extraction."""

    def bare() -> None:
        with pdfplumber.open(huaian) as pdf:
            for page in pdf.pages:
                page.extract_words()

    def timed(run: Callable[[], object]) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        return best

    floor = timed(bare)
    ours = timed(lambda: _read(huaian))
    print(f"\nhuaian-shi-2024.pdf: extract_words {floor:.3f}s, read_pdf {ours:.3f}s")
    assert ours <= 1.3 * floor
