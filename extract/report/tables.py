"""The three tables of a report, read from the token stream.

Each reader walks its section's tokens: a text token that names a row starts that row, the
values that follow belong to it until the next row's label.  This one rule covers labels
with their numbers on the same line, on the next line, one cell per line, and a whole table
run into one line.  Cells are then placed by column: from the page geometry where the
reader kept boxes, else by count, else by the consistency rules (see `solver`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import groupby
from statistics import median

from extract.report.labels import (
    ACTIVE_COLUMNS,
    ACTIVE_NAMES,
    APPLICATION_KEYS,
    EDITION_2019_HEADERS,
    EDITION_2021_HEADERS,
    HEADER_CELLS,
    MONEY_FIELDS,
    REVIEW_HEADER_WORDS,
    label_pieces,
    match_active_row,
    match_application_row,
)
from extract.report.solver import (
    Equation,
    Placement,
    Slot,
    candidates,
    disputed,
    place_by_position,
    solve,
)
from extract.report.tokens import Token
from schemas.rules import (
    APPLICATION_COLUMNS,
    OTHER_ROWS_2021,
    RESULT_ROWS_2019,
    RESULT_ROWS_2021,
    REVIEW_FIELDS,
    REVIEW_GROUPS,
)

WIDTH = len(APPLICATION_COLUMNS)
REVIEW_WIDTH = len(REVIEW_GROUPS) * len(REVIEW_FIELDS)


@dataclass(slots=True)
class TableRead:
    """What a table reader found: cell values by path, where each came from, and notes."""

    cells: dict[str, dict[str, Slot]] = field(default_factory=dict)
    sources: dict[str, Token] = field(default_factory=dict)
    undecided: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # placed by the rules, not the text
    uncertain: list[str] = field(default_factory=list)  # to be confirmed by the arithmetic
    units: dict[str, str] = field(default_factory=dict)

    def put(self, section: str, row: str, columns: Sequence[str], placement: Placement) -> None:
        cells = self.cells.setdefault(row, {})
        for column, value, source in zip(columns, placement.values, placement.sources, strict=True):
            cells[column] = value
            if source is not None and (value is not None or source.alternatives):
                self.sources[f"{section}/{row}/{column}"] = source


def _values(tokens: Sequence[Token]) -> list[Token]:
    return [token for token in tokens if token.kind in ("value", "blank")]


def _is_grid_row(tokens: Sequence[Token], width: int) -> bool:
    """A row whose every cell, blank ones included, came with a box: positions are exact."""
    return len(tokens) == width and all(token.bbox is not None for token in tokens)


# ---------------------------------------------------------------- 三 applications


@dataclass(slots=True)
class ApplicationRows:
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
        if token.kind == "value" and _count_values(row) >= WIDTH:
            idle = [key for key in self.waiting[:-1] if not _count_values(self.rows[key])]
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
            if _count_values(values) == WIDTH and len(gap) == 1 and gap[0] not in self.rows:
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


def _count_values(tokens: Sequence[Token]) -> int:
    return sum(token.kind == "value" for token in tokens)


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
        if key not in rows or _count_values(rows[key]):
            continue
        later = matched[position + 1 :]
        if any(index[other] < index[key] for other in later):
            del rows[key]
    if "other_processing" in rows and any(row in rows for row in OTHER_ROWS_2021):
        if _count_values(rows["other_processing"]):
            for row in OTHER_ROWS_2021:
                if row in rows and not _count_values(rows[row]):
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


def _column_centres(rows: Sequence[Sequence[Token]], width: int) -> list[float] | None:
    """Column x-centres from the rows that print every cell with a box."""
    full = [row for row in rows if _is_grid_row(row, width)]
    if not full:
        return None
    return [median(row[column].x_center for row in full) for column in range(width)]


def _row_placements(
    tokens: Sequence[Token], width: int, centres: list[float] | None
) -> list[Placement]:
    cells = _values(tokens)
    if _is_grid_row(cells, width):
        return [_in_order(cells)]
    if centres and cells and all(token.bbox is not None for token in cells):
        placed = place_by_position(cells, centres)
        if placed is not None:
            return [placed]
    if (
        len(cells) == width
        and any(token.kind == "value" for token in cells)
        and len({token.row for token in cells}) == 1
    ):
        return [_in_order(cells)]  # one printed row with every cell, blank ones as empty cells
    return candidates(cells, width)


def _in_order(cells: Sequence[Token]) -> Placement:
    """The cells as they stand, blank ones as None (with their token where OCR offers
    readings of what it could not read)."""
    return Placement(
        tuple(t.value.number if t.value else None for t in cells),
        tuple(t if t.kind == "value" or t.alternatives else None for t in cells),
    )


def application_equations(keys: Sequence[str]) -> list[Equation]:
    """Rules 1–3 over the rows present, as equations the solver can test placements on."""
    equations = [
        Equation("rule1", ((key, WIDTH - 1),), tuple((key, c) for c in range(WIDTH - 1)))
        for key in keys
    ]
    results = [key for key in keys if key in RESULT_ROWS_2021 or key in RESULT_ROWS_2019]
    for column in range(WIDTH):
        equations.append(
            Equation(
                "rule2",
                (("new_received", column), ("carried_over", column)),
                (("total_processed", column), ("carried_forward", column)),
            )
        )
        equations.append(
            Equation("rule3", (("total_processed", column),), tuple((r, column) for r in results))
        )
    return equations


def read_applications(tokens: Sequence[Token]) -> tuple[TableRead, list[Token] | None]:
    """Section 三's table, and the reviews row if it turned up inside section 三."""
    found = collect_application_rows(tokens)
    read = TableRead()
    if not found.rows:
        return read, found.reviews_row
    centres = _column_centres([_values(row) for row in found.rows.values()], WIDTH)
    options: dict[str, list[Placement]] = {}
    for key, row_tokens in found.rows.items():
        values = [t for t in _values(row_tokens) if t.kind == "value"]
        if not found.header_has_total and len(values) == WIDTH - 1 and not centres:
            options[key] = [
                Placement(
                    (*(t.value.number if t.value else None for t in values), None),
                    (*values, None),
                )
            ]
        else:
            options[key] = _row_placements(row_tokens, WIDTH, centres)
    chosen, undecided = solve(options, application_equations(list(found.rows)))
    for key in found.rows:
        placement = chosen.get(key) or Placement((None,) * WIDTH, (None,) * WIDTH)
        read.put("applications", key, APPLICATION_COLUMNS, placement)
        read.resolved += [
            f"applications/{key}/{APPLICATION_COLUMNS[c]}"
            for c in disputed(options[key])
            if placement.values[c] is not None
        ]
    undecided |= {(key, c) for key, row in options.items() if not row for c in range(WIDTH)}
    read.uncertain = [
        f"applications/{row}/{column}" for row in found.uncertain for column in APPLICATION_COLUMNS
    ]
    read.undecided = [f"applications/{row}/{APPLICATION_COLUMNS[c]}" for row, c in undecided]
    return read, found.reviews_row


