"""What counts as a Chinese character, defined once for the readers and the parser.

The parser compares labels by their Chinese characters alone (item numbers, punctuation and
OCR specks aside), reads a body's name as a run of them and tells an item number from a
count by the two that follow it; the readers drop the whitespace between them.  Each of
those places used to carry its own range, and the ranges differed (extension A in some, not
others).  This is the one definition: the CJK unified ideographs, their extensions and the
compatibility ideographs.  A leaf module, importing nothing of the project, so that every
layer can use it.
"""

from __future__ import annotations

import re

HAN = (
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0003134f"  # extensions B-G
)
"""The Chinese characters, as the body of a regex character class: `f"[{HAN}]"`."""

_HAN = re.compile(f"[{HAN}]")
_NOT_HAN = re.compile(f"[^{HAN}]")


def has_han(text: str) -> bool:
    """Whether `text` holds a Chinese character."""
    return _HAN.search(text) is not None


def han_only(text: str) -> str:
    """`text` with everything but its Chinese characters removed: 1.属于国家秘密 → 属于国家秘密."""
    return _NOT_HAN.sub("", text)
