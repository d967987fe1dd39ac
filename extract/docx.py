"""Reader for Word .docx files with the standard library (zipfile + ElementTree).

Agencies write these reports in Word, and some publish the .docx itself.  Body paragraphs and
tables are read in document order.  A merged cell is one cell where it starts: a horizontal
merge (w:gridSpan) is one w:tc already, and the continuation cells of a vertical merge
(w:vMerge without "restart") are left out, because copying the text down would look like a
second printed value to the parser.  As in the HTML reader, a table that holds another table
is layout: its cells are read like body text, so the inner tables' rows land in place.

A .docx is a zip, and a 1 MB one can inflate to gigabytes, so document.xml is read under the
markup limits: its declared size first, then what actually comes out of the inflater, then
the number and nesting of its elements while the tree is built.  A DTD is refused outright:
Word never writes one, and its entities are another way for a small file to expand.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from extract.document import Cell, Document, Page, Row
from extract.errors import CorruptFile, EncryptedFile, LimitExceeded, UnsupportedInput
from extract.normalize import normalize_space
from extract.options import DEFAULTS, MEGABYTE, ReadOptions

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_BODY_PART = "word/document.xml"
_VMERGE = f"{_W}vMerge"
_CHUNK = 1 << 20


class _RowWriter:
    """Walks body content in document order and writes prose and table rows."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self._tables = 0

    def walk(self, container: ElementTree.Element) -> None:
        for child in container:
            if child.tag == f"{_W}p":
                text = normalize_space(_paragraph_text(child))
                if text:
                    self.rows.append(Row([Cell(text)]))
            elif child.tag == f"{_W}tbl":
                if child.find(f".//{_W}tbl") is None:
                    self._write_table(child)
                else:
                    for cell in _own_cells(child):
                        self.walk(cell)
            elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
                self.walk(child)

    def _write_table(self, table: ElementTree.Element) -> None:
        index = self._tables
        for tr in table.iterfind(f"{_W}tr"):
            cells = [
                Cell(normalize_space("\n".join(_paragraph_text(p) for p in tc.iter(f"{_W}p"))))
                for tc in tr.iterfind(f"{_W}tc")
                if not _continues_vertical_merge(tc)
            ]
            if any(cell.text for cell in cells):
                self.rows.append(Row(cells, table=index))
                self._tables = index + 1


def read_docx(path: Path, sha256: str, options: ReadOptions = DEFAULTS) -> Document:
    """Read a Word .docx body into a one-page Document of prose and table rows."""
    try:
        body = _document_xml(path, options).find(f"{_W}body")
    except zipfile.BadZipFile as exc:
        raise CorruptFile(f"not a readable .docx: damaged zip archive ({exc})") from exc
    except (zlib.error, EOFError) as exc:
        raise CorruptFile(f"damaged .docx: {_BODY_PART} does not inflate ({exc})") from exc
    except KeyError as exc:
        raise CorruptFile(f"not a .docx: the archive has no {_BODY_PART}") from exc
    except ElementTree.ParseError as exc:
        raise CorruptFile(f"damaged .docx: {_BODY_PART} is not well-formed XML ({exc})") from exc
    if body is None:
        raise CorruptFile(f"damaged .docx: {_BODY_PART} has no w:body")
    writer = _RowWriter()
    writer.walk(body)
    page = Page(number=1, rows=writer.rows, method="plain")
    return Document(filename=path.name, sha256=sha256, pages=[page])


def _document_xml(path: Path, options: ReadOptions) -> ElementTree.Element:
    """document.xml's root element, built under the options' size and depth limits."""
    parser = ElementTree.XMLParser(target=_BoundedTree(options.max_elements, options.max_depth))
    with zipfile.ZipFile(path) as archive:
        for chunk in _inflated(archive, options.max_markup_bytes):
            parser.feed(chunk)
    root: ElementTree.Element = parser.close()
    return root


def _inflated(archive: zipfile.ZipFile, limit: int) -> Iterator[bytes]:
    """document.xml in chunks, refused by its declared size and again by the bytes that
    actually come out: the declared size is the file's own claim."""
    info = archive.getinfo(_BODY_PART)
    if info.flag_bits & 0x1:  # zipfile would raise a bare RuntimeError
        raise EncryptedFile(f"{_BODY_PART} is encrypted inside the zip archive")
    if info.file_size > limit:
        raise _too_large(f"inflates to {info.file_size / MEGABYTE:.1f} MB", limit)
    inflated = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            inflated += len(chunk)
            if inflated > limit:
                raise _too_large("inflates to more than it declares", limit)
            yield chunk


def _too_large(what: str, limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"{_BODY_PART} {what}, over the {limit / MEGABYTE:g} MB limit (GONGKAI_MAX_MARKUP_MB)"
    )


class _BoundedTree(ElementTree.TreeBuilder):
    """The element tree, refusing more than `max_elements`, nesting past `max_depth` and
    any DTD as the parser meets them, before they can cost memory.  Attributes are kept only
    where the reader looks (w:vMerge's w:val): Word puts several on most elements, and they
    take much of a tree's memory."""

    def __init__(self, max_elements: int, max_depth: int) -> None:
        super().__init__()
        self._max_elements = max_elements
        self._max_depth = max_depth
        self._elements = 0
        self._depth = 0

    def start(self, tag: str, attrs: dict[str, str], /) -> ElementTree.Element:
        self._elements += 1
        if self._elements > self._max_elements:
            raise LimitExceeded(
                f"{_BODY_PART} has more than {self._max_elements} elements (GONGKAI_MAX_ELEMENTS)"
            )
        self._depth += 1
        if self._depth > self._max_depth:
            raise LimitExceeded(
                f"{_BODY_PART} nests elements deeper than {self._max_depth} levels "
                "(GONGKAI_MAX_DEPTH)"
            )
        return super().start(tag, attrs if tag == _VMERGE else {})

    def end(self, tag: str, /) -> ElementTree.Element:
        self._depth -= 1
        return super().end(tag)

    def doctype(self, *_: Any) -> None:
        raise UnsupportedInput(
            f"{_BODY_PART} declares a DTD, which Word never writes and whose entities could "
            "expand without limit; not read"
        )


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    """The paragraph's w:t text; tabs and breaks become whitespace, not glued words."""
    parts: list[str] = []
    for element in _iter_skipping_fallback(paragraph):
        if element.tag == f"{_W}t":
            parts.append(element.text or "")
        elif element.tag == f"{_W}tab":
            parts.append(" ")
        elif element.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)


def _iter_skipping_fallback(element: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """Descendants in order, minus mc:Fallback, which repeats a text box's text."""
    for child in element:
        if child.tag == _FALLBACK:
            continue
        yield child
        yield from _iter_skipping_fallback(child)


def _own_cells(table: ElementTree.Element) -> Iterator[ElementTree.Element]:
    for tr in table.iterfind(f"{_W}tr"):
        yield from tr.iterfind(f"{_W}tc")


def _continues_vertical_merge(tc: ElementTree.Element) -> bool:
    """w:vMerge with no val (or val="continue") marks a cell covered by the one above."""
    merge = tc.find(f"{_W}tcPr/{_W}vMerge")
    return merge is not None and merge.get(f"{_W}val", "continue") == "continue"
