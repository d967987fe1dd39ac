"""The label matcher: which printed row label means which contract row.

The rows themselves (keys, order, printed labels, keywords, editions, column headers) come
from the one catalogue, schemas/catalogue.py; this module adds how to match them.  Labels
vary between reports (社会组织 for 社会公益组织, `1、` for `1.`, typos such as
其他法律行政止公开, OCR noise, labels wrapped over lines and merged with their group's
label), so rows are identified by keywords, and by their order where keywords fail: a label
that matches nothing but closely resembles the next expected row's printed label is taken
as that row.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from extract.text_chars import han_only
from schemas import catalogue


@dataclass(frozen=True, slots=True)
class RowLabel:
    key: str
    printed: str  # the official label, for fuzzy matching
    pattern: re.Pattern[str]


def _row(key: str, printed: str, pattern: str) -> RowLabel:
    return RowLabel(key, printed, re.compile(pattern))


# Section 三, in printed order.  `other_processing` is the 2019 edition's single （六） row;
# its pattern only matches when none of the 2021 sub-rows does (see `match_application_row`).
APPLICATION_LABELS: tuple[RowLabel, ...] = tuple(
    _row(row.key, row.printed, row.words) for row in catalogue.APPLICATION_ROWS
)

APPLICATION_KEYS = tuple(label.key for label in APPLICATION_LABELS)
_INDEX = {key: i for i, key in enumerate(APPLICATION_KEYS)}
_GROUP_ROWS = {"other_processing"}
FUZZY_RATIO = 0.7
_RESULT_START = _INDEX["granted"]


def match_application_row(text: str, after: str | None) -> str | None:
    """The row key a label names, given the key of the row before it (None at the start).

    Rows only move forward through the table: a label naming an earlier row (a repeated
    header's 总计, say) is not a row.  Where a group label is merged with its first
    sub-row's label ("（六）其他处理1.申请人无正当理由…"), the sub-row wins.
    """
    # （六）其他处理 is the 2019 edition's row, but in the 2021 edition it heads the three
    # sub-rows that follow it: after it, they may still come.
    start = (
        -1
        if after is None
        else _INDEX["not_processed_confirmation" if after in _GROUP_ROWS else after]
    )
    hits = [label for label in APPLICATION_LABELS if label.pattern.search(text)]
    specific = [label for label in hits if label.key not in _GROUP_ROWS] or hits
    for label in specific:
        index = _INDEX[label.key]
        if index <= start:
            continue
        if label.key == "total_processed" and start < _RESULT_START:
            continue  # the header's 总计 column, not the （七） row
        if label.key == "other_misc" and after not in (
            "other_overdue_fee",
            "other_overdue_correction",
        ):
            continue
        return label.key
    return _resembling_next_row(text, start) if after is not None else None


_MARKER = re.compile(r"^\W*?(?:(\d)\s*[.、．]|[（(]\s*([一二三四五六七])\s*[）)]|([一二三四])、)")


def _marker(text: str) -> str | None:
    """A label's item number (`5.`, `5、`, `（五）`, `四、`), normalised to its digit or numeral."""
    match = _MARKER.match(text)
    return next((group for group in match.groups() if group), None) if match else None


def _resembling_next_row(text: str, start: int) -> str | None:
    """Order fallback for labels whose keywords are cut off or garbled: one of the next few
    rows, if the label carries that row's item number and a few of its words, or closely
    resembles its printed label."""
    words = han_only(text)
    if len(words) < 2:
        return None
    marker = _marker(text)
    for label in APPLICATION_LABELS[start + 1 : start + 4]:
        printed = han_only(label.printed)
        similar = SequenceMatcher(None, words, printed)
        if marker is not None and marker == _marker(label.printed):
            if similar.find_longest_match().size >= 2:
                return label.key
        elif len(words) >= 4 and similar.ratio() >= FUZZY_RATIO:
            return label.key
    return None


# Section 二 (主动公开): row keys and the edition's columns.
ACTIVE_LABELS: tuple[RowLabel, ...] = tuple(
    _row(row.key, row.name, row.words) for row in catalogue.ACTIVE_ROWS
)

ACTIVE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    edition: {
        row.key: tuple(column.key for column in row.shapes[edition].columns)
        for row in catalogue.active_rows(edition)
    }
    for edition in ("2021", "2019")
}

