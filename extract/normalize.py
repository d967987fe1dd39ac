"""Text helpers shared by the non-PDF readers: byte decoding and CJK-aware whitespace.

Chinese report text reaches us hard-wrapped and space-padded (Word line breaks inside table
cells, web pages indented for layout, PDF-to-text spacing out 结 果 维 持).  Whitespace between
two CJK characters is never meaningful in Chinese, so removing it turns 法律服务\\n机构 back
into 法律服务机构 while `2021 年` and `0 0` keep the space the parser may need.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata

from extract.text_chars import HAN

_CJK = (
    "\u2e80-\u2fdf"  # radicals
    "\u3001-\u303f"  # CJK punctuation (not U+3000, which is whitespace)
    "\u3040-\u312f"  # kana, bopomofo
    "\u3190-\u31ff"
    f"{HAN}"  # the Chinese characters themselves
    "\ufe30-\ufe4f"  # vertical / compatibility forms
    "\uff00-\uffef"  # full-width forms such as （ ） ， ：
)
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_SPACE_RUN = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalize_space(text: str) -> str:
    """Drop whitespace between CJK characters, collapse any other run to one space, strip."""
    text = _INVISIBLE.sub("", text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return _SPACE_RUN.sub(" ", text).strip()


def decode_text(data: bytes, declared: str | None = None) -> str | None:
    """Decode by BOM, else the declared charset, else UTF-8, else GB18030.

    A page labelled GB2312 that holds GBK-only characters fails its label and lands on
    GB18030, a superset of both.  Returns None when no candidate decodes cleanly, so each
    caller can decide whether that is an error or a reason to fall back.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    candidates = ["utf-8", "gb18030"]
    if declared:
        with contextlib.suppress(LookupError):  # an unknown label is just not a candidate
            candidates.insert(0, codecs.lookup(declared).name)
    for codec in candidates:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


_RADICALS = re.compile(r"[\u2e80-\u2fdf]")
# Simplified-form radicals with no Unicode decomposition, as seen in government PDFs.
_SUPPLEMENT = dict(
    zip(
        "⻓⻔⻅⻉⻋⻢⻚⻛⻜⻝⻥⻰⻬⻩⻘⻄⻙⺠⺟⻆⻮⻈⻁",
        "长门见贝车马页风飞食鱼龙齐黄青西韦民母角齿讠虎",
        strict=True,
    )
)


def fold_radicals(text: str) -> str:
    """Kangxi and supplementary radical forms (`⼀`, `⻓`) that some PDF fonts emit, as the
    ordinary characters they stand for, so `⼀、本年新收` reads as `一、本年新收`."""
    return _RADICALS.sub(
        lambda m: _SUPPLEMENT.get(m.group()) or unicodedata.normalize("NFKC", m.group()), text
    )
