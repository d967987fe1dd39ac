"""Section 三's token stream cut into rows: which printed values belong to which row label.

The hard part of reading the 依申请公开 table is not the numbers but their rows: extracted
text wraps labels round their numbers, prints a whole label column before the numbers, or
drops a label cell.  This module only assigns tokens to row keys (and notes the rows whose
values it had to place by these layouts); `tables` then places each row's values into its
seven columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from extract.report.cells import count_values
from extract.report.labels import (
    APPLICATION_KEYS,
    HEADER_CELLS,
    label_pieces,
    match_application_row,
)
from extract.report.tokens import Token
from schemas.rules import APPLICATION_COLUMNS, OTHER_ROWS_2021, REVIEW_FIELDS, REVIEW_GROUPS

WIDTH = len(APPLICATION_COLUMNS)
"""Cells in a row of section 三: six applicant columns and 总计."""
REVIEW_WIDTH = len(REVIEW_GROUPS) * len(REVIEW_FIELDS)
"""Cells in section 四's one row: three groups of five."""


@dataclass(slots=True)
class ApplicationRows:
    """Section 三 cut into rows: each row's value and blank tokens, in table order; whether
    the header prints 总计 (if not, a row of six values leaves 总计 blank); the reviews
    row, if the 15 numbers of section 四 turned up inside 三."""

    rows: dict[str, list[Token]]
    header_has_total: bool
    reviews_row: list[Token] | None
    uncertain: set[str] = field(default_factory=set)
    """Rows whose values were not printed after their label: placed by the collector's
    rules for other layouts, so the table's arithmetic must confirm them."""


