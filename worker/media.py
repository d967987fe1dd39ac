"""The media type of a stored file, from its bytes: what `/source` and bags declare.

The stored name came from whoever sent the file, so it says nothing reliable; the bytes
are sniffed as `extract.read` sniffed them when the file was parsed.
"""

from __future__ import annotations

from pathlib import Path

from extract.read import READERS, sniff


def media_type(path: Path) -> str:
    """`application/pdf`, `image/png`…; `application/octet-stream` when unknown."""
    reader = READERS.get(sniff(path.read_bytes()))
    if reader is None:
        return "application/octet-stream"
    if reader.media_type is None:
        from PIL import Image  # only images have no fixed type

        with Image.open(path) as image:
            return image.get_format_mimetype() or "application/octet-stream"
    return reader.media_type
