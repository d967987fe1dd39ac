"""The .docx reader on documents built here with zipfile: merges, order, damaged files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from extract.document import Row
from extract.docx import read_docx
from extract.errors import CorruptFile

_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
)


def _p(*runs: str) -> str:
    return "<w:p>" + "".join(f"<w:r><w:t>{run}</w:t></w:r>" for run in runs) + "</w:p>"


def _tc(text: str, properties: str = "") -> str:
    return f"<w:tc><w:tcPr>{properties}</w:tcPr>{_p(text) if text else '<w:p/>'}</w:tc>"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?><w:document {_NS}><w:body>{body}</w:body></w:document>',
        )
    return path


def _rows(path: Path) -> list[Row]:
    document = read_docx(path, "0" * 64)
    assert [page.method for page in document.pages] == ["plain"]
    return document.pages[0].rows


def _cells(rows: list[Row]) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in rows]


def test_paragraphs_and_merged_table_cells_in_order(tmp_path: Path) -> None:
    table = (
        "<w:tbl>"
        "<w:tr>"
        + _tc("三、本年度办理结果", '<w:vMerge w:val="restart"/>')
        + _tc("申请人情况", '<w:gridSpan w:val="2"/>')
        + "</w:tr><w:tr>"
        + _tc("", "<w:vMerge/>")
        + _tc("（一）予以公开")
        + _tc("")
        + "</w:tr><w:tr>"
        + _tc("", '<w:vMerge w:val="continue"/>')
        + _tc("（二）部分公开")
        + _tc("5")
        + "</w:tr></w:tbl>"
    )
    body = _p("三、收到和处理", "政府信息公开申请情况") + table + _p("四、行政复议")
    rows = _rows(_write(tmp_path, body))
    assert _cells(rows) == [
        ["三、收到和处理政府信息公开申请情况"],
        ["三、本年度办理结果", "申请人情况"],
        ["（一）予以公开", ""],
        ["（二）部分公开", "5"],
        ["四、行政复议"],
    ]
    assert [row.table for row in rows] == [None, 0, 0, 0, None]


def test_cell_paragraphs_join_without_cjk_spaces(tmp_path: Path) -> None:
    cell = "<w:tc>" + _p("法律服务") + _p("机构") + "</w:tc><w:tc>" + _p("7") + "</w:tc>"
    rows = _rows(_write(tmp_path, f"<w:tbl><w:tr>{cell}</w:tr></w:tbl>"))
    assert _cells(rows) == [["法律服务机构", "7"]]


def test_text_box_fallback_is_not_read_twice(tmp_path: Path) -> None:
    box = "<w:txbxContent>" + _p("文本框") + "</w:txbxContent>"
    paragraph = (
        "<w:p><w:r><mc:AlternateContent>"
        f"<mc:Choice>{box}</mc:Choice><mc:Fallback>{box}</mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    assert _cells(_rows(_write(tmp_path, paragraph))) == [["文本框"]]


def test_not_a_zip_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04 truncated word/document.xml")
    with pytest.raises(CorruptFile):
        read_docx(path, "0" * 64)


def test_zip_without_document_xml_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/styles.xml", "<styles/>")
    with pytest.raises(CorruptFile, match=r"word/document\.xml"):
        read_docx(path, "0" * 64)


def test_malformed_xml_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document")
    with pytest.raises(CorruptFile):
        read_docx(path, "0" * 64)
