"""Page images for OCR: image files through Pillow, scanned PDF pages through pypdfium2.

Both give 8-bit grayscale numpy arrays with their resolution, decoded one page at a time
when the OCR pool asks for it, so a long scan never sits in memory whole.  Sizes are checked
before anything is decoded: a small file can declare a gigapixel image (a decompression
bomb), and a PDF page can be poster-sized.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

import numpy as np

from extract.errors import CorruptFile, FileAccess, LimitExceeded

if TYPE_CHECKING:
    import pypdfium2  # imported for real only when a page is rendered

A4_LONG_INCHES = 842 / 72
"""A photo or screenshot with no usable resolution is taken to show one A4 page."""


@dataclass(slots=True)
class PageImage:
    """One page as pixels: `gray` is height × width uint8, 255 = white paper."""

    number: int
    gray: np.ndarray
    dpi: float


class PageSource(Protocol):
    """Pages of one input, decoded on request; safe to call from several threads."""

    def page(self, number: int) -> PageImage: ...


def check_pixels(width: int, height: int, max_pixels: int, what: str) -> None:
    if width * height > max_pixels:
        raise LimitExceeded(
            f"{what} is {width} × {height} pixels, over the limit of "
            f"{max_pixels / 1e6:g} megapixels (GONGKAI_MAX_MEGAPIXELS)"
        )


def _gray(array: np.ndarray, channels_order: str) -> np.ndarray:
    """Any 1-, 3- or 4-channel uint8 array as a contiguous gray copy."""
    import cv2

    if array.ndim == 2:
        return np.array(array, dtype=np.uint8, copy=True)
    code = {
        ("BGR", 3): cv2.COLOR_BGR2GRAY,
        ("BGR", 4): cv2.COLOR_BGRA2GRAY,
        ("RGB", 3): cv2.COLOR_RGB2GRAY,
        ("RGB", 4): cv2.COLOR_RGBA2GRAY,
    }[channels_order, array.shape[2]]
    return cv2.cvtColor(array, code)


class _Closing:
    """An open input that a `with` block closes: the file behind a PageSource."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- image files --------------------------------------------------------------------------


class ImageFile(_Closing):
    """A PNG, JPEG, TIFF (one page per frame), GIF, BMP or WebP file."""

    def __init__(self, path: Path, max_pixels: int) -> None:
        from PIL import Image, UnidentifiedImageError

        Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own bomb check, at open and per frame
        self._max_pixels = max_pixels
        self._lock = threading.Lock()
        try:
            with warnings.catch_warnings():
                # Pillow only warns between the limit and twice the limit: refuse those too.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                self._image = Image.open(path)  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise LimitExceeded(
                f"image is over the limit of {max_pixels / 1e6:g} megapixels "
                "(GONGKAI_MAX_MEGAPIXELS)"
            ) from None
        except UnidentifiedImageError:
            raise CorruptFile("not a readable image: unknown or damaged format") from None
        except OSError as exc:
            raise FileAccess(f"cannot read file: {exc.strerror or exc}") from None
        self.count: int = getattr(self._image, "n_frames", 1)

    def close(self) -> None:
        self._image.close()

    def page(self, number: int) -> PageImage:
        from PIL import ImageOps

        with self._lock:  # frames are reached by seeking one shared file
            try:
                self._image.seek(number - 1)
                check_pixels(*self._image.size, self._max_pixels, f"page {number}")
                frame = ImageOps.exif_transpose(self._image)  # phone photos store rotation
                dpi = _declared_dpi(self._image.info.get("dpi"), frame.size)
                if frame.mode.startswith("I;16"):  # 16-bit scans: keep the high byte
                    pixels = (np.asarray(frame, dtype=np.uint16) >> 8).astype(np.uint8)
                else:
                    mode = "L" if frame.mode in ("1", "L", "LA", "P", "PA") else "RGB"
                    pixels = np.asarray(frame.convert(mode))
            except (OSError, ValueError, SyntaxError) as exc:
                raise CorruptFile(f"not a readable image: {exc}") from None
        return PageImage(number, _gray(pixels, "RGB"), dpi)


