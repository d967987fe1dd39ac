"""Read a PDF's text layer into the Document model.

pdfplumber gives us words with boxes and the page's drawn lines (`page_rules`); the rows
are built from them by the geometry in extract/layout.py, which the OCR reader shares.
Pages without a usable text layer (scans, broken fonts) are handed to extract/ocr.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfplumber.page import Page as PdfPage
from pdfplumber.utils.exceptions import PdfminerException

from extract.document import Document, Page, PageDone, Row
from extract.errors import (
    CorruptFile,
    EncryptedFile,
    FileAccess,
    GongkaiError,
    LimitExceeded,
)
from extract.layout import Rule, Word, layout_rows
from extract.options import ReadOptions
from extract.text_chars import has_han

THIN = 2.0
"""Points: a filled rectangle thinner than this is drawn as a line, not as shading."""

MIN_TEXT_CHARS = 10
"""A page with fewer visible characters than this has no usable text layer."""

SCAN_COVER = 0.5
SCAN_TEXT_CHARS = 50
"""A page whose largest image covers SCAN_COVER of it and that has fewer visible characters
than SCAN_TEXT_CHARS is a scan with a stamped line of text (a header or page number)."""


PageShape = tuple[int, float, float]
"""Page number, width, height."""

PageContent = tuple[list[Word], list[Rule]] | None
"""A page's words and rules, or None when its text layer is unusable."""


def _is_white(color: Any) -> bool:
    """True for white in gray, RGB or CMYK (invisible on paper, so not a rule)."""
    if not isinstance(color, (tuple, list)) or not color:
        return False
    if len(color) == 4:
        return all(c == 0 for c in color)
    return all(c == 1 for c in color)


def _segment_rule(x0: float, top: float, x1: float, bottom: float) -> Rule | None:
    """A rule for an axis-parallel segment or thin bar; None for anything else."""
    if bottom - top <= THIN and x1 - x0 > THIN:
        return Rule(True, (top + bottom) / 2, x0, x1)
    if x1 - x0 <= THIN and bottom - top > THIN:
        return Rule(False, (x0 + x1) / 2, top, bottom)
    return None


