"""The OCR engine: the Tesseract program, run the way a shared worker needs it.

Tesseract runs as a subprocess with an argument list (never a shell string), reading the
image from stdin as a PGM and writing TSV to stdout, so no temporary files are written.
`OMP_THREAD_LIMIT=1` because its own threading makes it several times slower on a shared
machine; parallelism comes from OCR'ing several pages at once instead.  Every call has a
timeout: a hung Tesseract must fail its document, not stall a worker forever.
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

import numpy as np
from PIL import Image

from extract.errors import MissingDependency, OcrFailed
from extract.ocr.engine import Alphabet, OcrWord, Orientation

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"


class Tesseract:
    """The `OcrEngine` of the Tesseract binary `binary` (a path, or a name on the PATH)."""

    def __init__(self, binary: str = "tesseract") -> None:
        self.binary = binary

    def languages(self) -> frozenset[str]:
        return languages(self.binary)

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
        args = _options(alphabet, psm, dpi)
        return parse_tsv(self._run(args, _pgm(image), timeout, what))[1]

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
        """The images go in as the pages of one TIFF: each is laid out and read on its own,
        so no image's size or content sways how another is read, at the cost of one
        process."""
        if not images:
            return []
        buffer = io.BytesIO()
        pages = [Image.fromarray(image) for image in images]
        pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:], dpi=(dpi, dpi))
        found = parse_tsv(self._run(_options(alphabet, psm, dpi), buffer.getvalue(), timeout, what))
        return [found.get(page, []) for page in range(1, len(images) + 1)]

    def orientation(self, image: np.ndarray, *, dpi: int, timeout: float, what: str) -> Orientation:
        """Tesseract's orientation detection (`--psm 0`); none when the OSD data is not
        installed."""
        if "osd" not in self.languages():
            return Orientation(0, 0.0)
        args = ["--psm", "0", "--dpi", str(dpi)]
        out = self._run(args, _pgm(image), timeout, what, tolerate="Too few characters")
        rotate, confidence = _ROTATE.search(out), _CONFIDENCE.search(out)
        if rotate is None or confidence is None:
            return Orientation(0, 0.0)
        return Orientation(int(rotate.group(1)) % 360, float(confidence.group(1)))

    def _run(
        self, args: list[str], image: bytes, timeout: float, what: str, tolerate: str = ""
    ) -> str:
        """Tesseract's stdout for an encoded image, or OcrFailed; "" when it fails with
        `tolerate` in its error output (a page it has nothing to say about).

        It runs in a session of its own so that a timeout kills everything it started: a
        wrapper script's children would otherwise keep the pipes open and the wait going.
        """
        self.languages()
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            process = subprocess.Popen(
                [self.binary, "stdin", "stdout", *args],
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


@functools.cache
def languages(binary: str) -> frozenset[str]:
    """The installed language data, checked once per binary; chi_sim is required."""
    try:
        listed = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=60, check=False
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


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _options(alphabet: Alphabet, psm: int, dpi: int) -> list[str]:
    args = ["-l", alphabet.lang, "--psm", str(psm), "--dpi", str(dpi)]
    if alphabet.whitelist:
        args += ["-c", f"tessedit_char_whitelist={alphabet.whitelist}"]
    return [*args, "tsv"]


def parse_tsv(tsv: str) -> dict[int, list[OcrWord]]:
    """The word rows (level 5) of Tesseract's TSV output that hold text, by page number
    (page 1 for a single image); confidences from 0..100 to 0..1."""
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
