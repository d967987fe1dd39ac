"""Section 二 (主动公开): which edition the table follows, and its small tables.

Unlike 三 and 四, no rule ties these rows together, and their columns change with the
edition (2019: new and total counts, items and their change, procurement; 2021: documents
issued, repealed, in force, and fees), so the table is read on its own: each row label
opens a row, the column headers give the cells' positions, and money printed in 元 is
converted to the contract's 万元.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from extract.report.cells import TableRead, count_values, row_placements
from extract.report.labels import (
    ACTIVE_COLUMNS,
    ACTIVE_HEADER_WORDS,
    ACTIVE_NAMES,
    EDITION_2019_HEADERS,
    EDITION_2021_HEADERS,
    MONEY_FIELDS,
    match_active_row,
)
from extract.report.solver import Placement, solve
from extract.report.tokens import Token
from extract.text_chars import han_only

_YUAN = re.compile(r"(?<!万)元")


def detect_edition(tokens: Sequence[Token]) -> str | None:
    """The edition the 主动公开 table follows, from its own column headers."""
    text = "".join(token.text for token in tokens if token.kind == "text")
    new = len(EDITION_2021_HEADERS.findall(text))
    old = len(EDITION_2019_HEADERS.findall(text))
    if new == old:
        return None
    return "2021" if new > old else "2019"


def read_active(tokens: Sequence[Token], edition: str) -> TableRead:
    """Section 二: small tables of one to three columns per row."""
    read = TableRead()
    layout = ACTIVE_COLUMNS[edition]
    rows: dict[str, list[Token]] = {}
    header_x: dict[str, float] = {}
    amount_header = ""
    current: str | None = None
    for token in tokens:
        if token.kind != "text":
            if current is not None:
                rows[current].append(token)
            continue
        key = match_active_row(token.text) or _garbled_next_row(token.text, layout, rows, current)
        if key in layout and not count_values(rows.get(key, [])):
            current = key
            rows[key] = []
            continue
        for column, pattern in ACTIVE_HEADER_WORDS.items():
            if pattern.search(token.text):
                current = None
                if token.x_center is not None:
                    header_x[column] = token.x_center
                if column == "amount":
                    amount_header = token.text
    for key, row_tokens in rows.items():
        columns = layout[key]
        centres = [header_x[c] for c in columns] if all(c in header_x for c in columns) else None
        placement = _active_placement(row_tokens, len(columns), centres)
        if placement is None:
            continue
        read.put("active_disclosure", key, columns, placement)
        if (key, "amount") in MONEY_FIELDS and "amount" in columns:
            _convert_yuan(read, key, amount_header)
    if rows:  # the table is there: every row of its edition, unread ones null
        for key, columns in layout.items():
            for column in columns:
                read.cells.setdefault(key, {}).setdefault(column, None)
    return read


def _garbled_next_row(
    text: str, layout: dict[str, tuple[str, ...]], rows: dict[str, list[Token]], current: str | None
) -> str | None:
    """A label OCR garbled (规剖 for 规章) just under a column header: the next row of the
    edition's order not read yet, if the label shares enough of its printed name."""
    if current is not None:
        return None
    order = list(layout)
    done = [order.index(key) for key in rows if key in order]
    following = order[max(done) + 1 :] if done else order
    if not following:
        return None
    name = ACTIVE_NAMES[following[0]]
    words = han_only(text)
    if not words or len(words) > len(name) + 2:
        return None
    return following[0] if SequenceMatcher(None, words, name).ratio() >= 0.5 else None


def _active_placement(
    tokens: Sequence[Token], width: int, centres: list[float] | None
) -> Placement | None:
    """One placement, or the cells all readings agree on (no rules tie these rows together)."""
    options = row_placements(tokens, width, centres)
    if not options:
        return None
    chosen, _ = solve({"row": options}, [])
    return chosen["row"]


def _convert_yuan(read: TableRead, key: str, header: str) -> None:
    """Money is in 万元; a column printed in 元 is converted and its unit recorded."""
    amount = read.cells[key].get("amount")
    if amount is None or not _YUAN.search(header):
        return
    read.cells[key]["amount"] = round(amount / 10000, 6)
    read.units[f"active_disclosure/{key}/amount"] = "元"
