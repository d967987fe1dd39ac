"""A scanned page made fit to read: level, clean, and with its tables found.

Tesseract reads a page far better at 300 dpi, level, without specks or ruling lines, and
the cells of a table can only be read one by one once the table's grid is known.  So
before anything is read: scale to 300 dpi, deskew (projection profile), binarize and
despeckle; find the ruling lines with morphology, build the grids from them (the same
geometry as a text PDF's, extract/layout.py), and take the lines out of the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from extract.layout import SNAP, Grid, Rule, find_grids

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

SIDEWAYS_RATIO = 1.5
"""Column profile this much sharper than the row profile: the text runs sideways."""

Box = tuple[int, int, int, int]
"""x0, y0, x1, y1 in page pixels."""


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


def rescale(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
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


def despeckle(ink: np.ndarray, dpi: float, reach_inch: float = DOT_REACH) -> np.ndarray:
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
    marks: np.ndarray = cv2.subtract(ink, small)
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
        for x, y, w, h in sorted(tuple(cv2.boundingRect(contour)) for contour in contours):
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
    gray, dpi = rescale(gray, dpi)
    ink = binarize(gray, dpi)
    sideways = looks_sideways(ink)
    angle = skew_angle(ink)
    if abs(angle) >= 0.05:
        gray = rotate(gray, angle)
        ink = binarize(gray, dpi)
    ink = despeckle(ink, dpi)
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
        ink[y0:y1, x0:x1] = despeckle(ink[y0:y1, x0:x1], dpi, CELL_DOT_REACH)
    # Keep the grey edges of glyphs (a bare binary mask makes them jagged) but nothing else.
    near_ink = cv2.dilate(ink, np.ones((3, 3), np.uint8)) > 0
    return Prepared(np.where(near_ink, gray, np.uint8(255)), ink, dpi, rules, grids, sideways)
