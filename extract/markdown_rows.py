"""Markdown tables' rows repaired into the rows the printed table had (see extract.markdown).

The blocks markdown-it found come in as items (tables as grids of cell texts, headings,
prose, rows read by the HTML reader); `write_rows` pieces split tables together, drops
invented headers and repeated merged cells, and gives a lost label its blank cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from extract.document import Cell, Row

_VALUE = re.compile(r"[+\-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+\-−]?\d+(?:\.\d+)?|[/／\\—–\-－]+|无")
_PLACEHOLDER = re.compile(
    r"(?:数据|列|栏|字段|column|col|field|unnamed:?)\s*_?\d+|类别|项目|序号", re.IGNORECASE
)
_INVENTED = re.compile(r"(?:数据|列|栏|字段|column|col|field|unnamed:?)\s*_?\d+", re.IGNORECASE)
_SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_REPORT_SECTION = re.compile(r"^[一二三四五六][、.．].*(?:情况|事项)$")
_FRAGMENT_MAX = 60


@dataclass(slots=True)
class Grid:
    """A markdown table: its rows' cell texts as printed, the header row first."""

    rows: list[list[str]]
    width: int


@dataclass(slots=True)
class Heading:
    text: str


@dataclass(slots=True)
class Prose:
    text: str


@dataclass(slots=True)
class Rows:
    """Rows read elsewhere (an embedded HTML table): kept as they are, renumbered."""

    rows: list[Row]


Item = Grid | Heading | Prose | Rows


def write_rows(items: list[Item]) -> list[Row]:
    """The rows of a markdown text's blocks, tables numbered from 0."""
    return _Writer().write(items)


# ---------------------------------------------------------------- cells


def _is_value(text: str) -> bool:
    return bool(_VALUE.fullmatch(unicodedata.normalize("NFKC", text).replace(" ", "")))


def _is_placeholder_row(cells: list[str]) -> bool:
    """A header a converter made up: every cell blank or a placeholder, one invented."""
    filled = [cell for cell in cells if cell]
    return any(_INVENTED.fullmatch(cell) for cell in filled) and all(
        _PLACEHOLDER.fullmatch(cell) or cell in ("总计", "合计") for cell in filled
    )


# ---------------------------------------------------------------- rows


@dataclass(slots=True)
class _Table:
    """One printed table, possibly pieced together from several markdown tables."""

    number: int
    width: int
    labels: int = 0  # label columns, from the rows that print every cell
    headers: list[list[str]] = field(default_factory=list)
    above: list[str] | None = None  # the previous full-width row, for merged labels
    merged: list[tuple[int, int]] = field(default_factory=list)  # value columns one header covers
    rows: list[Row] = field(default_factory=list)


class _Writer:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.tables = 0
        self.table: _Table | None = None
        self.loose: list[str] = []  # prose lines since the last table row

    def write(self, items: list[Item]) -> list[Row]:
        for index, item in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            if isinstance(item, Heading):
                self._heading(item, following)
            elif isinstance(item, Prose):
                self._prose(item.text)
            elif isinstance(item, Grid):
                if not item.rows:  # taken by the heading before it
                    continue
                self._grid(item)
            else:
                self._end_table()
                self._foreign(item.rows)
        self._end_table()
        return self.rows

    # -- prose and headings

    def _heading(self, heading: Heading, following: Item | None) -> None:
        values = None
        if isinstance(following, Grid) and not _REPORT_SECTION.match(heading.text):
            values = _numbers_only(following)
        if values is None:
            self._end_table()
            self._flush_loose()
            self.rows.append(Row([Cell(heading.text)]))
            return
        assert isinstance(following, Grid)
        following.rows = []
        if self.table is None or self.table.width != len(values) + 1:
            self._end_table()
            self.table = _Table(self._next_number(), len(values) + 1, labels=1)
        self._flush_loose()
        self._emit([heading.text, *values])

    def _prose(self, text: str) -> None:
        if self.table is not None and _is_fragment(text):
            last = self.table.rows[-1] if self.table.rows and self.table.labels else None
            if last is not None and last.cells and not last.cells[0].text and not self.loose:
                last.cells[0] = Cell(text)  # the label of the row above, printed below it
                return
            self.loose.append(text)
            return
        self._end_table()
        self.rows.append(Row([Cell(text)]))

    def _flush_loose(self) -> None:
        self.rows.extend(Row([Cell(text)]) for text in self.loose)
        self.loose = []

    def _foreign(self, rows: list[Row]) -> None:
        numbers: dict[int, int] = {}
        for row in rows:
            if row.table is not None:
                row.table = numbers.setdefault(row.table, self._next_number())
            self.rows.append(row)

    def _next_number(self) -> int:
        self.tables += 1
        return self.tables - 1

    # -- tables

    def _grid(self, grid: Grid) -> None:
        table = self.table
        if table is None or table.width != grid.width:
            self._end_table()
            table = self.table = _Table(self._next_number(), grid.width)
            table.labels = _label_columns(grid)
        for cells in grid.rows:
            if not any(cells) or _is_placeholder_row(cells):
                continue
            if cells in table.headers:
                continue  # the header repeated over a continued table
            if _is_blank_row(cells, table.labels):
                self._row(table, cells)
                continue
            if not any(_is_value(cell) for cell in cells):
                text = _dedupe_labels(_without_repeats(cells, table.above, cells))
                if len(cells) == table.width:
                    table.headers.append(cells)
                    table.merged = _merged_columns(cells, table.labels)
                    table.above = cells
                self._flush_loose()
                self._emit(text)
                continue
            self._row(table, cells)

    def _row(self, table: _Table, cells: list[str]) -> None:
        full = len(cells) == table.width
        above = table.above if full else None
        if full:
            cells = _merge_values(cells, table.merged)
            table.above = cells
        first = next((i for i, cell in enumerate(cells) if _is_value(cell)), max(table.labels, 1))
        lead = [cell for cell in _without_repeats(cells[:first], above, cells) if cell]
        data = cells[first:]
        if full and table.labels and not any(cells[: table.labels]):
            data = cells[table.labels :]  # label cells printed blank: the row's own columns
        if lead:
            self._flush_loose()
            self._emit([*_dedupe_labels(lead), *data])
            return
        if not table.labels:
            self._flush_loose()
            self._emit(data)
            return
        # The label was lost.  Its column is there, blank; a loose line beside it names it.
        values = data if full or len(data) == table.width - table.labels else _filled(data)
        label = "".join(self.loose)
        self.loose = []
        self._emit([label, *values])

    def _emit(self, cells: list[str]) -> None:
        assert self.table is not None
        row = Row([Cell(text) for text in cells], table=self.table.number)
        self.rows.append(row)
        self.table.rows.append(row)

    def _end_table(self) -> None:
        self._flush_loose()
        self.table = None