def _declared_dpi(declared: object, size: tuple[int, int]) -> float:
    """The resolution the file declares if it gives a plausible page size, else A4's.

    Cameras write 72 dpi whatever they photograph, and screenshots often write nothing; a
    page between A6 and A2 is plausible.
    """
    long_side = max(size)
    if isinstance(declared, tuple) and declared and float(declared[0] or 0) > 0:
        dpi = float(declared[0])
        if 5.5 <= long_side / dpi <= 24:
            return dpi
    return long_side / A4_LONG_INCHES


# --- PDF pages ----------------------------------------------------------------------------


class PdfPages(_Closing):
    """Pages of a PDF as images: the page's own scan when it is nothing but one upright
    full-page image (no resampling, native resolution), else rendered at `dpi`.

    PDFium is not thread-safe, so every call into it holds one lock; decoding and rendering
    are a small part of a page's OCR time.
    """

    def __init__(self, path: Path, dpi: int, max_pixels: int) -> None:
        import pypdfium2

        self._dpi = dpi
        self._max_pixels = max_pixels
        self._lock = threading.Lock()
        try:
            self._pdf = pypdfium2.PdfDocument(path)
        except pypdfium2.PdfiumError as exc:
            raise CorruptFile(f"not a readable PDF: {exc}") from None

    def close(self) -> None:
        self._pdf.close()

    def page(self, number: int) -> PageImage:
        import pypdfium2

        with self._lock:
            try:
                page = self._pdf[number - 1]
                try:
                    return self._sole_image(page, number) or self._render(page, number)
                finally:
                    page.close()
            except pypdfium2.PdfiumError as exc:
                raise CorruptFile(f"cannot render page {number}: {exc}") from None

    def _render(self, page: pypdfium2.PdfPage, number: int) -> PageImage:
        width, height = page.get_size()
        scale = self._dpi / 72
        check_pixels(
            round(width * scale), round(height * scale), self._max_pixels, f"page {number}"
        )
        bitmap = page.render(scale=scale, grayscale=True)
        return PageImage(number, _gray(bitmap.to_numpy(), "BGR"), self._dpi)

    def _sole_image(self, page: pypdfium2.PdfPage, number: int) -> PageImage | None:
        """The page's one image, when the page is exactly that image drawn upright over
        (nearly) all of it; None for anything else, which is then rendered."""
        import pypdfium2.raw as pdfium_c

        if page.get_rotation() != 0:
            return None
        objects = list(page.get_objects(max_depth=0))
        if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            return None
        image = objects[0]
        a, b, c, d, _, _ = image.get_matrix().get()
        width, height = page.get_size()
        if b or c or a <= 0 or d <= 0 or a * d < 0.95 * width * height:
            return None
        px_width, px_height = image.get_px_size()
        check_pixels(px_width, px_height, self._max_pixels, f"the image of page {number}")
        try:
            bitmap = image.get_bitmap(render=False)
        except Exception:  # an encoding PDFium cannot decode alone: render the page instead
            return None
        gray = _gray(bitmap.to_numpy(), "BGR")
        if gray.shape != (px_height, px_width):
            return None
        return PageImage(number, gray, px_width / width * 72)


def open_pages(path: Path, dpi: int, max_pixels: int) -> PdfPages | ImageFile:
    """The pages of a scanned PDF or an image file as the reader saw them, told apart by
    their bytes (as `extract.read` does), not their name."""
    try:
        with path.open("rb") as file:
            head = file.read(1024)
    except OSError as exc:
        raise FileAccess(f"cannot read file: {exc.strerror or exc}") from None
    if b"%PDF" in head:
        return PdfPages(path, dpi, max_pixels)
    return ImageFile(path, max_pixels)
