"""Scanned pages to Document rows: clean-up, ruled grids, OCR, rows like the text layer's.

A scan must reach the parser in the same shape as a text PDF, so this package only turns
pixels into what a text layer gives, words and ruling lines in PDF points, and lets
extract/layout.py build the rows: the same grid cells, merged cells, blank cells and prose
lines.  By job:

- settings.py: the OCR part of a read's options, and the engine they name;
- engine.py: what is asked of an OCR engine (a Protocol), tesseract.py: Tesseract as one;
- cleanup.py: scale, deskew, binarize, despeckle, find and remove the ruling lines;
- cells.py: the grid cells as one-line images, and which look like numbers;
- reading.py: the prose and the cells read in a few runs, the vote between readings;
  second_look.py: titles and weak labels read again at other sizes;
- pages.py: each page turned upright, read and laid out, several pages at once;
- reread.py: chosen cells read again, harder, when the report's sums dispute them.

OpenCV runs single-threaded: parallelism comes from OCR'ing pages at once (`jobs`), and
jobs × threads must not exceed the cores.
"""

from __future__ import annotations

import cv2

from extract.ocr.pages import ocr_pages, ocr_pdf_pages, read_image
from extract.ocr.reread import reread_cells
from extract.ocr.settings import OcrSettings

cv2.setNumThreads(1)

__all__ = ["OcrSettings", "ocr_pages", "ocr_pdf_pages", "read_image", "reread_cells"]