def _is_fragment(text: str) -> bool:
    """A loose line that may be part of a table's label: short, no sentence, no heading."""
    return (
        len(text) <= _FRAGMENT_MAX
        and not text.endswith(("。", "；", "：", ":"))
        and not _SECTION_HEADING.match(text)
        and not any(_is_value(word) for word in text.split())
    )


def _is_blank_row(cells: list[str], labels: int) -> bool:
    """A data row whose cells are all blank: text in its label columns only."""
    start = max(labels, 1)
    return bool(cells[0]) and len(cells) > start and not any(cells[start:])


def _numbers_only(grid: Grid) -> list[str] | None:
    """The one row of numbers a small table under a heading holds, its column names or
    placeholder header dropped; None when the table is anything else."""
    body = [cells for cells in grid.rows if any(cells) and not _is_placeholder_row(cells)]
    numbers = [cells for cells in body if any(_is_value(cell) for cell in cells)]
    names = [cells for cells in body if cells not in numbers]
    if len(numbers) != 1 or len(names) > 1:
        return None
    row = numbers[0]
    if not all(_is_value(cell) or not cell for cell in row):
        return None
    return row


def _label_columns(grid: Grid) -> int:
    """How many label columns the table's full rows print before their numbers."""
    counts = Counter(
        next(i for i, cell in enumerate(cells) if _is_value(cell))
        for cells in grid.rows
        if len(cells) == grid.width and any(_is_value(cell) for cell in cells) and cells[0]
    )
    return counts.most_common(1)[0][0] if counts else 0


def _merged_columns(header: list[str], labels: int) -> list[tuple[int, int]]:
    """Runs of value columns under one header cell repeated across them (a merged cell)."""
    runs: list[tuple[int, int]] = []
    start = labels
    for column in range(labels + 1, len(header) + 1):
        if column == len(header) or header[column] != header[start] or not header[start]:
            if column - start > 1 and header[start]:
                runs.append((start, column))
            start = column
    return runs


def _merge_values(cells: list[str], runs: list[tuple[int, int]]) -> list[str]:
    """A value repeated under a merged header is one merged value cell."""
    keep = [True] * len(cells)
    for start, end in runs:
        if len(set(cells[start:end])) == 1:
            for column in range(start + 1, end):
                keep[column] = False
    return [cell for cell, kept in zip(cells, keep, strict=True) if kept]


def _without_repeats(lead: list[str], above: list[str] | None, row: list[str]) -> list[str]:
    """Label cells with a label equal to the one above it blanked (a merged cell repeated
    down), unless that would leave the row without any label."""
    if above is None or len(above) != len(row):
        return lead
    kept = [
        "" if cell and not _is_value(cell) and cell == above[i] else cell
        for i, cell in enumerate(lead)
    ]
    return kept if any(kept) else lead


def _dedupe_labels(cells: list[str]) -> list[str]:
    """Adjacent equal text cells (a merged cell repeated across) printed once."""
    out: list[str] = []
    for cell in cells:
        if cell and (not out or cell != out[-1]):
            out.append(cell)
    return out


def _filled(cells: list[str]) -> list[str]:
    """Only the printed cells: their columns cannot be told."""
    return [cell for cell in cells if cell]
