"""The OCR engine seam: the reader asks an `OcrEngine` for words and never names Tesseract,
so an engine of one's own reads the pages; each call carries the page's time and name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from extract.image import PageImage
from extract.ocr import OcrSettings, ocr_pages
from extract.ocr.engine import Alphabet, OcrEngine, OcrWord, Orientation


@dataclass
class ScriptedEngine:
    """Reads every image as one line of `text`, and notes what it was asked."""

    text: str
    calls: list[tuple[str, int, str, float]] = field(default_factory=list)

    def languages(self) -> frozenset[str]:
        return frozenset({"chi_sim"})

    def recognize(
        self,
        image: np.ndarray,
        *,
        dpi: int,
        psm: int,
        alphabet: Alphabet,
        timeout: float,
        what: str,
    ) -> list[OcrWord]:
        self.calls.append((what, psm, alphabet.lang, timeout))
        return [OcrWord(self.text, 100, 100, image.shape[1] // 2, 60, 0.95, (1, 1, 1))]

    def recognize_each(
        self,
        images: Sequence[np.ndarray],
        *,
        dpi: int,
        psm: int,
        alphabet: Alphabet,
        timeout: float,
        what: str,
    ) -> list[list[OcrWord]]:
        return [
            self.recognize(i, dpi=dpi, psm=psm, alphabet=alphabet, timeout=timeout, what=what)
            for i in images
        ]

    def orientation(self, image: np.ndarray, *, dpi: int, timeout: float, what: str) -> Orientation:
        self.calls.append((what, 0, "osd", timeout))
        return Orientation(0, 0.0)


class _Pages:
    def page(self, number: int) -> PageImage:
        gray = np.full((3508, 2480), 255, np.uint8)
        gray[300:360, 300:1500] = 0  # a line of "text": ink outside any table
        return PageImage(number, gray, 300)


def test_an_engine_of_ones_own_reads_the_pages() -> None:
    engine = ScriptedEngine("政府信息公开工作年度报告")
    seam: OcrEngine = engine  # the Protocol is all the reader needs
    settings = OcrSettings(jobs=1, page_timeout=60.0, engine=seam)
    pages = ocr_pages(_Pages(), [1, 2], settings, "scripted")
    assert [row.text for row in pages[1].rows] == ["政府信息公开工作年度报告"]
    assert sorted(pages) == [1, 2]
    what, psm, lang, timeout = engine.calls[0]
    assert what.startswith("page ") and what.endswith(" (text)")
    assert (psm, lang) == (3, "chi_sim")
    assert 0 < timeout <= 60.0