def page_rules(page: PdfPage) -> list[Rule]:
    """The visible ruling lines of a page.

    Stroked lines, stroked rectangle outlines and straight stroked path segments count, and
    so do thin filled bars (some producers draw borders that way).  Unstroked filled boxes
    are cell shading or invisible white backgrounds (WPS puts one behind every paragraph),
    not rules.
    """
    segments: list[tuple[float, float, float, float]] = []
    for line in page.lines:
        if line.get("stroke", True) and not _is_white(line.get("stroking_color")):
            segments.append((line["x0"], line["top"], line["x1"], line["bottom"]))
    for rect in page.rects:
        x0, top, x1, bottom = rect["x0"], rect["top"], rect["x1"], rect["bottom"]
        if rect.get("stroke") and not _is_white(rect.get("stroking_color")):
            segments += [
                (x0, top, x1, top),
                (x0, bottom, x1, bottom),
                (x0, top, x0, bottom),
                (x1, top, x1, bottom),
            ]
        elif rect.get("fill") and not _is_white(rect.get("non_stroking_color")):
            segments.append((x0, top, x1, bottom))  # a thin bar, or shading (dropped below)
    for curve in page.curves:
        if curve.get("stroke") and not _is_white(curve.get("stroking_color")):
            points = curve["pts"]
            for (ax, ay), (bx, by) in pairwise(points):
                segments.append((min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
    rules = (_segment_rule(*segment) for segment in segments)
    return [rule for rule in rules if rule is not None]


def _is_cjk(ch: str) -> bool:
    """Han ideographs, and the radical forms some fonts map them to."""
    return has_han(ch) or "\u2e80" <= ch <= "\u2fdf"


def page_needs_ocr(chars: PdfPage | Iterable[str], image_cover: float = 0.0) -> bool:
    """Whether a page's text layer is unusable, so only OCR could read it.

    `chars` is a pdfplumber page or the texts of its characters; `image_cover` is the share
    of the page covered by its largest image (computed here when given a page).  Unusable
    means: (almost) no text; a page-sized image with only a line or two of text, i.e. a
    scan with a stamped header; unmapped glyphs, which pdfminer reports as "(cid:NNN)", or
    U+FFFD and private-use code points; or letters that are hardly ever Chinese, which is
    what a font with a broken ToUnicode map produces in a Chinese report.
    """
    if isinstance(chars, PdfPage):
        image_cover = _image_cover(chars)
        chars = [c["text"] for c in chars.chars]
    visible = [t for t in chars if t and not t.isspace()]
    if len(visible) < MIN_TEXT_CHARS:
        return True
    if image_cover >= SCAN_COVER and len(visible) < SCAN_TEXT_CHARS:
        return True
    bad = sum(
        1
        for t in visible
        if t.startswith("(cid:") or "\ufffd" in t or any("\ue000" <= ch <= "\uf8ff" for ch in t)
    )
    if bad * 10 > len(visible):
        return True
    letters = [ch for t in visible for ch in t if ch.isalpha()]
    cjk = sum(1 for ch in letters if _is_cjk(ch))
    return len(letters) >= MIN_TEXT_CHARS and cjk * 5 < len(letters)


def _image_cover(page: PdfPage) -> float:
    area = float(page.width * page.height) or 1.0
    return max(
        (float((im["x1"] - im["x0"]) * (im["bottom"] - im["top"])) / area for im in page.images),
        default=0.0,
    )


def _page_content(page: PdfPage) -> PageContent:
    if page_needs_ocr(page):
        return None
    words = [Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"]) for w in page.extract_words()]
    return words, page_rules(page)


def _cause(exc: BaseException) -> BaseException:
    """The pdfminer error pdfplumber wrapped, for a precise message."""
    if isinstance(exc, PdfminerException) and exc.args and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text and text[0] else type(exc).__name__


def _extract(path: Path, max_pages: int) -> list[tuple[PageShape, PageContent]]:
    """Everything read_pdf needs from pdfplumber, with its failures mapped to our errors.

    pdfminer fails on damaged files with all kinds of exceptions (its own, KeyError,
    TypeError, zlib and struct errors...), so any exception from this pdfplumber-only step
    means the file could not be read; the geometry that follows runs outside it, so its
    bugs are not disguised as corrupt files.
    """
    try:
        with pdfplumber.open(path) as pdf:
            if len(pdf.pages) > max_pages:
                raise LimitExceeded(f"PDF has {len(pdf.pages)} pages; the limit is {max_pages}")
            extracted = []
            for page in pdf.pages:
                shape = (page.page_number, float(page.width), float(page.height))
                extracted.append((shape, _page_content(page)))
                page.close()  # drop pdfplumber's cached objects: long reports stay small
    except GongkaiError:
        raise
    except OSError as exc:
        raise FileAccess(f"cannot read file: {_describe(exc)}") from None
    except Exception as exc:
        cause = _cause(exc)
        if isinstance(cause, PDFEncryptionError):
            raise EncryptedFile(
                f"encrypted PDF: it needs a password to open ({_describe(cause)})"
            ) from None
        raise CorruptFile(f"not a readable PDF: {_describe(cause)}") from None
    return extracted


def read_pdf(
    path: Path,
    sha256: str,
    options: ReadOptions,
    on_page: PageDone | None = None,
) -> Document:
    """Read a PDF into a Document (one Page per PDF page, rows top to bottom).

    Pages with a usable text layer are read from it; the others (scans, broken fonts) are
    rendered and OCR'd, `options.jobs` pages at a time, and
    marked `ocr`; `on_page(done, total)` hears of each OCR'd page.  Raises EncryptedFile,
    CorruptFile, LimitExceeded, FileAccess, and for OCR MissingDependency or OcrFailed.
    """
    extracted = _extract(path, options.max_pages)
    if not extracted:
        raise CorruptFile("not a readable PDF: it has no pages")
    scanned = [number for (number, _, _), content in extracted if content is None]
    ocr_rows: dict[int, list[Row]] = {}
    if scanned:
        from extract.ocr import OcrSettings, ocr_pdf_pages  # OpenCV only for scans

        ocr_rows = ocr_pdf_pages(path, scanned, OcrSettings.from_options(options, on_page))
    pages = [
        Page(number, layout_rows(*content), "text", width, height)
        if content is not None
        else Page(number, ocr_rows[number], "ocr", width, height)
        for (number, width, height), content in extracted
    ]
    return Document(path.name, sha256, pages)
