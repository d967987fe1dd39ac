"""How scans are read: the OCR part of a read's options, in one object.

The readers hand it down instead of a handful of arguments; the engine is built from it
(the Tesseract binary the edge's settings name), never from the environment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from extract.document import PageDone
from extract.ocr.engine import OcrEngine
from extract.ocr.tesseract import Tesseract
from extract.options import ReadOptions

Timer = Callable[[str, float], None]
"""Receives (stage, seconds) for each stage of each page: render, clean-up, ocr."""


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """How scans are read: a read's options, a timer and a page counter."""

    jobs: int
    """Pages OCR'd at once (one Tesseract process each, one thread per process)."""
    dpi: int = 300
    """Resolution for rendering PDF pages that are not one embedded scan."""
    page_timeout: float = 120.0
    """Seconds one page's OCR may take before the document fails."""
    max_pixels: int = 100_000_000
    """Largest page image decoded or rendered (decompression bombs)."""
    tesseract: str = "tesseract"
    """The Tesseract binary."""
    timer: Timer | None = None
    on_page: PageDone | None = None
    engine: OcrEngine | None = None
    """What reads the pixels; None: Tesseract, the binary `tesseract`."""

    @classmethod
    def from_options(cls, options: ReadOptions, on_page: PageDone | None = None) -> OcrSettings:
        """The OCR part of a read's options."""
        return cls(
            jobs=options.jobs,
            dpi=options.ocr_dpi,
            page_timeout=options.ocr_page_timeout,
            max_pixels=options.max_pixels,
            tesseract=options.tesseract,
            on_page=on_page,
        )

    def ocr_engine(self) -> OcrEngine:
        return self.engine if self.engine is not None else Tesseract(self.tesseract)

    def record(self, stage: str, started: float) -> None:
        """Tell the timer, if any, that `stage` ran from `started` (`perf_counter`) to now."""
        if self.timer is not None:
            self.timer(stage, time.perf_counter() - started)
