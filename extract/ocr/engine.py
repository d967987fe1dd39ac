"""What the OCR reader asks of an OCR engine, and what it gets back.

The reader cleans pages, finds cells and votes between readings; the engine only turns
pixels into words.  Keeping that boundary a `Protocol` means the reader never names the
program behind it (Tesseract today, in extract/ocr/tesseract.py), and a test can read
pages with an engine of its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word an engine read, in pixels of the image it was given."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    """0..1."""
    line: tuple[int, int, int]
    """Block, paragraph and line number: the words of one text line share it."""

    @property
    def cx(self) -> float:
        return self.left + self.width / 2

    @property
    def cy(self) -> float:
        return self.top + self.height / 2


@dataclass(frozen=True, slots=True)
class Alphabet:
    """What an image is expected to hold: the language data to read it with, and the only
    characters a reading may contain (None: any)."""

    lang: str
    whitelist: str | None = None


CHINESE = Alphabet("chi_sim")
DIGITS = Alphabet("eng", "0123456789.+-")
"""What a numeric table cell may hold: integers, decimal money amounts, a sign (the
本年增/减 columns print +1 and -2), a dash."""


@dataclass(frozen=True, slots=True)
class Orientation:
    """Degrees to turn an image clockwise to make it upright, and how sure the engine is
    (Tesseract reports ~10-20 when sure; 0 when it could not tell)."""

    turn: int
    confidence: float


class OcrEngine(Protocol):
    """Reads grayscale images (black text on white, uint8).

    Every call gets `timeout` seconds and says in its errors `what` it was reading; a
    failure is an OcrFailed, a missing program or language a MissingDependency.
    """

    def languages(self) -> frozenset[str]:
        """The installed languages; raises MissingDependency without the ones required."""
        ...

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
        """The words of one image, laid out by page segmentation mode `psm`."""
        ...

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
        """The words of each image, each read on its own but all in one run."""
        ...

    def orientation(self, image: np.ndarray, *, dpi: int, timeout: float, what: str) -> Orientation:
        """How to turn a page upright; Orientation(0, 0.0) when the engine cannot tell."""
        ...


@dataclass(frozen=True, slots=True)
class Call:
    """One page's reading under way: the engine, the moment the page's time runs out
    (`time.monotonic()`), and what is being read, for error messages ("page 3")."""

    engine: OcrEngine
    deadline: float
    what: str

    def part(self, name: str) -> Call:
        """The same page's time, for one part of it ("page 3 (table labels)")."""
        return replace(self, what=f"{self.what} ({name})")

    @property
    def timeout(self) -> float:
        """Seconds left."""
        return self.deadline - time.monotonic()

    def recognize(
        self, image: np.ndarray, *, dpi: int, psm: int, alphabet: Alphabet = CHINESE
    ) -> list[OcrWord]:
        return self.engine.recognize(
            image, dpi=dpi, psm=psm, alphabet=alphabet, timeout=self.timeout, what=self.what
        )

    def recognize_each(
        self, images: Sequence[np.ndarray], *, dpi: int, psm: int, alphabet: Alphabet = CHINESE
    ) -> list[list[OcrWord]]:
        return self.engine.recognize_each(
            images, dpi=dpi, psm=psm, alphabet=alphabet, timeout=self.timeout, what=self.what
        )

    def orientation(self, image: np.ndarray, *, dpi: int) -> Orientation:
        return self.engine.orientation(image, dpi=dpi, timeout=self.timeout, what=self.what)
