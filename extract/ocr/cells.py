"""The cells of a page's ruled tables, as images ready to read.

Tesseract reads a table badly as a page: it merges columns and drops short cells.  So each
grid cell that holds ink becomes a slot: the box of its marks, whether the ink is shaped
like a number (digits read best with a digit whitelist, labels with chi_sim), and its
text as one line of pixels, which the reader stitches together with the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from extract.layout import Grid
from extract.ocr.cleanup import DOT_SIZE, Box, Prepared


@dataclass(frozen=True, slots=True)
class Slot:
    """One non-blank grid cell: its ink box in page pixels, whether the ink looks like a
    number, and its text as one line of pixels (`strip`) ready for stitching."""

    box: Box
    numeric: bool
    strip: np.ndarray
    digits: int = 0
    """Digit-shaped pieces of ink standing apart: a number has at least as many digits
    (touching digits are one piece), so a reading with fewer misses one."""


def cell_slots(prepared: Prepared, grids: Iterable[Grid]) -> list[Slot]:
    """A slot per grid cell that holds a mark; cells without are blank.

    The slot's box is that of the cell's marks: a dot left over from noise somewhere in
    the cell must not widen a digit's box (a stray dot between digits, like a decimal
    point, stays inside it).
    """
    scale = prepared.dpi / 72
    mark = DOT_SIZE * prepared.dpi / 300
    boxes = []
    for grid in grids:
        for region in grid.regions:
            x0, y0, x1, y1 = (round(v * scale) for v in region.bbox)
            contours, _ = cv2.findContours(
                prepared.ink[y0:y1, x0:x1], cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
            )
            rects = [r for r in map(cv2.boundingRect, contours) if max(r[2], r[3]) >= mark]
            if rects:
                left = min(x for x, _, _, _ in rects)
                top = min(y for _, y, _, _ in rects)
                right = max(x + w for x, _, w, _ in rects)
                bottom = max(y + h for _, y, _, h in rects)
                boxes.append((x0 + left, y0 + top, x0 + right, y0 + bottom))
    numeric = [looks_numeric(prepared.ink[y0:y1, x0:x1]) for x0, y0, x1, y1 in boxes]
    digits = [
        digit_pieces(prepared.ink[y0:y1, x0:x1]) if is_number else 0
        for (x0, y0, x1, y1), is_number in zip(boxes, numeric, strict=True)
    ]
    bands = [
        _bands(prepared.ink[y0:y1, x0:x1])
        for (x0, y0, x1, y1), is_number in zip(boxes, numeric, strict=True)
        if not is_number
    ]
    tallest = sorted(max(b - a for a, b in found) for found in bands)
    line_height = max(prepared.dpi / 9, tallest[len(tallest) // 2] if tallest else 0)
    return [
        Slot(box, is_number, _one_line(prepared, box, line_height), count)
        for box, is_number, count in zip(boxes, numeric, digits, strict=True)
    ]


def _bands(ink: np.ndarray) -> list[tuple[int, int]]:
    """Runs of rows with ink, top to bottom: text lines, or parts of one (三 gives three)."""
    rows = np.flatnonzero(ink.any(axis=1))
    breaks = np.flatnonzero(np.diff(rows) > 1)
    starts = np.concatenate(([rows[0]], rows[breaks + 1]))
    ends = np.concatenate((rows[breaks], [rows[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _one_line(prepared: Prepared, box: Box, line_height: float) -> np.ndarray:
    """The cell's text lines side by side as one line of pixels.

    Tesseract reads a line with its neighbours' context far better than a stack of short
    lines: it drops the first line of vertical headers (总/计, 三、/本年/度办…) and of
    narrow wrapped labels.  Row bands closer than a line height belong to one line.
    """
    x0, y0, x1, y1 = box
    ink, gray = prepared.ink[y0:y1, x0:x1], prepared.gray[y0:y1, x0:x1]
    lines: list[tuple[int, int]] = []
    for top, bottom in _bands(ink):
        if lines and bottom - lines[-1][0] <= 1.25 * line_height:
            lines[-1] = (lines[-1][0], bottom)
        else:
            lines.append((top, bottom))
    if len(lines) == 1:
        return gray
    pieces = []
    for top, bottom in lines:
        columns = np.flatnonzero(ink[top:bottom].any(axis=0))
        pieces.append(gray[top:bottom, columns[0] : columns[-1] + 1])
    space = round(line_height / 5)
    height = max(piece.shape[0] for piece in pieces)
    strip = np.full(
        (height, sum(piece.shape[1] for piece in pieces) + space * (len(pieces) - 1)),
        255,
        np.uint8,
    )
    x = 0
    for piece in pieces:
        top = (height - piece.shape[0]) // 2
        strip[top : top + piece.shape[0], x : x + piece.shape[1]] = piece
        x += piece.shape[1] + space
    return strip


def _pieces(ink: np.ndarray) -> tuple[list[tuple[int, int]], int, bool]:
    """A cell's pieces of ink: the x-ranges of the digit-shaped ones (narrow, the line's
    full height), how many points and dashes, and whether any piece is neither."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    height = ink.shape[0]
    digits = []
    marks = 0
    other = False
    for x, _, w, h, area in stats[1:].tolist():
        if h >= 0.8 * height and w <= 0.75 * h:
            digits.append((x, x + w))
        elif area <= (height / 4) ** 2 or (h <= 0.3 * height and w <= height):
            marks += 1
        else:
            other = True
    return sorted(digits), marks, other


def looks_numeric(ink: np.ndarray) -> bool:
    """Whether a cell's ink is one line of digits (with perhaps a point or a dash).

    Digits are narrow glyphs of one piece each, all of the line's height, side by side;
    Chinese characters have pieces of every height, many about as wide as they are tall,
    and dots (总, 心, 讠) where a number has one point at most (3.5, -2, 0.00).
    A wrong "no" only costs a chi_sim reading; a wrong "yes" is caught by the digit
    readings disagreeing with chi_sim.
    """
    digits, marks, other = _pieces(ink)
    return (
        bool(digits)
        and not other
        and marks <= 1
        and all(b[0] >= a[1] - 2 for a, b in pairwise(digits))
    )


def digit_pieces(ink: np.ndarray) -> int:
    """How many digit-shaped pieces of a numeric cell stand apart (a gap between them)."""
    digits, _, _ = _pieces(ink)
    return 1 + sum(b[0] > a[1] for a, b in pairwise(digits)) if digits else 0
