"""Reports drawn on A4 with reportlab from the render model, and scanned back as images.

The variants need pages a scanner would give: ruled tables whose merged cells, wrapped
labels and page breaks fall where Word puts them, then a slight turn, grey and noise.
Chinese text needs a TrueType CJK font on the machine (reportlab cannot embed the CFF
outlines of Noto CJK); Debian's fonts-wqy-zenhei is the one CI installs.
"""

from __future__ import annotations

import functools
import io
import subprocess
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np
import pypdfium2
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bench.render import Placed, Table, placed
from extract.ocr.cleanup import rotate

FONT = "CJK"
FONT_PACKAGE = "fonts-wqy-zenhei"


class MissingFont(RuntimeError):
    """No TrueType font with Chinese glyphs is installed."""


@functools.cache
def cjk_font() -> str:
    """Register the machine's first TrueType CJK font with reportlab, once; its name."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh:fontformat=TrueType", "file"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise MissingFont(f"fc-list failed ({exc}); install fontconfig") from exc
    files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
    if not files:
        raise MissingFont(f"no TrueType CJK font: apt-get install {FONT_PACKAGE}")
    path = Path(files[0])
    options = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
    pdfmetrics.registerFont(TTFont(FONT, str(path), **options))
    return FONT


def wrap(text: str, size: float, width: float) -> list[str]:
    """`text` broken into lines no wider than `width`, character by character (as CJK)."""
    lines, line = [], ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, FONT, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line or not lines else lines


class Sheet:
    """A canvas whose cursor flows blocks down A4 pages; `top` is measured from the top."""

    def __init__(self, margin: float = 40.0, size: tuple[float, float] = A4) -> None:
        cjk_font()
        self.buffer = io.BytesIO()
        self.width, self.height = size
        self.margin = margin
        self.canvas = Canvas(self.buffer, pagesize=size)
        self.top = margin

    @property
    def text_width(self) -> float:
        return self.width - 2 * self.margin

    @property
    def bottom(self) -> float:
        return self.height - self.margin

    def new_page(self) -> None:
        self.canvas.showPage()
        self.top = self.margin

    def paragraph(self, text: str, size: float = 10.5, align: str = "left") -> None:
        """Prose; a first-line indent of two characters when left-aligned, as Word does."""
        leading = size * 1.6
        body = ("\u3000\u3000" if align == "left" else "") + text
        for line in wrap(body, size, self.text_width):
            if self.top + leading > self.bottom:
                self.new_page()
            self.top += leading
            self._text(line, size, self.margin, self.margin + self.text_width, align)
        self.top += size * 0.4

    def table(
        self,
        table: Table,
        widths: Sequence[float],
        size: float = 9.0,
        break_before: Collection[int] = (),
    ) -> None:
        """A ruled table; rows that do not fit, and rows in `break_before`, start a new page
        with no header repeated (a merged cell cut by the break keeps its text above it)."""
        items = list(placed(table))
        edges = [self.margin + sum(widths[:index]) for index in range(len(widths) + 1)]
        heights = _row_heights(items, edges, size, len(table))
        if self.top + heights[0] > self.bottom:
            self.new_page()
        segments: list[list[int]] = [[]]
        tops: dict[int, float] = {}
        top = self.top
        for row, height in enumerate(heights):
            if segments[-1] and (row in break_before or top + height > self.bottom):
                segments.append([])
                top = self.margin
            tops[row] = top
            segments[-1].append(row)
            top += height
        for index, rows in enumerate(segments):
            if index:
                self.new_page()
            for item in items:
                here = [row for row in rows if item.row <= row < item.row + item.cell.rowspan]
                if here:
                    box = (
                        edges[item.column],
                        tops[here[0]],
                        edges[item.column + item.cell.colspan],
                        tops[here[-1]] + heights[here[-1]],
                    )
                    self._cell(item, box, size, with_text=item.row in here)
        self.top = top + 6

    def pdf(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()

    def _cell(
        self, item: Placed, box: tuple[float, float, float, float], size: float, with_text: bool
    ) -> None:
        x0, top, x1, bottom = box
        self.canvas.setLineWidth(0.6)
        self.canvas.rect(x0, self.height - bottom, x1 - x0, bottom - top)
        if not with_text or not item.cell.text:
            return
        lines = wrap(item.cell.text, size, x1 - x0 - 2 * PAD)
        leading = size * LEADING
        baseline = (top + bottom) / 2 - len(lines) * leading / 2 + size * 0.95
        for line in lines:
            self._text(line, size, x0, x1, "center", baseline)
            baseline += leading

    def _text(
        self, line: str, size: float, x0: float, x1: float, align: str, top: float | None = None
    ) -> None:
        y = self.height - (self.top if top is None else top)
        self.canvas.setFont(FONT, size)
        if align == "center":
            self.canvas.drawCentredString((x0 + x1) / 2, y, line)
        elif align == "right":
            self.canvas.drawRightString(x1, y, line)
        else:
            self.canvas.drawString(x0, y, line)


PAD = 3.0
LEADING = 1.3


def _row_heights(items: list[Placed], edges: list[float], size: float, rows: int) -> list[float]:
    """Each row tall enough for its wrapped cells; a merged cell taller than its rows
    stretches the last of them."""
    leading = size * LEADING
    heights = [size * 2.2] * rows

    def needed(item: Placed) -> float:
        width = edges[item.column + item.cell.colspan] - edges[item.column] - 2 * PAD
        return len(wrap(item.cell.text, size, width)) * leading + 2 * PAD

    for item in items:
        if item.cell.rowspan == 1:
            heights[item.row] = max(heights[item.row], needed(item))
    for item in items:
        span = range(item.row, item.row + item.cell.rowspan)
        if item.cell.rowspan > 1 and (short := needed(item) - sum(heights[r] for r in span)) > 0:
            heights[span[-1]] += short
    return heights


# ---------------------------------------------------------------- the scanner


def scan(
    pdf: Path | bytes,
    dpi: int,
    angle: float,
    seed: int,
    draw: Callable[[int, np.ndarray], None] | None = None,
) -> list[Image.Image]:
    """The pages of a PDF as a scanner would give them: turned by ±`angle` degrees
    (alternating), a little grey, with noise and specks; `draw(page number, pixels)` may
    mark a page first, as printed.  The OCR tests scan the devset PDFs with it too, so both
    measure the reader on one kind of scan."""
    rng = np.random.default_rng(seed)
    pages = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            gray = document[index].render(scale=dpi / 72, grayscale=True).to_numpy().copy()
            if draw is not None:
                draw(index + 1, gray)
            gray = rotate(gray, angle if index % 2 == 0 else -angle)
            noisy = gray.astype(np.float32) * 0.9 + 12 + rng.normal(0, 8, gray.shape)
            specks = rng.random(gray.shape) < 0.0003
            noisy[specks] = rng.uniform(0, 120, int(specks.sum()))
            pages.append(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)))
    finally:
        document.close()
    return pages


def image_pdf(pages: Sequence[Image.Image], dpi: int) -> bytes:
    """An image-only PDF of JPEG pages, as scanners write them."""
    out = io.BytesIO()
    first, *rest = pages
    first.save(out, "PDF", resolution=dpi, save_all=True, append_images=rest, quality=80)
    return out.getvalue()


def png(page: Image.Image, dpi: int) -> bytes:
    out = io.BytesIO()
    page.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()