MONEY_FIELDS = {
    (row.key, column.key)
    for edition in catalogue.EDITIONS
    for row, column in catalogue.active_columns(edition)
    if column.kind == "amount"
}

# The words of a column header cell (制发 for 本年制发件数), by column key.
ACTIVE_HEADER_WORDS: dict[str, re.Pattern[str]] = {
    column.key: re.compile(column.words)
    for edition in catalogue.EDITIONS
    for _, column in catalogue.active_columns(edition)
}


def _edition_words(edition: catalogue.Edition) -> re.Pattern[str]:
    """The header words only `edition`'s 主动公开 table prints, in printed order."""
    words = (column.edition_words for _, column in catalogue.active_columns(edition))
    return re.compile("|".join(dict.fromkeys(word for word in words if word)))


# Header words that decide the edition of the 主动公开 table (the table itself, not the year).
EDITION_2021_HEADERS = _edition_words("2021")
EDITION_2019_HEADERS = _edition_words("2019")


ACTIVE_NAMES = {label.key: label.printed for label in ACTIVE_LABELS}

# A table's own header words: without a title, a table is only taken where two of them are
# printed with it (prose names 行政许可 or 行政复议, not 本年制发件数 and 结果纠正).
TABLE_ANCHORS: dict[str, re.Pattern[str]] = {
    "active_disclosure": re.compile(
        f"{EDITION_2021_HEADERS.pattern}|{EDITION_2019_HEADERS.pattern}|信息内容"
    ),
    "applications": re.compile(r"自然人|商业企业|科研机构|社会公益组织|法律服务机构|申请人情况"),
    "reviews_and_lawsuits": re.compile(r"维持|纠正|尚未审结|未经复议|复议后起诉"),
}


def match_active_row(text: str) -> str | None:
    """The row a label names; of several run together (a blank row's label, the next
    sub-table's header, then a row label), the last, which the values after it belong to."""
    found = [
        (match.start(), label.key)
        for label in ACTIVE_LABELS
        for match in label.pattern.finditer(text)
    ]
    return max(found)[1] if found else None


# Where a label starts inside text that runs several together: an item number (`（三）`,
# `四、`, `2.`), never a decimal or a `第一项`.
_LABEL_START = re.compile(r"(?=[（(][一二三四五六七][）)]|[一二三四]、|(?<![\d第])\d[.、．](?!\d))")


# Section 三's column headers, whole or in the pieces extracted text breaks them into
# (自然 / 人, 商业 / 企业): printed between a label and its values, they show that the
# values' row was not printed after its label.
HEADER_CELLS = re.compile(
    r"(?:申请人情况|法人或其他组织|自然人?|人|商业|企业|科研|机构|社会|公益|组织|法律|服务|"
    r"其他|总计|合计|\s)+"
)

_GROUP = re.compile(r"^\W*[（(][三四五六][）)]\W*(?:不予公开|无法提供|不予处理|其他处理)\W*$")
_SUB_ROW = re.compile(r"^\d[.、．]")


def label_pieces(text: str) -> list[str]:
    """Text cut before each item number, so that labels run together (a blank row's label
    followed by the next row's) are matched one by one; a group label stays with the
    sub-row label it heads (（六）其他处理 is a row of its own only without one)."""
    cuts = [0, *(m.start() for m in _LABEL_START.finditer(text) if m.start() > 0), len(text)]
    pieces: list[str] = []
    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        if pieces and _GROUP.match(pieces[-1]) and _SUB_ROW.match(piece):
            pieces[-1] += piece
        elif piece.strip():
            pieces.append(piece)
    return pieces


# Section 四: the five result columns of each of the three groups, for header positions.
REVIEW_HEADER_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (column.key, re.compile(column.words)) for column in catalogue.REVIEW_COLUMNS
)
