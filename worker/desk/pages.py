"""A stored original's pages as images for the desk, rendered once and cached.

The boxes in a report's provenance are in PDF points of the page as the reader saw it, so
the page is loaded the way the reader loads it (`extract.image.open_pages`: a scan's own
image, or the page rendered) and its size in points kept beside the PNG.  The desk then
places a box by percentages of the page, whatever size the browser shows the image at.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from extract.image import open_pages

DISPLAY_DPI = 110
"""Resolution of a rendered page: sharp enough to read a cell on a laptop screen."""
MAX_WIDTH = 1400
"""A scan's own image is scaled down to at most this many pixels across."""


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
