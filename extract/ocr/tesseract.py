"""The OCR engine: Tesseract through pytesseract, run the way a shared worker needs it.

pytesseract writes the image to a temporary file, builds the command line, reads back
Tesseract's output file and parses its orientation report.  How it runs the process is
the one part it lets a caller replace (`pytesseract.pytesseract.run_tesseract`), and it is
replaced here, for this engine's calls only, to keep what pytesseract alone does not:

- the binary is the engine's own (the settings' `tesseract`), not pytesseract's one
  module-wide `tesseract_cmd`;
- `OMP_THREAD_LIMIT=1`, set by env(1) for Tesseract alone: its own threading makes it
  several times slower on a shared machine, and parallelism comes from OCR'ing several
  pages at once instead; this process's environment is neither read nor changed;
- a timeout kills everything Tesseract started: it runs in a session of its own and the
  whole process group goes (pytesseract kills only its direct child, so a wrapper
  script's children would live on).

Every call has a timeout: a hung Tesseract must fail its document, not stall a worker.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

import numpy as np
import pytesseract
from PIL import Image
from pytesseract import pytesseract as _pytesseract  # the module: its hook and its parsers

from extract.errors import MissingDependency, OcrFailed
from extract.ocr.engine import Alphabet, OcrWord, Orientation

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"

_BINARY: ContextVar[str | None] = ContextVar("tesseract binary", default=None)
"""The binary of the engine whose call is running in this thread; None: not ours."""


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
        tsv = self._output(
            _pnm(image), "tsv", alphabet.lang, _config(alphabet, psm, dpi), timeout, what
        )
        return parse_tsv(tsv)[1]

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
        pages = [Image.fromarray(image) for image in images]
        with tempfile.NamedTemporaryFile(prefix="gongkai_", suffix=".tif") as tiff:
            pages[0].save(tiff, "TIFF", save_all=True, append_images=pages[1:], dpi=(dpi, dpi))
            tiff.flush()
            config = _config(alphabet, psm, dpi)
            found = parse_tsv(self._output(tiff.name, "tsv", alphabet.lang, config, timeout, what))
        return [found.get(page, []) for page in range(1, len(images) + 1)]

    def orientation(self, image: np.ndarray, *, dpi: int, timeout: float, what: str) -> Orientation:
        """Tesseract's orientation detection (`--psm 0`); none when the OSD data is not
        installed or the page has too few characters to tell."""
        if "osd" not in self.languages():
            return Orientation(0, 0.0)
        config = f"--psm 0 --dpi {dpi}"
        report = self._output(
            _pnm(image), "osd", "osd", config, timeout, what, "Too few characters"
        )
        found = _pytesseract.osd_to_dict(report)
        if "rotate" not in found or "orientation_conf" not in found:
            return Orientation(0, 0.0)
        return Orientation(int(found["rotate"]) % 360, float(found["orientation_conf"]))

    def _output(
        self,
        image: Image.Image | str,
        extension: str,
        lang: str,
        config: str,
        timeout: float,
        what: str,
        tolerate: str = "",
    ) -> str:
        """Tesseract's output file `extension` for an image (or an image file's name), or
        OcrFailed; "" when it fails with `tolerate` in its error output (a page it has
        nothing to say about)."""
        self.languages()
        binary = _BINARY.set(self.binary)
        try:
            output: str = pytesseract.run_and_get_output(
                image, extension, lang, config, timeout=max(timeout, 0.1)
            )
        except _TimedOut:
            raise OcrFailed(
                f"Tesseract did not finish {what} within the page time limit (GONGKAI_OCR_TIMEOUT)"
            ) from None
        except pytesseract.TesseractError as exc:
            if tolerate and tolerate in exc.message:
                return ""
            last = exc.message.strip().splitlines()[-1:] or [""]
            how = (
                f"was killed by signal {-exc.status}"
                if exc.status < 0
                else f"failed (exit {exc.status})"
            )
            message = f"Tesseract {how} on {what}" + (f": {last[0]}" if last[0] else "")
            raise OcrFailed(message) from None
        except OSError as exc:
            raise OcrFailed(f"cannot run tesseract: {exc}") from None
        finally:
            _BINARY.reset(binary)
        return output


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


def _pnm(image: np.ndarray) -> Image.Image:
    """A grayscale image that pytesseract writes as a PGM: no compression to pay for (it
    writes a PNG unless told the format), and Tesseract reads it."""
    pnm = Image.fromarray(image)
    pnm.format = "PPM"  # Pillow's name for the PBM/PGM/PPM family; "L" images come out P5
    return pnm


def _config(alphabet: Alphabet, psm: int, dpi: int) -> str:
    config = f"-c tessedit_create_tsv=1 --psm {psm} --dpi {dpi}"
    if alphabet.whitelist:
        config += f" -c tessedit_char_whitelist={shlex.quote(alphabet.whitelist)}"
    return config


def parse_tsv(tsv: str) -> dict[int, list[OcrWord]]:
    """The word rows (level 5) of Tesseract's TSV output that hold text, by page number
    (page 1 for a single image); confidences from 0..100 to 0..1 (pytesseract's own
    parser rounds them to whole numbers)."""
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


# --- how pytesseract runs Tesseract, for this engine's calls ------------------------------


class _TimedOut(RuntimeError):
    """Tesseract ran past its time (pytesseract raises a RuntimeError for that too)."""


def _run_tesseract(
    input_filename: str,
    output_filename_base: str,
    extension: str,
    lang: str | None,
    config: str = "",
    nice: int = 0,
    timeout: float = 0,
) -> None:
    """pytesseract's `run_tesseract`, with the engine's binary, one OpenMP thread, and a
    timeout that kills the process group; other callers' runs are pytesseract's own."""
    binary = _BINARY.get()
    if binary is None:
        _pytesseract_run(
            input_filename, output_filename_base, extension, lang, config, nice, timeout
        )
        return
    args = ["env", "OMP_THREAD_LIMIT=1", binary, input_filename, output_filename_base]
    if lang is not None:
        args += ["-l", lang]
    args += shlex.split(config)
    # As pytesseract does: these outputs are asked for with -c options, not config files.
    args += [name for name in extension.split() if name not in {"box", "osd", "tsv", "xml"}]
    process = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    with _killed_on_error(process):
        try:
            _, stderr = process.communicate(timeout=timeout or None)
        except subprocess.TimeoutExpired:
            raise _TimedOut("Tesseract process timeout") from None
    if process.returncode:
        raise pytesseract.TesseractError(process.returncode, stderr.decode(errors="replace"))


@contextlib.contextmanager
def _killed_on_error(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """Kill the process's whole group if the block fails (a timeout, an interrupt): a
    wrapper script's children would otherwise keep the pipe open and the wait going."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise


_pytesseract_run = _pytesseract.run_tesseract
_pytesseract.run_tesseract = _run_tesseract
