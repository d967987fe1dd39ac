"""The one entry point from a file path to a Document: checks, fingerprint, type, reader.

The type is sniffed from the bytes, never the name: crawled reports arrive as `.htm` files
holding PDFs, `.txt` files holding web pages, and names with no extension at all.  The PDF
reader is imported only for PDFs, so reading a text file never pays for importing pdfplumber.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from extract.document import Document, PageDone
from extract.errors import (
    EmptyFile,
    EncryptedFile,
    FileAccess,
    GongkaiError,
    LimitExceeded,
    UnsupportedInput,
)
from extract.markdown import is_markdown
from extract.options import DEFAULTS, ReadOptions
from extract.text import decode_plain

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PREAMBLE = r"(?:\s*(?:<!--.*?-->|<\?.*?\?>|<!\[[^\]]*\]>))*\s*"
_HTML_START = re.compile(
    _PREAMBLE + r"<(?:html|!doctype\s+html|table|head|body|meta)\b", re.IGNORECASE | re.DOTALL
)
# A saved excerpt (a CMS article's <div class=TRS_Editor>, a Word export's body) opens with a
# block tag, or with a line or two copied from above the article (发布时间：…).  Markdown may
# open with a tag too (<p align="center">), so such a start counts as a page only when no
# markdown heading or pipe-table rule follows.
_FRAGMENT_START = re.compile(
    r"(?:[^<\n]{0,200}\n){0,2}" + _PREAMBLE
    + r"<(?:div|p|style|span|font|center|section|article|h[1-6]|title|link|script"
    r"|table|colgroup|tbody|tr|o:p)[\s/>]",
    re.IGNORECASE | re.DOTALL,
)  # fmt: skip
_MARKDOWN_BLOCK = re.compile(r"^ {0,3}(?:#{1,6}[ \t]|\|?[ \t]*:?-{3,}:?[ \t]*\|)", re.MULTILINE)

_REFUSALS: dict[str, tuple[type[GongkaiError], str]] = {
    "doc": (UnsupportedInput, "legacy .doc is not supported; save as .docx or PDF"),
    "encrypted-office": (EncryptedFile, "password-protected Office document; remove the password"),
    "zip": (UnsupportedInput, "a zip archive that is not a Word .docx is not supported"),
    "binary": (
        UnsupportedInput,
        "not a PDF, image, Word .docx, web page, markdown or text file",
    ),
}


@dataclass(frozen=True, slots=True)
class Reader:
    """One input type: what `sniff` calls it, how it is served, and the function that reads
    it (imported on first use, so reading a text file never pays for pdfplumber or OpenCV)."""

    kind: str
    media_type: str | None
    """None: it depends on the bytes (PNG, JPEG, TIFF… for images)."""
    function: str
    """`module:function`, called with (path, sha256), for limited inputs also with the
    options, for paged ones with the options and the page counter."""
    paged: bool = False
    """PDFs and images: pages that may be OCR'd, under the page limit."""
    limited: bool = False
    """Web pages and .docx: trees built under the markup limits (size, nesting), so the
    function also gets the options."""

    def read(
        self, path: Path, sha256: str, options: ReadOptions, on_page: PageDone | None
    ) -> Document:
        module, name = self.function.split(":")
        function = getattr(importlib.import_module(module), name)
        if self.paged:
            return cast(Document, function(path, sha256, options, on_page))
        if self.limited:
            return cast(Document, function(path, sha256, options))
        return cast(Document, function(path, sha256))


READERS: dict[str, Reader] = {
    reader.kind: reader
    for reader in (
        Reader("pdf", "application/pdf", "extract.pdf:read_pdf", paged=True),
        Reader("image", None, "extract.ocr:read_image", paged=True),
        Reader(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "extract.docx:read_docx",
            limited=True,
        ),
        Reader("html", "text/html", "extract.html:read_html", limited=True),
        Reader("markdown", "text/markdown", "extract.markdown:read_markdown"),
        Reader("text", "text/plain", "extract.text:read_text"),
    )
}
"""Every input type gongkai reads, by the kind `sniff` gives: the CLI, the worker and the
API's uploads all go through this table."""


def read_document(
    path: Path, options: ReadOptions = DEFAULTS, on_page: PageDone | None = None
) -> Document:
    """Read any supported report file into a Document, or raise the GongkaiError that says why.

    `options`: the limits and OCR choices (the caller's settings); `on_page(done, total)`
    hears of each OCR'd page.
    """
    data = _read_checked(path, options.max_file_bytes)
    reader = reader_for(data)
    return reader.read(path, hashlib.sha256(data).hexdigest(), options, on_page)


def reader_for(data: bytes) -> Reader:
    """The reader of these bytes, or the GongkaiError that says why there is none."""
    kind = sniff(data)
    if kind in READERS:
        return READERS[kind]
    error, message = _REFUSALS[kind]
    raise error(message)


def sniff(data: bytes) -> str:
    """The input type from the bytes alone.

    One of pdf, docx, html, markdown, text (readable), image, doc, encrypted-office, zip,
    binary (refused).  Markdown is text whose tables are mostly markdown tables, whatever
    the file's name.
    """
    if b"%PDF" in data[:1024]:
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        # Member names are stored uncompressed, so this also spots a truncated .docx,
        # which the docx reader then reports as corrupt rather than unsupported.
        return "docx" if b"word/document.xml" in data else "zip"
    if data.startswith(_IMAGE_MAGIC) or _is_bmp(data) or _is_webp(data):
        return "image"
    if data.startswith(_OLE_MAGIC):
        # Word encrypts a password-protected .docx into an OLE container with this stream.
        return "encrypted-office" if "EncryptedPackage".encode("utf-16-le") in data else "doc"
    if _starts_like_html(data):
        return "html"
    text = decode_plain(data)
    if text is not None:
        return "markdown" if is_markdown(text) else "text"
    return "binary"


def _read_checked(path: Path, limit: int) -> bytes:
    """The file's bytes, after refusing what cannot or should not be read."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise FileAccess("not a regular file (a directory or device)")
        size = status.st_size
        if size > limit:
            raise LimitExceeded(
                f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:g} MB limit "
                "(GONGKAI_MAX_FILE_MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise FileAccess(f"cannot read file: {exc.strerror or exc}") from exc
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise EmptyFile("empty file")
    return data


def _starts_like_html(data: bytes) -> bool:
    """The first tag, after BOM, whitespace, comments, Word's `<![if ...]>` and an XML
    declaration, opens a page or a page's article.

    Saved pages often start with `<!-- saved from url=... -->` or `<?xml ...?>`; a markdown
    text that merely mentions a tag further on does not start with one.
    """
    head = _head(data, 1024)
    if _HTML_START.match(head):
        return True
    return _FRAGMENT_START.match(head) is not None and not _MARKDOWN_BLOCK.search(
        _head(data, 65536)
    )


def _head(data: bytes, size: int) -> str:
    """The first `size` characters or so, decoded only as far as ASCII markup needs."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data[: 2 * size].decode("utf-16", errors="ignore")
    return data.removeprefix(codecs.BOM_UTF8)[:size].decode("latin-1")


def _is_bmp(data: bytes) -> bool:
    """`BM` alone could start a text file; a bitmap also has four reserved zero bytes."""
    return data.startswith(b"BM") and data[6:10] == b"\x00\x00\x00\x00"


def _is_webp(data: bytes) -> bool:
    return data.startswith(b"RIFF") and data[8:12] == b"WEBP"
