"""Reader for Word .docx files with the standard library (zipfile + ElementTree).

Agencies write these reports in Word, and some publish the .docx itself.  Body paragraphs and
tables are read in document order.  A merged cell is one cell where it starts: a horizontal
merge (w:gridSpan) is one w:tc already, and the continuation cells of a vertical merge
(w:vMerge without "restart") are left out, because copying the text down would look like a
second printed value to the parser.  As in the HTML reader, a table that holds another table
is layout: its cells are read like body text, so the inner tables' rows land in place.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

from extract.document import Cell, Document, Page, Row
from extract.errors import CorruptFile
from extract.normalize import normalize_space

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_BODY_PART = "word/document.xml"


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


def read_docx(path: Path, sha256: str) -> Document:
    """Read a Word .docx body into a one-page Document of prose and table rows."""
    try:
        with zipfile.ZipFile(path) as archive:
            xml = archive.read(_BODY_PART)
        body = ElementTree.fromstring(xml).find(f"{_W}body")
    except zipfile.BadZipFile as exc:
        raise CorruptFile(f"not a readable .docx: damaged zip archive ({exc})") from exc
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
