"""Scanned pages to Document rows: clean-up, ruled grids, OCR, rows like the text layer's.

A scan must reach the parser in the same shape as a text PDF, so this module only turns
pixels into what extract/pdf.py already consumes, words and ruling lines in PDF points,
and lets its `layout_rows` build the rows: the same grid cells, merged cells, blank cells
and prose lines.

Per page: deskew (projection profile), binarize and despeckle; find the ruling lines with
morphology and take them out of the image; OCR the prose with the tables masked out; OCR
the grid cells in a few Tesseract runs instead of one process per cell (each costs a
process start): cells stitched into tall images, or passed as the pages of one TIFF.
Cells whose ink looks like a number are read twice with a digit whitelist, and chi_sim
breaks a disagreement; the others are read with chi_sim.  Titles and weak labels get a
second look at other sizes.  A page whose text runs sideways or whose Chinese reads as
noise is turned upright with Tesseract's orientation detection first.

OpenCV runs single-threaded: parallelism comes from OCR'ing pages at once (`jobs`), and
jobs × threads must not exceed the cores.
"""

from __future__ import annotations

import bisect
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np

from extract import tesseract
from extract.document import BBox, PageDone, Row
from extract.image import PageImage, PageSource, PdfPages, open_pages
from extract.layout import SNAP, Grid, Rule, Word, find_grids, join_tokens, layout_rows
from extract.options import ReadOptions
from extract.tesseract import OcrWord

cv2.setNumThreads(1)

WORK_DPI = 300
"""Pages are cleaned and OCR'd at this resolution: photos above it are scaled down, and
200 dpi scans or screenshots scaled up (Tesseract misreads their small Chinese glyphs)."""

MAX_SKEW = 3.0
"""Degrees: the deskew search range (scanners here tilt pages by up to 1.5°)."""

MARGIN_MM = 4.0
"""The scanner's dark edges live in this band; no report prints anything there."""

INK_CONTRAST = 20
"""Grey levels below the neighbourhood's mean for a pixel to count as ink."""

SPECK_SIZE = 3
DOT_SIZE = 7
"""Pixels at 300 dpi: ink smaller than a speck is noise; smaller than a dot it is a point
or noise; anything larger is a mark (a character or a part of one)."""

DOT_REACH = 0.02
CELL_DOT_REACH = 0.05
"""Inches: a dot farther than this from any mark is noise.  In a table cell a decimal point
may sit farther from its digits than a full stop from its character; a speck beside a
label is read as a 1 or a point, so one a digit's width away goes."""

MIN_LINE_INCH = 0.25
"""A ruling line is at least this long; strokes of body text are shorter."""

LONG_LINE_INCH = 1.0
"""A line this long is a rule even outside a table: no character stroke is."""

CROSSING_GAP = 6.0
"""Points: a rule that stops this short of a crossing rule runs on to it.  A local
threshold loses a faint grey rule for a few pixels beside a dark one (the dark line darkens
the neighbourhood's mean), and a row rule cut off at every column rule leaves no grid.
"""

MIN_TABLE_WIDTH = 72.0
"""Points: a "grid" narrower than this is the strokes of a large character, not a table."""

STITCH_GAP = 0.15
"""Inches of white around each cell in a stitched image (about one character)."""

MAX_STITCH_PX = 30000
"""Tesseract refuses images taller than 32767 pixels; a stitched image is cut below that."""

NUMBER = re.compile(r"-|[+-]?\d+(?:\.\d+)?")
"""What a digit-whitelisted reading of a numeric cell must look like to be believed."""

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

UPRIGHT_CONFIDENCE = 0.6
"""A page whose Chinese words average less confidence than this may not be upright."""

SIDEWAYS_RATIO = 1.5
"""Column profile this much sharper than the row profile: the text runs sideways."""

SURE_ORIENTATION = 2.0
"""Tesseract's orientation confidence needed to turn a page (it reports ~10-20 when sure)."""

Box = tuple[int, int, int, int]
"""x0, y0, x1, y1 in page pixels."""

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


@dataclass(slots=True)
class OcrPage:
    """One OCR'd page: its rows as extract/pdf.py builds them, its size in points."""

    rows: list[Row]
    width: float
    height: float


