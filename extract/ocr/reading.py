"""Reading a cleaned page: the prose, then the table cells, and the vote between readings.

One Tesseract process per cell would cost a process start per cell, so the cells are read
in a few runs: their strips stitched into tall images, or passed as the pages of one TIFF.
Cells whose ink looks like a number are read twice with a digit whitelist, and chi_sim
breaks a disagreement; the others are read with chi_sim.  What was read is then handed on
as words in PDF points, for the rows extract/layout.py builds.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from extract.layout import Word, join_tokens
from extract.ocr.cells import Slot, cell_slots
from extract.ocr.cleanup import Box, Prepared
from extract.ocr.engine import CHINESE, DIGITS, Alphabet, Call, OcrWord
from extract.text_chars import has_han

STITCH_GAP = 0.15
"""Inches of white around each cell in a stitched image (about one character)."""

MAX_STITCH_PX = 30000
"""Tesseract refuses images taller than 32767 pixels; a stitched image is cut below that."""

NUMBER = re.compile(r"-|[+-]?\d+(?:\.\d+)?")
"""What a digit-whitelisted reading of a numeric cell must look like to be believed."""

_LOOKALIKE_DIGITS = str.maketrans("OoDQlI|!][工ZzSsBGgq一—–", "0000111111122558699---")
"""Letters chi_sim reads for digits (工 for a serif 1); a digit reading they agree with is
believed."""

SURE_DIGITS = 0.5
"""A digit reading at least this confident settles a disagreement with chi_sim."""

ALONE_HEIGHT = 0.15
"""Inches (45 px at 300 dpi): a number read alone is scaled up to at least this height.
Small digits (9 pt prints them 28 px tall) read worse: a serif 1 as 4, both in the stitched
image and alone, and only a larger copy tells them apart."""

DISPUTED = 0.3
"""The most confidence a number gets when another reading of its cell found another number
(the cell carries those as `alternatives`); a cell no reading could settle gets none."""


def read_strips(
    strips: Sequence[np.ndarray], dpi: int, call: Call, alphabet: Alphabet = CHINESE
) -> list[list[OcrWord]]:
    """OCR many one-line images in few Tesseract runs: they are stacked one under the other
    with white between them into tall images, and each word read goes back to the strip its
    centre falls in, in that strip's own coordinates."""
    gap = round(STITCH_GAP * dpi)
    found: list[list[OcrWord]] = [[] for _ in strips]
    start = 0
    while start < len(strips):
        tops: list[int] = []
        height = gap
        for strip in strips[start:]:
            if tops and height + strip.shape[0] + gap > MAX_STITCH_PX:
                break
            tops.append(height)
            height += strip.shape[0] + gap
        chunk = strips[start : start + len(tops)]
        canvas = np.full((height, max(s.shape[1] for s in chunk) + 2 * gap), 255, np.uint8)
        for top, strip in zip(tops, chunk, strict=True):
            canvas[top : top + strip.shape[0], gap : gap + strip.shape[1]] = strip
        words = call.recognize(canvas, dpi=dpi, psm=6, alphabet=alphabet)
        for word in words:
            k = bisect.bisect_right(tops, word.cy + gap / 2) - 1
            if k >= 0:
                found[start + k].append(replace(word, left=word.left - gap, top=word.top - tops[k]))
        start += len(tops)
    return found


def words_box(words: Sequence[OcrWord]) -> Box:
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
    )