# ---------------------------------------------------------------- 四 reviews and lawsuits


def review_equations() -> list[Equation]:
    size = len(REVIEW_FIELDS)
    return [
        Equation(
            "rule4",
            (("reviews", g * size + size - 1),),
            tuple(("reviews", g * size + f) for f in range(size - 1)),
        )
        for g in range(len(REVIEW_GROUPS))
    ]


def _review_header_centres(tokens: Sequence[Token]) -> list[float] | None:
    """x-centres of the 15 result-column headers, where the page geometry gives all 15."""
    centres = [
        token.x_center
        for token in tokens
        if token.kind == "text"
        and token.x_center is not None
        and any(pattern.search(token.text) for _, pattern in REVIEW_HEADER_WORDS)
    ]
    return sorted(centres) if len(centres) == REVIEW_WIDTH else None


def _data_rows(tokens: Sequence[Token]) -> list[Token]:
    """The tokens of the rows that hold no text, when they hold a whole row of cells: a
    header cell OCR read as `-` is then not taken for a value.  Else every token (text run
    together with its numbers, as crawled pages print it)."""
    rows = [list(group) for _, group in groupby(tokens, key=lambda token: token.row)]
    bare = [t for row in rows if all(t.kind != "text" for t in row) for t in row]
    return bare if len(_values(bare)) >= REVIEW_WIDTH else list(tokens)


