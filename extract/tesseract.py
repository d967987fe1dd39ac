"""Every call to the Tesseract program, in one place.

Tesseract runs as a subprocess with an argument list (never a shell string), reading the
image from stdin as a PGM and writing TSV to stdout, so no temporary files are written.
`OMP_THREAD_LIMIT=1` because its own threading makes it several times slower on a shared
machine; parallelism comes from OCR'ing several pages at once instead.  Every call has a
timeout: a hung Tesseract must fail its document, not stall a worker forever.

GONGKAI_TESSERACT names another Tesseract binary (the fault-injection tests point it at a
script that crashes or hangs).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from extract.errors import MissingDependency, OcrFailed

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
DIGITS = "0123456789.+-"
"""What a numeric table cell may hold: integers, decimal money amounts, a sign (the
本年增/减 columns print +1 and -2), a dash."""


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word of Tesseract's TSV output, in pixels of the image it was given."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float
    """0..1 (Tesseract reports 0..100)."""
    line: tuple[int, int, int]
    """Block, paragraph and line number: the words of one text line share it."""

    @property
    def cx(self) -> float:
        return self.left + self.width / 2

    @property
    def cy(self) -> float:
        return self.top + self.height / 2


def command() -> str:
    return os.environ.get("GONGKAI_TESSERACT", "").strip() or "tesseract"


@functools.cache
def languages(cmd: str) -> frozenset[str]:
    """The installed language data, checked once per binary; chi_sim is required."""
    try:
        listed = subprocess.run(
            [cmd, "--list-langs"], capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError:
        raise MissingDependency(
            f"OCR needs the tesseract program, which is not installed ({INSTALL_HINT})"
        ) from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrFailed(f"cannot run tesseract: {exc}") from None
    names = frozenset(line.strip() for line in listed.stdout.splitlines()[1:] if line.strip())
    if listed.returncode != 0 or "chi_sim" not in names:
        raise MissingDependency(
            f"OCR needs Tesseract's Simplified Chinese data (chi_sim), which is not installed "
            f"({INSTALL_HINT})"
        )
    return names


def _pgm(image: np.ndarray) -> bytes:
    """An 8-bit grayscale image as binary PGM: no encoding cost, and Tesseract reads it."""
    height, width = image.shape
    return b"P5 %d %d 255\n" % (width, height) + np.ascontiguousarray(image).tobytes()


def _run(args: list[str], image: bytes, timeout: float, what: str, tolerate: str = "") -> str:
    """Tesseract's stdout for an encoded image, or OcrFailed; "" when it fails with
    `tolerate` in its error output (a page it has nothing to say about).

    It runs in a session of its own so that a timeout kills everything it started: a
    wrapper script's children would otherwise keep the pipes open and the wait going.
    """
    cmd = command()
    languages(cmd)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        process = subprocess.Popen(
            [cmd, "stdin", "stdout", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise OcrFailed(f"cannot run tesseract: {exc}") from None
    try:
        out, err = process.communicate(image, timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        _kill(process)
        raise OcrFailed(
            f"Tesseract did not finish {what} within the page time limit (GONGKAI_OCR_TIMEOUT)"
        ) from None
    except BaseException:
        _kill(process)
        raise
    if process.returncode != 0:
        errors = err.decode(errors="replace")
        if tolerate and tolerate in errors:
            return ""
        last = errors.strip().splitlines()[-1:] or [""]
        how = (
            f"was killed by signal {-process.returncode}"
            if process.returncode < 0
            else f"failed (exit {process.returncode})"
        )
        raise OcrFailed(f"Tesseract {how} on {what}" + (f": {last[0]}" if last[0] else ""))
    return out.decode("utf-8", errors="replace")


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def recognize(
    image: np.ndarray,
    *,
    dpi: int,
    psm: int,
    timeout: float,
    what: str,
    lang: str = "chi_sim",
    whitelist: str | None = None,
) -> list[OcrWord]:
    """The words Tesseract reads in a grayscale image (black text on white)."""
    args = _options(lang, psm, dpi, whitelist)
    return parse_tsv(_run(args, _pgm(image), timeout, what))[1]


def recognize_each(
    images: Sequence[np.ndarray],
    *,
    dpi: int,
    psm: int,
    timeout: float,
    what: str,
    lang: str = "chi_sim",
    whitelist: str | None = None,
) -> list[list[OcrWord]]:
    """The words of each image, read one by one by a single Tesseract process.

    The images go in as the pages of one TIFF: each is laid out and read on its own, so
    no image's size or content sways how another is read, at the cost of one process.
    """
    if not images:
        return []
    buffer = io.BytesIO()
    pages = [Image.fromarray(image) for image in images]
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:], dpi=(dpi, dpi))
    args = _options(lang, psm, dpi, whitelist)
    found = parse_tsv(_run(args, buffer.getvalue(), timeout, what))
    return [found.get(page, []) for page in range(1, len(images) + 1)]


def _options(lang: str, psm: int, dpi: int, whitelist: str | None) -> list[str]:
    args = ["-l", lang, "--psm", str(psm), "--dpi", str(dpi)]
    if whitelist:
        args += ["-c", f"tessedit_char_whitelist={whitelist}"]
    return [*args, "tsv"]


def parse_tsv(tsv: str) -> dict[int, list[OcrWord]]:
    """The word rows (level 5) of Tesseract's TSV output that hold text, by page number
    (page 1 for a single image)."""
    pages: dict[int, list[OcrWord]] = {1: []}
    for line in tsv.splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) != 12 or parts[0] != "5" or not parts[11].strip():
            continue
        page, block, par, row = map(int, parts[1:5])
        left, top, width, height = map(int, parts[6:10])
        confidence = max(0.0, min(1.0, float(parts[10]) / 100))
        word = OcrWord(parts[11].strip(), left, top, width, height, confidence, (block, par, row))
        pages.setdefault(page, []).append(word)
    return pages


_ROTATE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_CONFIDENCE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)


def orientation(image: np.ndarray, *, dpi: int, timeout: float, what: str) -> tuple[int, float]:
    """Tesseract's orientation detection (`--psm 0`): degrees to turn the image clockwise to
    make it upright, and its confidence; (0, 0.0) when the OSD data is not installed."""
    if "osd" not in languages(command()):
        return 0, 0.0
    args = ["--psm", "0", "--dpi", str(dpi)]
    out = _run(args, _pgm(image), timeout, what, tolerate="Too few characters")
    rotate, confidence = _ROTATE.search(out), _CONFIDENCE.search(out)
    if rotate is None or confidence is None:
        return 0, 0.0
    return int(rotate.group(1)) % 360, float(confidence.group(1))