def mean_confidence(words: Sequence[OcrWord]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def _at_least(strip: np.ndarray, height: float) -> np.ndarray:
    """`strip` scaled up to `height` pixels tall (at most twice), or as it is if taller."""
    scale = min(2.0, height / strip.shape[0])
    if scale <= 1.0:
        return strip
    return cv2.resize(strip, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def number_in(words: Sequence[OcrWord]) -> str | None:
    """The number a reading holds, a stray point at either end dropped ("5." is 5: a
    speck beside a digit), or None when it is not one."""
    text = "".join(w.text for w in words).strip(".")
    return text if NUMBER.fullmatch(text) else None


def _sure(words: Sequence[OcrWord]) -> bool:
    return all(w.confidence >= SURE_DIGITS for w in words)


def digit_count(number: str) -> int:
    return sum(ch.isdigit() for ch in number)


@dataclass(frozen=True, slots=True)
class Vote:
    """What a cell's readings settle on: its words, its number, and the other numbers
    read (a cell with no words and no number: its candidates, none of them settled)."""

    words: list[OcrWord]
    number: str | None
    alternatives: tuple[str, ...]


def _vote(
    together: list[OcrWord], alone: list[OcrWord], chinese: list[OcrWord], digits: int = 0
) -> Vote:
    """A cell's words, number and other numbers read, from its two digit readings and its
    chi_sim reading.

    The number most readings give wins; a reading that found no number does not vote (a
    lone narrow 1 can come back empty from both digit readings while chi_sim reads "]"),
    nor does a digit reading Tesseract gives no confidence at all (on the devset's scans
    such a reading was always wrong: 0 read as 6, 11 as 1), nor one with fewer digits than
    the cell has digit-shaped pieces standing apart (11 read as 1).  With one number
    against another, a sure digit reading settles it; otherwise the cell is unreadable: no
    words, no number, only its candidates.  With no number at all it keeps chi_sim's text
    and its low confidence.
    """
    read_as = "".join(w.text for w in chinese).translate(_LOOKALIKE_DIGITS).strip(".")
    readings = [(together, number_in(together)), (alone, number_in(alone))]
    readings.append((chinese, read_as if NUMBER.fullmatch(read_as) else None))
    numbers = [number for _, number in readings if number is not None]
    if not numbers:
        return Vote(chinese, None, ())
    ranked = tuple(number for number, _ in Counter(numbers).most_common())
    voters = [
        number
        for k, (words, number) in enumerate(readings)
        if number is not None and (k == 2 or any(w.confidence > 0 for w in words))
    ]
    votes = Counter(n for n in voters if digit_count(n) >= digits) or Counter(voters)
    if not votes:
        return Vote([], None, ranked)
    (number, count), *others = votes.most_common()
    if count == 1 and others:
        sure = [n for words, n in readings[:2] if n is not None and n in votes and _sure(words)]
        if len(set(sure)) != 1:
            return Vote([], None, ranked)
        number = sure[0]
    words = next(words for words, n in readings if n == number)
    return Vote(words, number, tuple(n for n in ranked if n != number))


@dataclass(slots=True)
class Reading:
    """What the main passes read on a page, before the second look at weak text."""

    lines: list[list[OcrWord]]
    """Prose lines outside the tables (page pixels)."""
    slots: list[Slot]
    cells: list[list[OcrWord]]
    """Each slot's words (coordinates of its strip)."""
    numbers: list[str | None]
    """Each slot's number, if it was read as one."""
    alternatives: list[tuple[str, ...]]
    """Each slot's other numbers read (a slot with no words and no number: its candidates,
    none of which the readings settled on)."""

    @property
    def confidence(self) -> float:
        """Mean confidence of the Chinese read: low on a page that is not upright; 1.0 for
        a page with no Chinese to judge by."""
        chinese = [w for line in self.lines for w in line] + [
            w
            for cell, number in zip(self.cells, self.numbers, strict=True)
            if number is None
            for w in cell
        ]
        return mean_confidence(chinese) if chinese else 1.0


def first_reading(prepared: Prepared, call: Call) -> Reading:
    """The prose (tables masked out) with chi_sim, then the table cells.

    Numeric-looking cells are read with the digit whitelist first; the others, and those
    the digit pass was unsure of, with chi_sim.  Cells chi_sim finds no Chinese in (a
    number the shape test missed) are then read for digits too.  A number is taken from a
    sure digit reading, or from an unsure one chi_sim agrees with; otherwise the cell keeps
    chi_sim's text and its low confidence.
    """
    dpi = round(prepared.dpi)
    scale = prepared.dpi / 72
    prose, prose_ink = prepared.gray.copy(), prepared.ink.copy()
    for grid in prepared.grids:
        x0, y0, x1, y1 = (
            round(v * scale) for v in (grid.xs[0], grid.ys[0], grid.xs[-1], grid.ys[-1])
        )
        prose[y0:y1, x0:x1] = 255
        prose_ink[y0:y1, x0:x1] = 0
    lines: list[list[OcrWord]] = []
    if cv2.countNonZero(prose_ink):
        lines = text_lines(call.part("text").recognize(prose, dpi=dpi, psm=3))

    slots = cell_slots(prepared, prepared.grids)
    cells: list[list[OcrWord]] = [[] for _ in slots]
    numbers: list[str | None] = [None] * len(slots)
    alternatives: list[tuple[str, ...]] = [()] * len(slots)
    digit_readings: dict[int, tuple[list[OcrWord], list[OcrWord]]] = {}

    def read_digits(indices: list[int]) -> None:
        """Two digit readings per cell: among the others in one stitched image (the
        steadier one), and alone (a page of a TIFF) so that no neighbour sways it; a
        number they agree on is taken."""
        strips = [slots[k].strip for k in indices]
        numbers_call = call.part("table numbers")
        together = read_strips(strips, dpi, numbers_call, DIGITS)
        pad = round(STITCH_GAP * dpi)
        alone = numbers_call.recognize_each(
            [
                np.pad(_at_least(strip, ALONE_HEIGHT * dpi), pad, constant_values=255)
                for strip in strips
            ],
            dpi=dpi,
            psm=7,
            alphabet=DIGITS,
        )
        for k, first, second in zip(indices, together, alone, strict=True):
            digit_readings[k] = (first, second)
            number = number_in(first)
            if (
                number not in (None, "-")
                and number == number_in(second)
                and digit_count(number) >= slots[k].digits
            ):
                cells[k], numbers[k] = first, number

    read_digits([k for k, slot in enumerate(slots) if slot.numeric])
    rest = [k for k in range(len(slots)) if numbers[k] is None]
    found = read_strips([slots[k].strip for k in rest], dpi, call.part("table labels"))
    for k, words in zip(rest, found, strict=True):
        cells[k] = words
    no_chinese = [k for k in rest if cells[k] and not has_han("".join(w.text for w in cells[k]))]
    read_digits([k for k in no_chinese if k not in digit_readings])
    for k in rest:
        if numbers[k] is None and k in digit_readings:
            vote = _vote(*digit_readings[k], cells[k], slots[k].digits)
            cells[k], numbers[k], alternatives[k] = vote.words, vote.number, vote.alternatives
    return Reading(lines, slots, cells, numbers, alternatives)


def text_lines(words: Sequence[OcrWord]) -> list[list[OcrWord]]:
    """Tesseract's own text lines, top to bottom, words left to right."""
    by_line: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    lines = sorted(by_line.values(), key=lambda line: min(w.top for w in line))
    return [sorted(line, key=lambda w: w.left) for line in lines]


def page_words(prepared: Prepared, reading: Reading) -> list[Word]:
    """Everything read on a page as words in PDF points, for `layout_rows`.

    A prose word gets its whole line's top and bottom, so the text layer's line grouping
    keeps a line together whatever the height of its glyphs; a cell becomes one word over
    its ink, its lines joined in reading order.
    """
    to_points = 72 / prepared.dpi
    words: list[Word] = []
    for line in reading.lines:
        top = min(w.top for w in line) * to_points
        bottom = max(w.top + w.height for w in line) * to_points
        words.extend(
            Word(
                w.text,
                w.left * to_points,
                top,
                (w.left + w.width) * to_points,
                bottom,
                w.confidence,
            )
            for w in line
        )
    for slot, cell, number, others in zip(
        reading.slots, reading.cells, reading.numbers, reading.alternatives, strict=True
    ):
        if cell or others:
            text = number or join_tokens(w.text for line in text_lines(cell) for w in line)
            confidence = min((w.confidence for w in cell), default=0.0)
            if others:
                confidence = min(confidence, DISPUTED)
            x0, y0, x1, y1 = (v * to_points for v in slot.box)
            words.append(Word(text, x0, y0, x1, y1, confidence, others))
    return words
