"""The Document model: what every reader produces and the report parser reads.

Readers (PDF text layer, OCR, plain text, HTML, DOCX) all reduce a file to pages of rows,
so the parser never needs to know where the text came from.  A row is one line of a page in
reading order: a prose line is a row of one cell; a table row is its cells, left to right,
with wrapped label lines already merged into the row they belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

BBox = tuple[float, float, float, float]
"""x0, top, x1, bottom in PDF points from the page's top-left corner."""

PageMethod = Literal["text", "ocr", "plain"]

PageDone = Callable[[int, int], None]
"""Hears (pages done, pages to do) as a reader OCRs a document: the worker's progress."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a row.  `text` is "" for a blank table cell the reader knows is there."""

    text: str
    bbox: BBox | None = None
    confidence: float | None = None
    alternatives: tuple[str, ...] = ()
    """Other readings an OCR engine found for the cell, best first.  The parser may take one
    where it alone makes the table's own arithmetic hold; it never takes one otherwise."""

    @property
    def x_center(self) -> float | None:
        return None if self.bbox is None else (self.bbox[0] + self.bbox[2]) / 2


@dataclass(slots=True)
class Row:
    """One line of a page: prose (one cell) or a table row (cells left to right).

    `table` numbers the table the row belongs to within its page (None for prose), so the
    parser can tell a new table from a continued one.
    """

    cells: list[Cell]
    table: int | None = None

    @property
    def text(self) -> str:
        return "".join(cell.text for cell in self.cells)


@dataclass(slots=True)
class Page:
    number: int
    rows: list[Row]
    method: PageMethod
    width: float | None = None
    height: float | None = None


@dataclass(slots=True)
class Document:
    filename: str
    sha256: str
    pages: list[Page] = field(default_factory=list)

    def add_alternatives(self, readings: Mapping[tuple[int, BBox], Sequence[str]]) -> bool:
        """Give the cells at (page, box) these further readings; whether any cell gained one.

        For a second parse after OCR read the cells concerned again another way.
        """
        gained = False
        for page in self.pages:
            for row in page.rows:
                for index, cell in enumerate(row.cells):
                    found = readings.get((page.number, cell.bbox)) if cell.bbox else None
                    new = tuple(
                        text
                        for text in dict.fromkeys(found or ())
                        if text != cell.text and text not in cell.alternatives
                    )
                    if new:
                        row.cells[index] = replace(cell, alternatives=cell.alternatives + new)
                        gained = True
        return gained

    @property
    def method(self) -> str:
        """`text`, `ocr` or `plain` when every page agrees, `mixed` otherwise."""
        methods = {page.method for page in self.pages}
        if len(methods) == 1:
            return methods.pop()
        return "mixed" if methods else "plain"