def _interleaved(tokens: Sequence[Token], cells: Sequence[Token]) -> bool:
    """Whether text (header cells) is printed between the values: extracted text that
    lost the table's layout, where the values' order need not be the columns' order."""
    used = {id(token) for token in cells}
    positions = [i for i, token in enumerate(tokens) if id(token) in used]
    return bool(positions) and any(
        token.kind == "text" for token in tokens[positions[0] : positions[-1]]
    )


def read_reviews(tokens: Sequence[Token]) -> TableRead:
    """Section 四: one row of 15 numbers (three groups of five)."""
    read = TableRead()
    cells = _values(_data_rows(tokens))
    if not any(token.kind == "value" for token in cells):
        return read
    if not _is_grid_row(cells, REVIEW_WIDTH):
        cells = [token for token in cells if token.kind == "value"]
    centres = _review_header_centres(tokens)
    options = _row_placements(cells, REVIEW_WIDTH, centres)
    chosen, undecided = solve({"reviews": options}, review_equations())
    empty = Placement((None,) * REVIEW_WIDTH, (None,) * REVIEW_WIDTH)
    placement = chosen.get("reviews", empty)
    if not options:  # the values fit the 15 cells in no way, or in too many to try
        undecided = {("reviews", c) for c in range(REVIEW_WIDTH)}
    size = len(REVIEW_FIELDS)
    for g, group in enumerate(REVIEW_GROUPS):
        part = Placement(
            placement.values[g * size : (g + 1) * size],
            placement.sources[g * size : (g + 1) * size],
        )
        read.put("reviews_and_lawsuits", group, REVIEW_FIELDS, part)
    path = "reviews_and_lawsuits/{}/{}".format
    read.undecided = [path(REVIEW_GROUPS[c // size], REVIEW_FIELDS[c % size]) for _, c in undecided]
    if centres is None and _interleaved(tokens, cells):
        read.uncertain = [path(group, field) for group in REVIEW_GROUPS for field in REVIEW_FIELDS]
    read.resolved = [
        path(REVIEW_GROUPS[c // size], REVIEW_FIELDS[c % size])
        for c in disputed(options)
        if placement.values[c] is not None
    ]
    return read


# ---------------------------------------------------------------- 二 active disclosure

_COLUMN_HEADERS: dict[str, re.Pattern[str]] = {
    "issued": re.compile(r"制发"),
    "repealed": re.compile(r"废止"),
    "in_force": re.compile(r"现行有效"),
    "decisions": re.compile(r"处理决定"),
    "amount": re.compile(r"金额"),
    "made": re.compile(r"新制作"),
    "published": re.compile(r"新公开"),
    "total_published": re.compile(r"公开总"),
    "previous_items": re.compile(r"上一年"),
    "change": re.compile(r"增.?减"),
    "items": re.compile(r"采购项目"),
}
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
        if key in layout and not _count_values(rows.get(key, [])):
            current = key
            rows[key] = []
            continue
        for column, pattern in _COLUMN_HEADERS.items():
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
    words = re.sub(r"[^\u4e00-\u9fff]", "", text)
    if not words or len(words) > len(name) + 2:
        return None
    return following[0] if SequenceMatcher(None, words, name).ratio() >= 0.5 else None


def _active_placement(
    tokens: Sequence[Token], width: int, centres: list[float] | None
) -> Placement | None:
    """One placement, or the cells all readings agree on (no rules tie these rows together)."""
    options = _row_placements(tokens, width, centres)
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
