"""Reading chosen table cells of a scan again, harder, when the report's sums dispute them.

The first reading settles most numbers; a cell whose readings disagree, or that a rule's
sum does not confirm, is read again here, several other ways, and the pipeline keeps a new
reading only where it alone makes the sums hold.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from extract.document import BBox
from extract.image import open_pages
from extract.ocr.cells import digit_pieces
from extract.ocr.cleanup import (
    CELL_DOT_REACH,
    INK_CONTRAST,
    binarize,
    despeckle,
    rescale,
    rotate,
    skew_angle,
)
from extract.ocr.engine import DIGITS, Call, OcrWord
from extract.ocr.reading import STITCH_GAP, digit_count, number_in
from extract.ocr.settings import OcrSettings

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
    engine = settings.ocr_engine()
    with open_pages(Path(path), settings.dpi, settings.max_pixels) as source:
        for number, cells in sorted(by_page.items()):
            call = Call(engine, time.monotonic() + settings.page_timeout, f"page {number}")
            image = source.page(number)
            gray, dpi = _level(image.gray, image.dpi)
            found.update(_reread_page(gray, dpi, cells, settings.jobs, call.part("re-read")))
    return found


def _level(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """The page at the scale and angle `prepare` gives it, without the rest of the clean-up."""
    gray, dpi = rescale(gray, dpi)
    angle = skew_angle(binarize(gray, dpi))
    return (rotate(gray, angle) if abs(angle) >= 0.05 else gray), dpi


def _reread_page(
    gray: np.ndarray, dpi: float, cells: list[CellRequest], jobs: int, call: Call
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
        found = call.recognize_each(
            [image for shown in variants for image in shown[:first]],
            dpi=round(dpi),
            psm=psm,
            alphabet=DIGITS,
        )
        return list(zip(owners, found, strict=True))

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(REREAD_MODES)))) as pool:
        for found in pool.map(read, REREAD_MODES):
            for k, words in found:
                number = number_in(words)
                if number is not None:
                    readings[k].append(number)
    result = {}
    for request, numbers, count in zip(cells, readings, pieces, strict=True):
        votes = Counter(n for n in numbers if digit_count(n) >= count) or Counter(numbers)
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
        inks.append(despeckle(ink, dpi, CELL_DOT_REACH))
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
