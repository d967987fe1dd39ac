"""The media type of a stored file, from its bytes: what `/source` and bags declare.

The stored name came from whoever sent the file, so it says nothing reliable; the bytes
are sniffed as `extract.read` sniffed them when the file was parsed.
"""

from __future__ import annotations

from pathlib import Path

from extract.read import sniff

_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "text": "text/plain",
}


def media_type(path: Path) -> str:
    """`application/pdf`, `image/png`…; `application/octet-stream` when unknown."""
    kind = sniff(path.read_bytes())
    if kind == "image":
        from PIL import Image  # only for images

        with Image.open(path) as image:
            return image.get_format_mimetype() or "application/octet-stream"
    return _TYPES.get(kind, "application/octet-stream")