class _RowCollector:
    """Assigns the values of section 三's token stream to the row labels around them.

    Values normally follow their label.  Two layouts of extracted text break that:
    values printed above their label's first line (a label wrapped round its numbers), and
    a whole label column printed before the numbers.  Values that arrive when the current
    row is already full go either to an earlier label still waiting for values (the second
    layout), or to the next label, which keeps them only if no values follow it (the first).
    A whole row of such values that the next label does not keep is a row whose label was
    lost (converters drop label cells): it is the row between the labels around it, when
    the table's order leaves exactly one there.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[Token]] = {}
        self.matched: list[str] = []
        self.current: str | None = None
        self.last_with_values: str | None = None
        self.waiting: list[str] = []  # the labels printed together, before their values
        self.after_value = False
        self.early: list[Token] = []
        self.early_for: dict[str, list[Token]] = {}
        self.early_after: dict[str, str] = {}  # the label before the values early_for holds
        self.uncertain: set[str] = set()  # rows given values by these rules, not by order
        self.header_between = False  # column headers printed since the last label
        self.values_first = False  # a row's values were printed before its label

    def label(self, key: str) -> None:
        self.current = key
        self.header_between = False
        self.rows.setdefault(key, [])
        if self.early and key not in self.early_for and self.matched:
            self.early_after[key] = self.matched[-1]
        self.matched.append(key)
        if self.early:
            self.early_for.setdefault(key, self.early)
            self.early = []
            self.waiting = []
        elif self.after_value:
            self.waiting = [key]
        else:
            self.waiting.append(key)
        self.after_value = False

    def cell(self, token: Token) -> None:
        if self.current is None:
            return
        row = self.rows[self.current]
        if token.kind == "value" and count_values(row) >= WIDTH:
            idle = [key for key in self.waiting[:-1] if not count_values(self.rows[key])]
            if not idle:
                self.early.append(token)
                return
            self.rows[idle[0]], self.rows[self.current] = row, []
            self.uncertain.update((idle[0], self.current))
        if token.kind == "value" and self.header_between:
            self.uncertain.add(self.current)  # values after a header, not after their label
        self.rows[self.current].append(token)
        if token.kind == "value":
            self.last_with_values = self.current
            self.after_value = True

    def finish(self) -> dict[str, list[Token]]:
        for key, values in self.early_for.items():
            # One printed row of values is a wrapped label's, or a lost label cell's; values
            # strewn over lines between labels mean the text put values and labels apart.
            self.values_first |= len({token.row for token in values}) > 1
            if not self.rows[key]:  # a row printed with its own cells, blank ones, keeps them
                self.rows[key] = values
                self.uncertain.add(key)
                continue
            gap = _rows_between(self.early_after.get(key), key, self.matched)
            if count_values(values) == WIDTH and len(gap) == 1 and gap[0] not in self.rows:
                self.rows[gap[0]] = values
                self.uncertain.add(gap[0])
        self.uncertain |= _drop_superseded(self.rows, self.matched)
        if self.values_first or len({token.row for token in self.early}) > 1:  # any row may be
            self.uncertain = set(self.rows)  # one off
        return self.rows


def _rows_between(before: str | None, after: str, matched: Sequence[str]) -> list[str]:
    """The row keys the table prints between two labels, in either edition's （六） block:
    the one the labels read so far show, or neither where they show none."""
    if before is None:
        return []
    keys = list(APPLICATION_KEYS)
    between = keys[keys.index(before) + 1 : keys.index(after)]
    if any(key in OTHER_ROWS_2021 for key in matched):
        between = [key for key in between if key != "other_processing"]
    elif "other_processing" in matched:
        between = [key for key in between if key not in OTHER_ROWS_2021]
    elif any(key in OTHER_ROWS_2021 or key == "other_processing" for key in between):
        return []
    return between


def collect_application_rows(tokens: Sequence[Token]) -> ApplicationRows:
    """Row key → the value and blank tokens printed for it, in table order."""
    collector = _RowCollector()
    header: list[str] = []
    reviews_row: list[Token] | None = None
    for _, group in groupby(tokens, key=lambda token: token.row):
        row_tokens = list(group)
        if _looks_like_review_row(row_tokens) and collector.current is not None:
            reviews_row = row_tokens
            continue
        for token in row_tokens:
            if token.kind != "text":
                collector.cell(token)
                continue
            for piece in label_pieces(token.text):
                key = match_application_row(piece, collector.last_with_values)
                if key is not None:
                    collector.label(key)
                elif collector.current is None:
                    header.append(piece)
                elif HEADER_CELLS.fullmatch(piece.strip()):
                    collector.header_between = True
    rows = collector.finish()
    uncertain = collector.uncertain & set(rows)
    return ApplicationRows(rows, "总计" in "".join(header) or not header, reviews_row, uncertain)


def _looks_like_review_row(row_tokens: Sequence[Token]) -> bool:
    """A label-less row of 15 values inside section 三: the reviews table, its heading lost."""
    return all(token.kind != "text" for token in row_tokens) and (
        sum(token.kind == "value" for token in row_tokens) == REVIEW_WIDTH
    )


def _drop_superseded(rows: dict[str, list[Token]], matched: list[str]) -> set[str]:
    """Remove labels that named no row after all: a group label such as （六）其他处理 over
    its sub-rows, or a repeated header's 总计 followed by earlier rows.  Returns the rows
    given values by order rather than by their own label."""
    index = {key: i for i, key in enumerate(APPLICATION_KEYS)}
    for position, key in enumerate(matched):
        if key not in rows or count_values(rows[key]):
            continue
        later = matched[position + 1 :]
        if any(index[other] < index[key] for other in later):
            del rows[key]
    if "other_processing" in rows and any(row in rows for row in OTHER_ROWS_2021):
        if count_values(rows["other_processing"]):
            for row in OTHER_ROWS_2021:
                if row in rows and not count_values(rows[row]):
                    del rows[row]
        else:
            del rows["other_processing"]
    if "other_processing" in rows and any(row in rows for row in OTHER_ROWS_2021):
        # The 2021 sub-rows are printed, so （六）其他处理 heads them: its values are those
        # of the sub-row whose label was not recognised, if only one is missing.
        values = rows.pop("other_processing")
        missing = [row for row in OTHER_ROWS_2021 if row not in rows]
        if len(missing) == 1:
            rows[missing[0]] = values
            return {missing[0]}
    return set()
