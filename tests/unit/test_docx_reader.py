"""The .docx reader on documents built here with zipfile: merges, order, damaged files, and
the limits on what document.xml may inflate to."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from extract.document import Row
from extract.docx import read_docx
from extract.errors import CorruptFile, EncryptedFile, LimitExceeded, UnsupportedInput
from extract.options import ReadOptions

_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
)


def _p(*runs: str) -> str:
    return "<w:p>" + "".join(f"<w:r><w:t>{run}</w:t></w:r>" for run in runs) + "</w:p>"


def _tc(text: str, properties: str = "") -> str:
    return f"<w:tc><w:tcPr>{properties}</w:tcPr>{_p(text) if text else '<w:p/>'}</w:tc>"


def _write(tmp_path: Path, body: str, prolog: str = "") -> Path:
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?>{prolog}<w:document {_NS}><w:body>{body}</w:body></w:document>',
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


def test_document_xml_declared_past_the_markup_limit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _p("行政许可") * 30_000)  # 1.4 MB of XML, 10 KB zipped
    assert path.stat().st_size < 20_000
    with pytest.raises(LimitExceeded, match=r"inflates to 1\.\d MB, over the 1 MB limit "):
        read_docx(path, "0" * 64, ReadOptions(max_markup_bytes=1024 * 1024))
    assert len(_rows(path)) == 30_000  # under the default limit


def test_more_elements_than_the_limit_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "<w:p/>" * 200_001)  # 1.2 MB of XML
    with pytest.raises(LimitExceeded, match=r"more than 200000 elements \(GONGKAI_MAX_ELEMENTS\)"):
        read_docx(path, "0" * 64)
    assert _rows(_write(tmp_path, "<w:p/>" * 199_990)) == []  # with w:document and w:body


def test_nesting_past_the_depth_limit_is_refused(tmp_path: Path) -> None:
    deep = "<w:customXml>" * 100_000 + _p("行政许可") + "</w:customXml>" * 100_000
    with pytest.raises(LimitExceeded, match=r"deeper than 256 levels \(GONGKAI_MAX_DEPTH\)"):
        read_docx(_write(tmp_path, deep), "0" * 64)


def test_nesting_up_to_the_depth_limit_still_reads(tmp_path: Path) -> None:
    nested = "<w:customXml>" * 240 + _p("行政许可") + "</w:customXml>" * 240
    assert _cells(_rows(_write(tmp_path, nested))) == [["行政许可"]]


def test_a_dtd_is_refused_before_its_entities_expand(tmp_path: Path) -> None:
    dtd = '<!DOCTYPE w:document [<!ENTITY a "行政许可行政许可">]>'
    path = _write(tmp_path, "<w:p><w:r><w:t>&a;&a;</w:t></w:r></w:p>", prolog=dtd)
    with pytest.raises(UnsupportedInput, match="declares a DTD"):
        read_docx(path, "0" * 64)


def test_an_encrypted_document_xml_is_encrypted(tmp_path: Path) -> None:
    path = _write(tmp_path, _p("行政许可"))
    data = bytearray(path.read_bytes())
    # The flag a password-protected entry carries, in its local and its central header.
    for header, name_at, flags_at in ((b"PK\x03\x04", 30, 6), (b"PK\x01\x02", 46, 8)):
        at = next(
            found.start() - name_at
            for found in re.finditer(rb"word/document\.xml", data)
            if data[found.start() - name_at :].startswith(header)
        )
        data[at + flags_at] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(EncryptedFile, match="encrypted"):
        read_docx(path, "0" * 64)
