"""The dispatcher: refusals with the right error kind, and types sniffed from content."""

from __future__ import annotations

import hashlib
import io
import os
import random
import sys
import types
import zipfile
from pathlib import Path

import pytest

from extract.document import Cell, Document, Page, Row
from extract.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    FileAccess,
    LimitExceeded,
    UnsupportedInput,
)
from extract.options import ReadOptions
from extract.read import read_document, sniff

_DOCUMENT_XML = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>行政许可</w:t></w:r></w:p></w:body></w:document>"
)


def _docx_bytes(member: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, _DOCUMENT_XML)
    return buffer.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (b"\r\n" * 10 + b"%PDF-1.4", "pdf"),
        (_docx_bytes(), "docx"),
        (_docx_bytes("xl/workbook.xml"), "zip"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"II*\x00\x08\x00\x00\x00", "image"),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "doc"),
        (b"\xef\xbb\xbf  \n<!DOCTYPE HTML><html><body>", "html"),
        (b"<TABLE><tr><td>1</td></tr></TABLE>", "html"),
        (b"<!-- saved from url=(0040)http://x.gov.cn/ -->\r\n<html>", "html"),
        (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">', "html"),
        ("BMW 信息内容\t本年制发件数\n".encode(), "text"),
        ("<b>一、</b>总体情况 <html>".encode(), "text"),
        ("规章\t0\t0\t0\n".encode("gb18030"), "text"),
        (b"\x7fELF\x02\x01\x01" + bytes(range(256)), "binary"),
    ],
)
def test_sniff(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


def test_password_protected_office_file_is_encrypted(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(EncryptedFile):
        read_document(_write(tmp_path, "report.docx", data))


def test_pdf_bytes_under_a_txt_name_go_to_the_pdf_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"%PDF-1.7\n1 0 obj\n"
    calls: list[tuple[Path, str]] = []

    def fake_read_pdf(path: Path, sha256: str, *options: object) -> Document:
        calls.append((path, sha256))
        return Document(path.name, sha256, [Page(1, [Row([Cell("pdf")])], "text")])

    monkeypatch.setitem(sys.modules, "extract.pdf", types.SimpleNamespace(read_pdf=fake_read_pdf))
    path = _write(tmp_path, "report.txt", data)
    document = read_document(path)
    assert calls == [(path, hashlib.sha256(data).hexdigest())]
    assert document.method == "text"


def test_html_under_a_txt_name_is_read_as_html(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.txt", "<html><body><p>一、总体情况</p></body></html>".encode())
    document = read_document(path)
    assert [row.text for row in document.pages[0].rows] == ["一、总体情况"]
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert document.filename == "page.txt"


def test_docx_without_extension_is_read_as_docx(tmp_path: Path) -> None:
    document = read_document(_write(tmp_path, "download", _docx_bytes()))
    assert [row.text for row in document.pages[0].rows] == ["行政许可"]


def test_text_is_read_as_text(tmp_path: Path) -> None:
    document = read_document(_write(tmp_path, "r.md", "规章\t0\t\t1\n".encode("gb18030")))
    assert [[cell.text for cell in row.cells] for row in document.pages[0].rows] == [
        ["规章", "0", "", "1"]
    ]


@pytest.mark.parametrize("data", [b"", b" \r\n\t \n", b"\xef\xbb\xbf\n"])
def test_empty_files(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(EmptyFile, match="empty file"):
        read_document(_write(tmp_path, "empty.pdf", data))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileAccess):
        read_document(tmp_path / "missing.pdf")
    with pytest.raises(FileAccess):
        read_document(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "locked.txt", b"text")
    path.chmod(0)
    with pytest.raises(FileAccess):
        read_document(path)


def test_size_limit_from_the_options(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.txt", "行政许可\t0\n".encode() * 200)
    with pytest.raises(LimitExceeded, match=r"MB, over the .* MB limit \(GONGKAI_MAX_FILE_MB\)"):
        read_document(path, ReadOptions(max_file_bytes=1048576 // 1000))
    assert read_document(path, ReadOptions(max_file_bytes=1048576)).pages[0].rows


def test_damaged_image_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptFile, match="image"):
        read_document(_write(tmp_path, "scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (random.Random(7).randbytes(4096), "not a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "legacy .doc"),
        (_docx_bytes("ppt/presentation.xml"), "zip"),
    ],
)
def test_unsupported_inputs(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(UnsupportedInput, match=reason) as raised:
        read_document(_write(tmp_path, "report.pdf", data))
    assert "\n" not in raised.value.message