@dataclass(slots=True)
class Prepared:
    """A cleaned page: `gray` to read (rules and specks whitened), `ink` its binary mask
    (255 = ink), `rules` in PDF points."""

    gray: np.ndarray
    ink: np.ndarray
    dpi: float
    rules: list[Rule]
    grids: list[Grid]
    sideways: bool

    @property
    def size_points(self) -> tuple[float, float]:
        height, width = self.gray.shape
        return width / self.dpi * 72, height / self.dpi * 72


# --- clean-up -----------------------------------------------------------------------------


def _rescale(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """The page at a resolution Tesseract reads well and fast."""
    if abs(WORK_DPI - dpi) < 1:
        return gray, dpi
    scale = WORK_DPI / dpi
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation), WORK_DPI


def binarize(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Ink mask (255 = ink), with the scanner's dark edges cleared.

    A local threshold (darker than the neighbourhood's mean): it keeps the faint grey rules
    of printed web pages and drops shaded cells and uneven scanner lighting, where one
    global threshold loses the former or keeps the latter.  The light blur only tames
    noise; one-pixel rules of a 200 dpi scan survive it (a median filter would not).
    """
    block = round(dpi / 20) * 2 + 1
    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    ink = cv2.adaptiveThreshold(
        blurred, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, INK_CONTRAST
    )
    band = round(MARGIN_MM / 25.4 * dpi)
    ink[:band, :] = 0
    ink[-band:, :] = 0
    ink[:, :band] = 0
    ink[:, -band:] = 0
    return ink


def skew_angle(ink: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """Degrees to rotate the page counter-clockwise (OpenCV's sense) to level its lines.

    The projection-profile method: text lines and rules give the sharpest histogram of ink
    per row when they are level.  Searched on a quarter-size copy, coarse then fine.
    """
    small = cv2.resize(ink, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    ys, xs = np.nonzero(small > 64)
    if len(ys) < 100:
        return 0.0
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - small.shape[1] / 2

    def sharpness(angle: float) -> float:
        rows = ys - xs * np.tan(np.radians(angle))
        hist = np.bincount(np.round(rows - rows.min()).astype(np.int64))
        return float(np.dot(hist, hist))

    best = max(np.arange(-max_angle, max_angle + 1e-9, 0.25), key=sharpness)
    return float(max(np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05), key=sharpness))


def looks_sideways(ink: np.ndarray) -> bool:
    """Whether the text lines run top to bottom: ink piles up in columns, not rows.

    On a page of prose the row profile is several times sharper than the column profile;
    a page of tables is about even either way, and is left to the confidence check.
    """
    small = cv2.resize(ink, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA) > 64
    rows = small.sum(axis=1, dtype=np.float64) / small.shape[1]
    columns = small.sum(axis=0, dtype=np.float64) / small.shape[0]
    return float(columns @ columns) > SIDEWAYS_RATIO * float(rows @ rows)


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """`gray` rotated by `angle` degrees about its centre, new corners filled white."""
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(255,))


def _despeckle(ink: np.ndarray, dpi: float, reach_inch: float = DOT_REACH) -> np.ndarray:
    """Drop noise: specks smaller than any mark, and dots with no mark within `reach_inch`.

    A full stop or a decimal point is small too, but always sits next to a character.
    Outer contours, not labelled components: a label image would be four bytes a pixel.
    """
    unit = dpi / 300
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    small = np.zeros_like(ink)
    dots = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if max(w, h) < DOT_SIZE * unit:
            cv2.drawContours(small, [contour], -1, 255, cv2.FILLED)
            if max(w, h) >= SPECK_SIZE * unit:
                dots.append((contour, x + w // 2, y + h // 2))
    marks = cv2.subtract(ink, small)
    if dots:
        reach = round(2 * reach_inch * dpi)
        near_marks = cv2.dilate(marks, np.ones((reach, reach), np.uint8))
        kept = [contour for contour, cx, cy in dots if near_marks[cy, cx]]
        cv2.drawContours(marks, kept, -1, 255, cv2.FILLED)
        marks &= ink  # a filled contour also covers the holes of a small 0 or 8
    return marks


def find_rules(ink: np.ndarray, dpi: float) -> tuple[list[Rule], list[Box], np.ndarray]:
    """Candidate ruling lines of a page: as rules in PDF points, as pixel boxes, and as a
    pixel mask.

    Morphological opening with a long thin kernel keeps only runs of ink longer than the
    strokes of body text; a short closing first bridges the gaps noise and JPEG leave in a
    line.  Strokes of large title characters pass too; `prepare` keeps only the lines that
    form tables or are longer than any character.
    """
    length = max(10, round(MIN_LINE_INCH * dpi))
    bridge = max(3, round(dpi / 100))
    to_points = 72 / dpi
    mask = np.zeros_like(ink)
    rules: list[Rule] = []
    boxes: list[Box] = []
    for horizontal in (True, False):
        line = (length, 1) if horizontal else (1, length)
        gap = (bridge, 1) if horizontal else (1, bridge)
        closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(0, gap))
        lines = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(0, line))
        mask |= lines
        contours, _ = cv2.findContours(lines, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for x, y, w, h in sorted(cv2.boundingRect(contour) for contour in contours):
            if horizontal:
                rule = Rule(True, (y + h / 2) * to_points, x * to_points, (x + w) * to_points)
            else:
                rule = Rule(False, (x + w / 2) * to_points, y * to_points, (y + h) * to_points)
            rules.append(rule)
            boxes.append((x, y, x + w, y + h))
    return rules, boxes, mask


def join_crossings(rules: Sequence[Rule], reach: float = CROSSING_GAP) -> list[Rule]:
    """The rules with each end that stops within `reach` of a crossing rule run on to it."""
    joined = []
    for rule in rules:
        crossing = [
            other.pos
            for other in rules
            if other.horizontal != rule.horizontal and other.covers(rule.pos)
        ]
        start = min((p for p in crossing if rule.start - reach <= p < rule.start), default=None)
        end = max((p for p in crossing if rule.end < p <= rule.end + reach), default=None)
        if start is not None or end is not None:
            rule = replace(rule, start=start or rule.start, end=end or rule.end)
        joined.append(rule)
    return joined


def prepare(gray: np.ndarray, dpi: float) -> Prepared:
    """Scale, deskew, binarize and despeckle one page, find its tables, and take their
    rules (and any line too long to be a stroke) out of the image."""
    gray, dpi = _rescale(gray, dpi)
    ink = binarize(gray, dpi)
    sideways = looks_sideways(ink)
    angle = skew_angle(ink)
    if abs(angle) >= 0.05:
        gray = rotate(gray, angle)
        ink = binarize(gray, dpi)
    ink = _despeckle(ink, dpi)
    candidates, boxes, lines = find_rules(ink, dpi)
    candidates = join_crossings(candidates)
    grids = [grid for grid in find_grids(candidates) if grid.xs[-1] - grid.xs[0] >= MIN_TABLE_WIDTH]
    scale = dpi / 72
    areas = [tuple(round(v * scale) for v in (g.xs[0], g.ys[0], g.xs[-1], g.ys[-1])) for g in grids]
    pad = round(SNAP * scale)
    rules = []
    erase = np.zeros_like(lines)
    for rule, (x0, y0, x1, y1) in zip(candidates, boxes, strict=True):
        in_table = any(
            a[0] - pad <= x0 and x1 <= a[2] + pad and a[1] - pad <= y0 and y1 <= a[3] + pad
            for a in areas
        )
        if in_table:
            rules.append(rule)
        if in_table or max(x1 - x0, y1 - y0) >= LONG_LINE_INCH * dpi:
            around = slice(max(0, y0 - 2), y1 + 2), slice(max(0, x0 - 2), x1 + 2)
            erase[around] = lines[around]
    ink[cv2.dilate(erase, np.ones((3, 3), np.uint8)) > 0] = 0
    for x0, y0, x1, y1 in areas:
        # Again without the rules: a table's frame held its cells' specks inside its contour.
        ink[y0:y1, x0:x1] = _despeckle(ink[y0:y1, x0:x1], dpi, CELL_DOT_REACH)
    # Keep the grey edges of glyphs (a bare binary mask makes them jagged) but nothing else.
    near_ink = cv2.dilate(ink, np.ones((3, 3), np.uint8)) > 0
    return Prepared(np.where(near_ink, gray, np.uint8(255)), ink, dpi, rules, grids, sideways)


# --- table cells --------------------------------------------------------------------------


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


def _read_strips(
    strips: Sequence[np.ndarray], dpi: int, deadline: float, what: str, **options: str
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
        words = tesseract.recognize(
            canvas, dpi=dpi, psm=6, timeout=deadline - time.monotonic(), what=what, **options
        )
        for word in words:
            k = bisect.bisect_right(tops, word.cy + gap / 2) - 1
            if k >= 0:
                found[start + k].append(replace(word, left=word.left - gap, top=word.top - tops[k]))
        start += len(tops)
    return found


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def _box(words: Sequence[OcrWord]) -> Box:
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
    )


def _mean_confidence(words: Sequence[OcrWord]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def _at_least(strip: np.ndarray, height: float) -> np.ndarray:
    """`strip` scaled up to `height` pixels tall (at most twice), or as it is if taller."""
    scale = min(2.0, height / strip.shape[0])
    if scale <= 1.0:
        return strip
    return cv2.resize(strip, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _number(words: Sequence[OcrWord]) -> str | None:
    """The number a reading holds, a stray point at either end dropped ("5." is 5: a
    speck beside a digit), or None when it is not one."""
    text = "".join(w.text for w in words).strip(".")
    return text if NUMBER.fullmatch(text) else None


def _sure(words: Sequence[OcrWord]) -> bool:
    return all(w.confidence >= SURE_DIGITS for w in words)


def _digit_count(number: str) -> int:
    return sum(ch.isdigit() for ch in number)


def _vote(
    together: list[OcrWord], alone: list[OcrWord], chinese: list[OcrWord], digits: int = 0
) -> tuple[list[OcrWord], str | None, tuple[str, ...]]:
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
    readings = [(together, _number(together)), (alone, _number(alone))]
    readings.append((chinese, read_as if NUMBER.fullmatch(read_as) else None))
    numbers = [number for _, number in readings if number is not None]
    if not numbers:
        return chinese, None, ()
    ranked = tuple(number for number, _ in Counter(numbers).most_common())
    voters = [
        number
        for k, (words, number) in enumerate(readings)
        if number is not None and (k == 2 or any(w.confidence > 0 for w in words))
    ]
    votes = Counter(n for n in voters if _digit_count(n) >= digits) or Counter(voters)
    if not votes:
        return [], None, ranked
    (number, count), *others = votes.most_common()
    if count == 1 and others:
        sure = [n for words, n in readings[:2] if n in votes and _sure(words)]
        if len(set(sure)) != 1:
            return [], None, ranked
        number = sure[0]
    words = next(words for words, n in readings if n == number)
    return words, number, tuple(n for n in ranked if n != number)


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
        return _mean_confidence(chinese) if chinese else 1.0


def first_reading(prepared: Prepared, deadline: float, what: str) -> Reading:
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
        lines = _lines(
            tesseract.recognize(
                prose, dpi=dpi, psm=3, timeout=deadline - time.monotonic(), what=f"{what} (text)"
            )
        )

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
        digits = {"lang": "eng", "whitelist": tesseract.DIGITS}
        together = _read_strips(strips, dpi, deadline, f"{what} (table numbers)", **digits)
        pad = round(STITCH_GAP * dpi)
        alone = tesseract.recognize_each(
            [
                np.pad(_at_least(strip, ALONE_HEIGHT * dpi), pad, constant_values=255)
                for strip in strips
            ],
            dpi=dpi,
            psm=7,
            timeout=deadline - time.monotonic(),
            what=f"{what} (table numbers)",
            **digits,
        )
        for k, first, second in zip(indices, together, alone, strict=True):
            digit_readings[k] = (first, second)
            number = _number(first)
            if (
                number not in (None, "-")
                and number == _number(second)
                and _digit_count(number) >= slots[k].digits
            ):
                cells[k], numbers[k] = first, number

    read_digits([k for k, slot in enumerate(slots) if slot.numeric])
    rest = [k for k in range(len(slots)) if numbers[k] is None]
    found = _read_strips([slots[k].strip for k in rest], dpi, deadline, f"{what} (table labels)")
    for k, words in zip(rest, found, strict=True):
        cells[k] = words
    no_chinese = [k for k in rest if cells[k] and not _is_cjk("".join(w.text for w in cells[k]))]
    read_digits([k for k in no_chinese if k not in digit_readings])
    for k in rest:
        if numbers[k] is None and k in digit_readings:
            cells[k], numbers[k], alternatives[k] = _vote(
                *digit_readings[k], cells[k], slots[k].digits
            )
    return Reading(lines, slots, cells, numbers, alternatives)


def second_look(prepared: Prepared, reading: Reading, deadline: float, what: str) -> None:
    """Read large and weak Chinese again at two sizes near body text, and vote.

    Tesseract reads large title characters worse than body text (芜湖 as 无湖, 息 as 恩),
    and now and then misreads a short label, or reads nothing at all in a clear line, at
    one size and gets it right at another; a title or a row label wrong here is an agency
    or a whole table row lost.  The reading most of the tries agree on wins, the more
    confident on a tie; a large line's first reading does not take part (it is often wrong
    yet confident).  Confidence alone picks badly: a misreading can score higher.
    """
    boxes = [_box(line) for line in reading.lines]
    # Chinese characters are square: a line's width per character is its font size.
    sizes = [
        (x1 - x0) / sum(len(w.text) for w in line)
        for line, (x0, _, x1, _) in zip(reading.lines, boxes, strict=True)
    ]
    large = LARGE_TEXT * sorted(sizes)[len(sizes) // 2] if sizes else 0
    todo: list[tuple[list[list[OcrWord]], int, np.ndarray, tuple[int, int], bool]] = []
    for k, (line, (x0, y0, x1, y1)) in enumerate(zip(reading.lines, boxes, strict=True)):
        if sizes[k] >= large or _mean_confidence(line) < WEAK_LINE:
            strip = prepared.gray[y0:y1, x0:x1]
            todo.append((reading.lines, k, strip, (x0, y0), sizes[k] >= large))
    for k, cell in enumerate(reading.cells):
        label = reading.numbers[k] is None and not reading.alternatives[k]
        if label and _mean_confidence(cell) < WEAK_LABEL:
            todo.append((reading.cells, k, reading.slots[k].strip, (0, 0), False))
    if not todo:
        return
    # Per todo item: (words, scale) of each reading; the first reading when it may stand.
    readings: list[list[tuple[list[OcrWord], float]]] = [
        [] if is_large else [(words_of[k], 1.0)] for words_of, k, _, _, is_large in todo
    ]
    for height in SECOND_LOOK_HEIGHTS:
        # One run per size: Tesseract sizes its expectations on the whole stitched image,
        # so strips of one height read more steadily together.
        scales = [height * prepared.dpi / strip.shape[0] for _, _, strip, _, _ in todo]
        strips = [
            cv2.resize(
                strip,
                None,
                fx=scale,
                fy=scale,
                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
            )
            for (_, _, strip, _, _), scale in zip(todo, scales, strict=True)
        ]
        found = _read_strips(strips, round(prepared.dpi), deadline, f"{what} (second look)")
        for n, (scale, words) in enumerate(zip(scales, found, strict=True)):
            if words:
                readings[n].append((words, scale))
    for (words_of, k, _, (x0, y0), _), options in zip(todo, readings, strict=True):
        if not options:
            continue
        votes = Counter("".join(w.text for w in words) for words, _ in options)
        words, scale = max(
            options,
            key=lambda o: (votes["".join(w.text for w in o[0])], _mean_confidence(o[0])),
        )
        if scale == 1.0:
            continue  # the first reading stands
        key = words_of[k][0].line if words_of[k] else (0, 0, 0)
        words_of[k] = [
            replace(
                w,
                left=x0 + round(w.left / scale),
                top=y0 + round(w.top / scale),
                width=round(w.width / scale),
                height=round(w.height / scale),
                line=key,
            )
            for w in words
        ]


# --- assembling ---------------------------------------------------------------------------


def _lines(words: Sequence[OcrWord]) -> list[list[OcrWord]]:
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
    words = []
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
            text = number or join_tokens(w.text for line in _lines(cell) for w in line)
            confidence = min((w.confidence for w in cell), default=0.0)
            if others:
                confidence = min(confidence, DISPUTED)
            x0, y0, x1, y1 = (v * to_points for v in slot.box)
            words.append(Word(text, x0, y0, x1, y1, confidence, others))
    return words


def read_page(image: PageImage, settings: OcrSettings, what: str) -> OcrPage:
    """OCR one page image into rows, turned upright first when it is not.

    Orientation detection costs about a Tesseract pass, so it runs only for a page whose
    text runs vertically (sideways) or whose Chinese reads as noise (upside down).
    """
    deadline = time.monotonic() + settings.page_timeout

    def prepared_from(gray: np.ndarray) -> Prepared:
        started = time.perf_counter()
        prepared = prepare(gray, image.dpi)
        _time(settings, "clean-up", started)
        return prepared

    def read(prepared: Prepared) -> Reading:
        started = time.perf_counter()
        reading = first_reading(prepared, deadline, what)
        _time(settings, "ocr", started)
        return reading

    prepared = prepared_from(image.gray)
    reading = None if prepared.sideways else read(prepared)
    if reading is None or reading.confidence < UPRIGHT_CONFIDENCE:
        started = time.perf_counter()
        turn, sure = tesseract.orientation(
            prepared.gray,
            dpi=round(prepared.dpi),
            timeout=deadline - time.monotonic(),
            what=f"{what} (orientation)",
        )
        _time(settings, "ocr", started)
        if turn and sure >= SURE_ORIENTATION:
            prepared = prepared_from(np.ascontiguousarray(np.rot90(image.gray, k=-turn // 90)))
            reading = None
        if reading is None:
            reading = read(prepared)
    started = time.perf_counter()
    second_look(prepared, reading, deadline, what)
    rows = layout_rows(page_words(prepared, reading), prepared.rules)
    _time(settings, "ocr", started)
    return OcrPage(rows, *prepared.size_points)


def _time(settings: OcrSettings, stage: str, started: float) -> None:
    if settings.timer is not None:
        settings.timer(stage, time.perf_counter() - started)


# --- documents ----------------------------------------------------------------------------


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
        _time(settings, "render", started)
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
    with PdfPages(path, settings.dpi, settings.max_pixels) as source:
        pages = ocr_pages(source, numbers, settings, os.path.basename(path))
    return {number: page.rows for number, page in pages.items()}


# --- reading cells again ------------------------------------------------------------------

REREAD_TRIM = 0.03
"""Inches at each edge of a cell that a re-read leaves blank, well past the rules' own ink:
what is left of a vertical rule beside a digit reads as a 1 (2 → 21), of a border as a 0."""

REREAD_VARIANTS = ((0, False, 1.5), (0, True, 1.0), (1, False, 2.0), (1, True, 1.5))
"""How a re-read shows a cell, best first: ink found by the reader's local threshold (0) or
Otsu's (1), as black and white or in its grey shades, at a scale.  Tesseract's misreadings
depend on the glyphs' size in pixels and on their edges, so each shows it another chance."""

REREAD_MODES = ((7, 4), (8, 2))
"""Tesseract page segmentation modes a re-read tries (one line, one word), each on the
first so many variants.  Raw-line mode (13) reads like word mode on these cells."""

CellRequest = tuple[int, BBox]
"""A page number (1-based) and a cell's box in PDF points, as in `Cell.bbox`."""


def reread_cells(
    path: os.PathLike[str], requests: Sequence[CellRequest], settings: OcrSettings
) -> dict[CellRequest, tuple[str, ...]]:
    """Read the given numeric cells of a scan again, several other ways: the numbers found,
    the most often read first, for each request (an empty tuple when none was found).

    Each page is loaded as the reader loaded it (its embedded scan, or rendered at the same
    resolution) and levelled the same way, so a cell's box finds the same pixels; then each
    cell is cut out, its edges trimmed harder than the reader does, binarized with the
    reader's local threshold and with Otsu's, and read at a few sizes in a few modes with
    the digit whitelist, all cells of a page in one Tesseract run per mode (the modes
    `settings.jobs` at a time; the settings' page time limit and pixel limit hold).  A number with
    fewer digits than the cell has digit-shaped pieces standing apart is left out (a digit
    missed) unless nothing else was read.  A page the reader turned upright has other
    boxes: its cells find no digits here and get nothing.
    """
    by_page: dict[int, list[CellRequest]] = {}
    for request in requests:
        by_page.setdefault(request[0], []).append(request)
    found: dict[CellRequest, tuple[str, ...]] = {}
    with open_pages(Path(path), settings.dpi, settings.max_pixels) as source:
        for number, cells in sorted(by_page.items()):
            deadline = time.monotonic() + settings.page_timeout
            image = source.page(number)
            gray, dpi = _level(image.gray, image.dpi)
            what = f"page {number} (re-read)"
            found.update(_reread_page(gray, dpi, cells, settings.jobs, deadline, what))
    return found


def _level(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """The page at the scale and angle `prepare` gives it, without the rest of the clean-up."""
    gray, dpi = _rescale(gray, dpi)
    angle = skew_angle(binarize(gray, dpi))
    return (rotate(gray, angle) if abs(angle) >= 0.05 else gray), dpi


def _reread_page(
    gray: np.ndarray, dpi: float, cells: list[CellRequest], jobs: int, deadline: float, what: str
) -> dict[CellRequest, tuple[str, ...]]:
    scale = dpi / 72
    height, width = gray.shape
    variants: list[list[np.ndarray]] = []
    pieces: list[int] = []
    for _, bbox in cells:
        x0, y0, x1, y1 = (round(v * scale) for v in bbox)
        crop = gray[max(0, y0) : min(height, y1), max(0, x0) : min(width, x1)]
        shown, count = _cell_variants(crop, dpi) if crop.size else ([], 0)
        variants.append(shown)
        pieces.append(count)
    readings: list[list[str]] = [[] for _ in cells]

    def read(mode: tuple[int, int]) -> list[tuple[int, list[OcrWord]]]:
        psm, first = mode
        owners = [k for k, shown in enumerate(variants) for _ in shown[:first]]
        if not owners:
            return []
        found = tesseract.recognize_each(
            [image for shown in variants for image in shown[:first]],
            dpi=round(dpi),
            psm=psm,
            timeout=deadline - time.monotonic(),
            what=what,
            lang="eng",
            whitelist=tesseract.DIGITS,
        )
        return list(zip(owners, found, strict=True))

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(REREAD_MODES)))) as pool:
        for found in pool.map(read, REREAD_MODES):
            for k, words in found:
                number = _number(words)
                if number is not None:
                    readings[k].append(number)
    result = {}
    for request, numbers, count in zip(cells, readings, pieces, strict=True):
        votes = Counter(n for n in numbers if _digit_count(n) >= count) or Counter(numbers)
        result[request] = tuple(n for n, _ in votes.most_common())
    return result


