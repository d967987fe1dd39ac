"""A stored original as the desk shows it beside the tables: a PDF's or an image's pages as
images, rendered once and cached; any other kind (a text file, a web page, markdown, a
Word .docx) as its text, read by the project's own reader for its kind.

The boxes in a report's provenance are in PDF points of the page as the reader saw it, so
the page is loaded the way the reader loads it (`extract.image.open_pages`: a scan's own
image, or the page rendered) and its size in points kept beside the PNG.  The desk then
places a box by percentages of the page, whatever size the browser shows the image at.
A text original has no pages to draw and its cells no boxes: its rows are shown as read,
prose as lines and table rows as tables, cut after `MAX_TEXT_CHARACTERS`.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from extract.errors import GongkaiError
from extract.image import open_pages
from extract.options import ReadOptions
from extract.read import read_document, sniff

DISPLAY_DPI = 110
"""Resolution of a rendered page: sharp enough to read a cell on a laptop screen."""
MAX_WIDTH = 1400
"""A scan's own image is scaled down to at most this many pixels across."""


PAGED = frozenset({"pdf", "image"})
"""The kinds of original shown as page images; every other kind is shown as its text."""
SNIFFED_BYTES = 65536
"""Enough of a file's start to tell a PDF or an image (`sniff`) from the rest."""
MAX_TEXT_CHARACTERS = 200_000
"""Characters of a text original shown at most (a report's text is some 10,000)."""


@dataclass(frozen=True, slots=True)
class PageImage:
    png: Path
    width: float
    """The page's size in PDF points: what the boxes are measured in."""
    height: float


def page_image(original: Path, sha256: str, number: int, cache: Path, max_pixels: int) -> PageImage:
    """Page `number` of the original, from the cache or rendered into it."""
    folder = cache / sha256[:2] / sha256
    png, size = folder / f"{number}.png", folder / f"{number}.json"
    if png.is_file() and size.is_file():
        width, height = json.loads(size.read_text())
        return PageImage(png, width, height)
    with open_pages(original, DISPLAY_DPI, max_pixels) as source:
        page = source.page(number)
    image = Image.fromarray(page.gray)
    width, height = image.width / page.dpi * 72, image.height / page.dpi * 72
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    folder.mkdir(parents=True, exist_ok=True)
    _write(png, buffer.getvalue())
    _write(size, json.dumps([width, height]).encode())
    return PageImage(png, width, height)


def _write(path: Path, data: bytes) -> None:
    """Written aside and renamed: two requests for one page never serve half a file."""
    aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    aside.write_bytes(data)
    aside.replace(path)


def paged(original: Path) -> bool:
    """Whether the original is a PDF or an image (shown as page images): told from its bytes,
    as the readers tell it, never from its name."""
    with original.open("rb") as source:
        return sniff(source.read(SNIFFED_BYTES)) in PAGED


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A run of rows of the original: prose lines (`table` False, one cell each) or the
    rows of one table (cells left to right)."""

    table: bool
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class TextPage:
    number: int
    blocks: tuple[TextBlock, ...]


@dataclass(frozen=True, slots=True)
class OriginalText:
    pages: tuple[TextPage, ...]
    cut: bool
    """The text went on past `MAX_TEXT_CHARACTERS`: only its start is shown."""
    error: str | None = None
    """Why the original could not be read (it was, once, or there would be no report)."""


def original_text(original: Path, sha256: str, options: ReadOptions) -> OriginalText:
    """The text of an original that is not a PDF or an image, as its reader reads it."""
    return _text(str(original), sha256, options)


@lru_cache(maxsize=16)
def _text(original: str, sha256: str, options: ReadOptions) -> OriginalText:
    """Read once per process and document (an original never changes under its SHA-256)."""
    try:
        document = read_document(Path(original), options)
    except GongkaiError as exc:
        return OriginalText((), False, exc.message)
    left = MAX_TEXT_CHARACTERS
    pages: list[TextPage] = []
    for page in document.pages:
        blocks: list[TextBlock] = []
        current: list[tuple[str, ...]] = []
        current_table: int | None = None
        for row in page.rows:
            cells = tuple(cell.text for cell in row.cells)
            size = sum(len(text) for text in cells)
            if left < size or (current and row.table != current_table):
                blocks.append(TextBlock(current_table is not None, tuple(current)))
                current = []
            if left < size:
                pages.append(TextPage(page.number, tuple(block for block in blocks if block.rows)))
                return OriginalText(tuple(pages), True)
            left -= size
            current.append(cells)
            current_table = row.table
        if current:
            blocks.append(TextBlock(current_table is not None, tuple(current)))
        pages.append(TextPage(page.number, tuple(blocks)))
    return OriginalText(tuple(pages), False)
