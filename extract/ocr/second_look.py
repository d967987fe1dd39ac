"""A second look at the text a page's first reading is least sure of: titles and weak labels.

Tesseract reads large title characters worse than body text (芜湖 as 无湖, 息 as 恩), and
now and then misreads a short label, or reads nothing at all in a clear line, at one size
and gets it right at another; a title or a row label wrong here is an agency or a whole
table row lost.  So those are read again at sizes near body text, and the readings vote.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import cv2
import numpy as np

from extract.ocr.cleanup import Prepared
from extract.ocr.engine import Call, OcrWord
from extract.ocr.reading import Reading, mean_confidence, read_strips, words_box

WEAK_LABEL = 0.75
WEAK_LINE = 0.5
"""Label cells and prose lines read with less mean confidence are read a second time.
Labels decide where a table row's numbers go; prose only matters for its headings, and
correct chi_sim prose often scores 0.6-0.8."""

SECOND_LOOK_HEIGHTS = (0.14, 0.19)
"""Inches (about 42 and 56 px at 300 dpi): the line heights the second look reads at,
where Tesseract reads Chinese best; below ~35 px a stitched line often comes back empty."""

LARGE_TEXT = 1.2
"""Prose lines whose characters are this many times wider than the page's median (titles)
always get the second look."""


@dataclass(slots=True)
class Doubt:
    """A prose line or a label cell to read again."""

    owner: list[list[OcrWord]]
    """The reading's list its words live in (`Reading.lines` or `Reading.cells`)..."""
    index: int
    """...and their place in it."""
    strip: np.ndarray
    """Its pixels."""
    origin: tuple[int, int]
    """Where the strip's top left corner is in the coordinates of its words: page pixels
    for a prose line, (0, 0) for a cell (its words are in its strip's coordinates)."""
    large: bool
    """A title: its first reading does not vote."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One reading of a doubt, and the scale its strip was read at (1.0: the first)."""

    words: list[OcrWord]
    scale: float

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)


def second_look(prepared: Prepared, reading: Reading, call: Call) -> None:
    """Read large and weak Chinese again at two sizes near body text, and vote.

    The reading most of the tries agree on wins, the more confident on a tie; a large
    line's first reading does not take part (it is often wrong yet confident).  Confidence
    alone picks badly: a misreading can score higher.  The winners replace the first
    readings in `reading`.
    """
    doubts = _doubts(prepared, reading)
    if not doubts:
        return
    attempts: list[list[Attempt]] = [
        [] if doubt.large else [Attempt(doubt.owner[doubt.index], 1.0)] for doubt in doubts
    ]
    for height in SECOND_LOOK_HEIGHTS:
        # One run per size: Tesseract sizes its expectations on the whole stitched image,
        # so strips of one height read more steadily together.
        scales = [height * prepared.dpi / doubt.strip.shape[0] for doubt in doubts]
        strips = [
            cv2.resize(
                doubt.strip,
                None,
                fx=scale,
                fy=scale,
                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
            )
            for doubt, scale in zip(doubts, scales, strict=True)
        ]
        found = read_strips(strips, round(prepared.dpi), call.part("second look"))
        for n, (scale, words) in enumerate(zip(scales, found, strict=True)):
            if words:
                attempts[n].append(Attempt(words, scale))
    for doubt, options in zip(doubts, attempts, strict=True):
        if options:
            _settle(doubt, options)


def _doubts(prepared: Prepared, reading: Reading) -> list[Doubt]:
    """The titles and weak prose lines, then the weak label cells."""
    boxes = [words_box(line) for line in reading.lines]
    # Chinese characters are square: a line's width per character is its font size.
    sizes = [
        (x1 - x0) / sum(len(w.text) for w in line)
        for line, (x0, _, x1, _) in zip(reading.lines, boxes, strict=True)
    ]
    large = LARGE_TEXT * sorted(sizes)[len(sizes) // 2] if sizes else 0
    doubts = []
    for k, (line, (x0, y0, x1, y1)) in enumerate(zip(reading.lines, boxes, strict=True)):
        if sizes[k] >= large or mean_confidence(line) < WEAK_LINE:
            strip = prepared.gray[y0:y1, x0:x1]
            doubts.append(Doubt(reading.lines, k, strip, (x0, y0), sizes[k] >= large))
    for k, cell in enumerate(reading.cells):
        label = reading.numbers[k] is None and not reading.alternatives[k]
        if label and mean_confidence(cell) < WEAK_LABEL:
            doubts.append(Doubt(reading.cells, k, reading.slots[k].strip, (0, 0), False))
    return doubts


def _settle(doubt: Doubt, attempts: list[Attempt]) -> None:
    """Put the attempt most agree on (the more confident on a tie) in place of the first
    reading, scaled back to the words' coordinates."""
    votes = Counter(attempt.text for attempt in attempts)
    best = max(attempts, key=lambda a: (votes[a.text], mean_confidence(a.words)))
    if best.scale == 1.0:
        return  # the first reading stands
    first = doubt.owner[doubt.index]
    key = first[0].line if first else (0, 0, 0)
    x0, y0 = doubt.origin
    doubt.owner[doubt.index] = [
        replace(
            w,
            left=x0 + round(w.left / best.scale),
            top=y0 + round(w.top / best.scale),
            width=round(w.width / best.scale),
            height=round(w.height / best.scale),
            line=key,
        )
        for w in best.words
    ]
