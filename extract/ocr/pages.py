"""A document's pages OCR'd: each page turned upright, read and laid out, several at once.

The time goes to Tesseract processes and OpenCV, both single-threaded here, so pages are
read in parallel threads (`OcrSettings.jobs`, jobs × threads must not exceed the cores);
each page has its own time limit, and the first failure fails the document: a report is
never built from a half-read scan.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extract.document import Document, Page, PageDone, Row
from extract.errors import LimitExceeded
from extract.image import ImageFile, PageImage, PageSource, PdfPages
from extract.layout import layout_rows
from extract.ocr.cleanup import Prepared, prepare
from extract.ocr.engine import Call
from extract.ocr.reading import Reading, first_reading, page_words
from extract.ocr.second_look import second_look
from extract.ocr.settings import OcrSettings
from extract.options import ReadOptions

UPRIGHT_CONFIDENCE = 0.6
"""A page whose Chinese words average less confidence than this may not be upright."""

SURE_ORIENTATION = 2.0
"""Tesseract's orientation confidence needed to turn a page (it reports ~10-20 when sure)."""


@dataclass(slots=True)
class OcrPage:
    """One OCR'd page: its rows as extract/layout.py builds them, its size in points."""

    rows: list[Row]
    width: float
    height: float


def read_page(image: PageImage, settings: OcrSettings, what: str) -> OcrPage:
    """OCR one page image into rows, turned upright first when it is not.

    Orientation detection costs about a Tesseract pass, so it runs only for a page whose
    text runs vertically (sideways) or whose Chinese reads as noise (upside down).
    """
    call = Call(settings.ocr_engine(), time.monotonic() + settings.page_timeout, what)

    def prepared_from(gray: np.ndarray) -> Prepared:
        started = time.perf_counter()
        prepared = prepare(gray, image.dpi)
        settings.record("clean-up", started)
        return prepared

    def read(prepared: Prepared) -> Reading:
        started = time.perf_counter()
        reading = first_reading(prepared, call)
        settings.record("ocr", started)
        return reading

    prepared = prepared_from(image.gray)
    reading = None if prepared.sideways else read(prepared)
    if reading is None or reading.confidence < UPRIGHT_CONFIDENCE:
        started = time.perf_counter()
        upright = call.part("orientation").orientation(prepared.gray, dpi=round(prepared.dpi))
        settings.record("ocr", started)
        if upright.turn and upright.confidence >= SURE_ORIENTATION:
            turned = np.rot90(image.gray, k=-upright.turn // 90)
            prepared = prepared_from(np.ascontiguousarray(turned))
            reading = None
        if reading is None:
            reading = read(prepared)
    started = time.perf_counter()
    second_look(prepared, reading, call)
    rows = layout_rows(page_words(prepared, reading), prepared.rules)
    settings.record("ocr", started)
    return OcrPage(rows, *prepared.size_points)


class _Progress:
    """`OCR <name>: page k/n` on stderr, rewritten in place; only when stderr is a terminal
    and there is more than one page, so logs and pipes stay clean."""

    def __init__(self, name: str, total: int, on_page: PageDone | None) -> None:
        self._name, self._total, self._done = name, total, 0
        self._shown = total > 1 and sys.stderr.isatty()
        self._on_page = on_page
        self._lock = threading.Lock()

    def step(self) -> None:
        with self._lock:
            self._done += 1
            if self._on_page is not None:
                self._on_page(self._done, self._total)
            if self._shown:
                print(
                    f"\rOCR {self._name}: page {self._done}/{self._total}",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )

    def close(self) -> None:
        if self._shown and self._done:
            print(file=sys.stderr, flush=True)


def ocr_pages(
    source: PageSource, numbers: Sequence[int], settings: OcrSettings, name: str
) -> dict[int, OcrPage]:
    """OCR the given pages, `settings.jobs` at a time; the first failure fails them all.

    Threads suffice: the time goes to Tesseract processes and OpenCV, which release the
    GIL; each worker decodes its own page, so at most `jobs` pages are in memory.
    """

    def one(number: int) -> OcrPage:
        started = time.perf_counter()
        image = source.page(number)
        settings.record("render", started)
        return read_page(image, settings, f"page {number}")

    progress = _Progress(name, len(numbers), settings.on_page)
    pages: dict[int, OcrPage] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(settings.jobs, len(numbers)))) as pool:
        futures = {pool.submit(one, number): number for number in numbers}
        try:
            for future in as_completed(futures):
                pages[futures[future]] = future.result()
                progress.step()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            progress.close()
    return pages


def ocr_pdf_pages(
    path: os.PathLike[str], numbers: Sequence[int], settings: OcrSettings
) -> dict[int, list[Row]]:
    """Rows of the given pages of a PDF, read from their pixels."""
    with PdfPages(Path(path), settings.dpi, settings.max_pixels) as source:
        pages = ocr_pages(source, numbers, settings, os.path.basename(path))
    return {number: page.rows for number, page in pages.items()}


def read_image(
    path: Path,
    sha256: str,
    options: ReadOptions,
    on_page: PageDone | None = None,
) -> Document:
    """OCR an image file into a Document: one page per image, or per frame of a TIFF."""
    settings = OcrSettings.from_options(options, on_page)
    with ImageFile(path, settings.max_pixels) as source:
        if source.count > options.max_pages:
            raise LimitExceeded(f"image has {source.count} pages; the limit is {options.max_pages}")
        pages = ocr_pages(source, range(1, source.count + 1), settings, path.name)
    return Document(
        path.name,
        sha256,
        [Page(n, page.rows, "ocr", page.width, page.height) for n, page in sorted(pages.items())],
    )
