"""What a read runs under: the limits on a file and how scans are OCR'd.

The readers never look at the environment: the edge (the CLI, a worker, the API) builds
these from its settings once and passes them in, so a library caller or a test can read a
file under other limits without touching the environment.  The defaults are the documented ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MEGABYTE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadOptions:
    max_file_bytes: int = 200 * MEGABYTE
    """Largest file read at all (GONGKAI_MAX_FILE_MB)."""
    max_pages: int = 300
    """Most pages of a PDF or a multi-page image (GONGKAI_MAX_PAGES)."""
    ocr_jobs: int | None = None
    """Pages OCR'd at once, one single-threaded Tesseract each; None: the usable cores."""
    ocr_dpi: int = 300
    """Resolution for rendering PDF pages that are not one embedded scan."""
    ocr_page_timeout: float = 120.0
    """Seconds one page's OCR may take before the document fails."""
    max_pixels: int = 100_000_000
    """Largest page image decoded or rendered (decompression bombs)."""
    max_markup_bytes: int = 16 * MEGABYTE
    """Largest markup read: a web page's bytes, a .docx's inflated document.xml
    (GONGKAI_MAX_MARKUP_MB).  A .docx of 1 MB can inflate to gigabytes; real reports'
    markup is a few megabytes."""
    max_elements: int = 200_000
    """Most elements in a web page or a .docx's XML (GONGKAI_MAX_ELEMENTS): each costs a
    tree node and may make a row, so this bounds memory and time where bytes cannot (16 MB
    of `<p>1` is four million rows); a real report has some ten thousand."""
    max_depth: int = 256
    """Deepest nesting of elements in a web page or a .docx's XML (GONGKAI_MAX_DEPTH): the
    readers walk their trees recursively, and no real report comes near it."""
    tesseract: str = "tesseract"
    """The Tesseract binary (the fault-injection tests name a script that crashes or hangs)."""

    @property
    def jobs(self) -> int:
        """`ocr_jobs`, or the cores this process may run on."""
        if self.ocr_jobs is not None:
            return max(1, self.ocr_jobs)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        return cores or os.cpu_count() or 1


DEFAULTS = ReadOptions()
"""The documented limits, for callers that set none."""