def _cell_variants(crop: np.ndarray, dpi: float) -> tuple[list[np.ndarray], int]:
    """A cell's digits as images to read (black on white, with a white margin), and how
    many digit-shaped pieces stand apart in them; none when the cell holds no mark."""
    trim = round(REREAD_TRIM * dpi)
    blurred = cv2.GaussianBlur(crop, (3, 3), 0)
    block = round(dpi / 20) * 2 + 1
    local = cv2.adaptiveThreshold(
        blurred, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, INK_CONTRAST
    )
    inner = blurred[trim:-trim, trim:-trim] if min(crop.shape) > 3 * trim else blurred
    threshold, _ = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    otsu = np.where(blurred <= threshold, np.uint8(255), np.uint8(0))
    count = 0
    shown: list[np.ndarray] = []
    pad = round(STITCH_GAP * dpi)
    inks = []
    for ink in (local, otsu):
        ink[:trim, :] = 0
        ink[-trim:, :] = 0
        ink[:, :trim] = 0
        ink[:, -trim:] = 0
        inks.append(_despeckle(ink, dpi, CELL_DOT_REACH))
    for which, binary, factor in REREAD_VARIANTS:
        ink = inks[which]
        ys, xs = np.nonzero(ink)
        if not len(ys):
            return [], 0
        box = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
        count = max(count, digit_pieces(ink[box]))
        if binary:
            image = np.where(ink[box] > 0, np.uint8(0), np.uint8(255))
        else:
            near = cv2.dilate(ink[box], np.ones((3, 3), np.uint8)) > 0
            image = np.where(near, crop[box], np.uint8(255))
        if factor != 1.0:
            image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        shown.append(np.pad(image, pad, constant_values=255))
    return shown, count
