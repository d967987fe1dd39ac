"""Reading printed numbers: whole cells, and numbers run into label text.

Reports print counts as `1,234`, full-width `１２`, signed `-2`/`＋3` (本年增/减), money as
`1944.0495`, and "not applicable" as `/` or a dash.  Crawled web text runs numbers straight
into the next row's label (`…信息00000004.保护第三方…`), so numbers embedded in text are
found too, with the item number of the next label (`4.`) split off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.normalize import fold_radicals
from extract.text_chars import HAN

_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋／", "0123456789.-+/")
_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?")
_COUNTED = re.compile(r"(\d+)(?:件|项|个|次|条|家|人|宗)")
_NA_MARKS = {"/", "-", "—", "–", "——", "－", "无", "\\", "／"}
_WHITESPACE = re.compile(r"\s+")
_DIGITS_APART = re.compile(r"\d\s+[\d+-]")
_SPACE_NOT_BETWEEN_NUMBERS = re.compile(r"(?<![\d,.])\s|\s(?![\d+-])")


@dataclass(frozen=True, slots=True)
class Value:
    """One printed cell value.  `number` is None for a printed "not applicable" mark."""

    text: str
    number: int | float | None

    @property
    def digits(self) -> str:
        """The bare digit run, for splitting values that were printed with no separators;
        a leading minus stays (it signs the run's first value: `-1589` → -15, 89)."""
        unsigned = self.text.removeprefix("-")
        return self.text if unsigned.isdigit() else ""


def normalize(text: str) -> str:
    """Half-width digits and signs; whitespace kept only where it separates two numbers."""
    collapsed = _WHITESPACE.sub(" ", fold_radicals(text).translate(_FULLWIDTH)).strip()
    return _SPACE_NOT_BETWEEN_NUMBERS.sub("", collapsed)


def to_number(text: str) -> int | float:
    cleaned = text.replace(",", "").lstrip("+")
    return float(cleaned) if "." in cleaned else int(cleaned)


def parse_value(text: str) -> Value | None:
    """The value of a cell that holds only a number or an n/a mark, else None."""
    if _DIGITS_APART.search(text):
        return None  # several values in one cell: `embedded_values` splits them
    cleaned = _WHITESPACE.sub("", text.translate(_FULLWIDTH))
    if cleaned in _NA_MARKS:
        return Value(cleaned, None)
    if _NUMBER.fullmatch(cleaned):
        return Value(cleaned, to_number(cleaned))
    counted = _COUNTED.fullmatch(cleaned)  # a cell of its own printing the unit: 4件
    if counted:
        return Value(counted[1], to_number(counted[1]))
    return None


# A digit run inside text is a value unless it is part of the words around it: an item
# number (`1.` `2、`), a date or count with its unit (`2021年`, `4位`), a document number.
_EMBEDDED = re.compile(r"(?:(?<=\d)|(?<![\d.第〔\[（(号]))([+-]?\d+(?:\.\d+)?)(?![\d])")
_SIGN = "+-"
_UNIT_AFTER = re.compile(
    r"^(?:年|月|日|号|条|项|位|件|个|次|人|%|％|余|多|万|亿|元|类|期|家|批|名)"
)
_ITEM_AFTER = re.compile(r"^[.、．](?!\d)")
_HAN_AFTER = re.compile(f"^[{HAN}]{{2}}")


def embedded_values(text: str) -> list[tuple[int, int, Value]]:
    """Values run into text: (start, end, value) in the normalized text.

    A run followed by `.`/`、` is the next label's item number; if it is longer than one
    digit, its last digit is that item number and the digits before it are values
    (`00000004.保护` → `0000000` then label `4.保护`).
    """
    found: list[tuple[int, int, Value]] = []
    for match in _EMBEDDED.finditer(text):
        start, end = match.span(1)
        run = match.group(1)
        if run[0] not in _SIGN and start and text[start - 1].isdigit():
            continue  # the tail of a run the pattern refused where it starts
        rest = text[end:]
        if _UNIT_AFTER.match(rest):
            continue
        if start == 0 and len(run) == 1 and _HAN_AFTER.match(rest):
            continue  # an item number that lost its point: `1申请人无正当理由…`
        if _ITEM_AFTER.match(rest) and "." not in run:
            if len(run.lstrip(_SIGN)) == 1:
                continue
            run, end = run[:-1], end - 1
        found.append((start, end, Value(run, to_number(run))))
    return found
