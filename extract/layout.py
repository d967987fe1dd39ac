"""Rows from words and ruling lines: the page geometry both readers share.

The PDF reader finds words and rules in the text layer, the OCR reader in pixels; both hand
them to `layout_rows`, so a scan reaches the parser in the same shape as a text PDF.  It is
cheap pure-Python geometry, because reading the words is already most of the cost and the
whole parse must stay close to that floor (no `find_tables`, no second layout pass).

Tables matter most: the report parser reads a table row as "label cells, then number cells"
and places each number by its cell's x-centre.  So a ruled table is rebuilt from its ruling
lines as a grid of (possibly merged) cells, wrapped labels end up in the one cell that holds
them, and a blank cell is still emitted, empty, at its own position.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from extract.document import BBox, Cell, Row

SNAP = 3.0
"""Points: rules this close are one rule (double lines, thin rectangles, rounding)."""

CELL_GAP = 1.5
"""Unruled tables: a gap wider than this many character sizes separates two cells."""


@dataclass(frozen=True, slots=True)
class Word:
    """A run of characters on one line: as pdfplumber's `extract_words` reports it, or as
    OCR read it (a word of prose, or a table cell's text over the cell's ink)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float | None = None
    """OCR's confidence 0..1; None for a text layer."""
    alternatives: tuple[str, ...] = ()
    """OCR's other readings of a table cell's number (`Cell.alternatives`); with no text,
    a cell OCR could not settle on any of them."""

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class Rule:
    """A horizontal or vertical ruling line.

    `pos` is its y (horizontal) or x (vertical); it runs from `start` to `end` along the
    other axis.
    """

    horizontal: bool
    pos: float
    start: float
    end: float

    def covers(self, value: float, tol: float = SNAP) -> bool:
        return self.start - tol <= value <= self.end + tol


@dataclass(slots=True)
class Region:
    """One cell of a ruled grid: an atomic cell or several merged ones."""

    first_row: int
    bbox: BBox
    words: list[Word] = field(default_factory=list)


@dataclass(slots=True)
class Grid:
    """A ruled table: row and column boundaries plus the (merged) cells they form."""

    xs: list[float]
    ys: list[float]
    regions: list[Region]
    region_at: list[list[int]]
    """region_at[i][j]: index into `regions` of atomic cell row i, column j."""

    def region_of(self, x: float, y: float) -> Region | None:
        """The cell containing point (x, y), or None outside the grid."""
        if not (self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]):
            return None
        i = min(bisect.bisect_right(self.ys, y) - 1, len(self.ys) - 2)
        j = min(bisect.bisect_right(self.xs, x) - 1, len(self.xs) - 2)
        return self.regions[self.region_at[i][j]]


# --- text joining and line grouping -------------------------------------------------------


def _is_ascii(ch: str) -> bool:
    return " " < ch <= "~"


def join_tokens(tokens: Iterable[str]) -> str:
    """Join word texts: Chinese runs on without spaces, two ASCII tokens keep one space."""
    out = ""
    for token in tokens:
        if out and token and _is_ascii(out[-1]) and _is_ascii(token[0]):
            out += " "
        out += token
    return out


def group_lines(words: Sequence[Word]) -> list[list[Word]]:
    """Group words into lines by vertical centre, lines top to bottom, words left to right.

    The tolerance is half the median word height, so a number vertically centred between two
    lines of a wrapped label stays a line of its own instead of swallowing one of them.
    """
    if not words:
        return []
    tol = statistics.median(w.height for w in words) / 2
    lines: list[list[Word]] = []
    centre_sum = 0.0  # of the current line's word centres, for its running mean
    for word in sorted(words, key=lambda w: w.cy):
        if lines and word.cy - centre_sum / len(lines[-1]) <= tol:
            lines[-1].append(word)
            centre_sum += word.cy
        else:
            lines.append([word])
            centre_sum = word.cy
    for line in lines:
        line.sort(key=lambda w: w.x0)
    return lines


def split_cells(line: Sequence[Word]) -> list[list[Word]]:
    """Split one line (words left to right) into cells at gaps wider than CELL_GAP chars.

    A CJK character is about as wide as the font is high, so the median word height stands
    in for the character width.
    """
    if not line:
        return []
    gap = CELL_GAP * statistics.median(w.height for w in line)
    cells = [[line[0]]]
    for prev, word in pairwise(line):
        if word.x0 - prev.x1 > gap:
            cells.append([word])
        else:
            cells[-1].append(word)
    return cells


def _box(words: Sequence[Word]) -> BBox:
    return (
        min(w.x0 for w in words),
        min(w.top for w in words),
        max(w.x1 for w in words),
        max(w.bottom for w in words),
    )


def _text(words: Sequence[Word]) -> str:
    """Text of a block of words in reading order: lines top to bottom, left to right."""
    return join_tokens(w.text for line in group_lines(words) for w in line)


def _confidence(words: Sequence[Word]) -> float | None:
    """A cell is as sure as its least sure word; None when no word has a confidence."""
    return min((w.confidence for w in words if w.confidence is not None), default=None)


# --- ruled grids --------------------------------------------------------------------------


def _cluster(values: Sequence[float], tol: float) -> tuple[list[float], list[int]]:
    """Snap nearby values together: the cluster positions and each value's cluster index."""
    order = sorted(range(len(values)), key=values.__getitem__)
    members: list[list[float]] = []
    index = [0] * len(values)
    for k in order:
        if members and values[k] - members[-1][-1] <= tol:
            members[-1].append(values[k])
        else:
            members.append([values[k]])
        index[k] = len(members) - 1
    positions = [sum(m) / len(m) for m in members]
    return positions, index


def _components(rules: Sequence[Rule], tol: float) -> list[list[Rule]]:
    """Group rules that touch (a horizontal crossing a vertical) into one structure each."""
    parent = list(range(len(rules)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    hs = [k for k, r in enumerate(rules) if r.horizontal]
    vs = [k for k, r in enumerate(rules) if not r.horizontal]
    for a in hs:
        h = rules[a]
        for b in vs:
            v = rules[b]
            if h.covers(v.pos, tol) and v.covers(h.pos, tol):
                parent[find(a)] = find(b)
    groups: dict[int, list[Rule]] = {}
    for k, rule in enumerate(rules):
        groups.setdefault(find(k), []).append(rule)
    return list(groups.values())


def _build_grid(rules: Sequence[Rule], tol: float) -> Grid | None:
    """The grid of one connected rule structure, or None if it is not a table.

    Neighbouring atomic cells are merged wherever no rule separates them (tested at the
    middle of their shared side).  A lone box, a frame or an underline is not a table.
    """
    hs = [r for r in rules if r.horizontal]
    vs = [r for r in rules if not r.horizontal]
    ys, h_index = _cluster([r.pos for r in hs], tol)
    xs, v_index = _cluster([r.pos for r in vs], tol)
    if len(ys) < 2 or len(xs) < 2:
        return None
    h_at: list[list[Rule]] = [[] for _ in ys]
    for rule, k in zip(hs, h_index, strict=True):
        h_at[k].append(rule)
    v_at: list[list[Rule]] = [[] for _ in xs]
    for rule, k in zip(vs, v_index, strict=True):
        v_at[k].append(rule)

    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i in range(n_rows):
        y_mid = (ys[i] + ys[i + 1]) / 2
        for j in range(n_cols):
            x_mid = (xs[j] + xs[j + 1]) / 2
            if j + 1 < n_cols and not any(r.covers(y_mid, tol) for r in v_at[j + 1]):
                parent[find(i * n_cols + j)] = find(i * n_cols + j + 1)
            if i + 1 < n_rows and not any(r.covers(x_mid, tol) for r in h_at[i + 1]):
                parent[find(i * n_cols + j)] = find((i + 1) * n_cols + j)

    spans: dict[int, list[int]] = {}  # root -> [min_i, min_j, max_i, max_j]
    for i in range(n_rows):
        for j in range(n_cols):
            span = spans.setdefault(find(i * n_cols + j), [i, j, i, j])
            span[0], span[1] = min(span[0], i), min(span[1], j)
            span[2], span[3] = max(span[2], i), max(span[3], j)
    if len(spans) < 2:
        return None
    roots = sorted(spans, key=lambda root: (spans[root][0], spans[root][1]))
    number = {root: n for n, root in enumerate(roots)}
    regions = [
        Region(i0, (xs[j0], ys[i0], xs[j1 + 1], ys[i1 + 1]))
        for i0, j0, i1, j1 in (spans[root] for root in roots)
    ]
    region_at = [[number[find(i * n_cols + j)] for j in range(n_cols)] for i in range(n_rows)]
    return Grid(xs, ys, regions, region_at)


def find_grids(rules: Sequence[Rule], tol: float = SNAP) -> list[Grid]:
    """Every ruled table on a page, top to bottom."""
    grids = [
        grid
        for component in _components(rules, tol)
        if (grid := _build_grid(component, tol)) is not None
    ]
    return sorted(grids, key=lambda g: (g.ys[0], g.xs[0]))


def _grid_rows(grid: Grid) -> list[tuple[float, list[Cell]]]:
    """(top, cells) per grid row; a cell appears in the first row it spans, a blank one as "".

    A grid row with no text at all (every cell blank or covered from above) says nothing
    and is left out.
    """
    by_row: list[list[Cell]] = [[] for _ in grid.ys[:-1]]
    for region in grid.regions:  # sorted by first row, then first column
        alternatives = region.words[0].alternatives if len(region.words) == 1 else ()
        cell = Cell(_text(region.words), region.bbox, _confidence(region.words), alternatives)
        by_row[region.first_row].append(cell)
    return [
        (grid.ys[i], cells)
        for i, cells in enumerate(by_row)
        if any(cell.text or cell.alternatives for cell in cells)
    ]


# --- page layout --------------------------------------------------------------------------


def layout_rows(words: Sequence[Word], rules: Sequence[Rule]) -> list[Row]:
    """Turn one page's words and rules into rows in reading order.

    Words inside a ruled grid go to the grid cell holding their centre.  The others are
    grouped into lines; a line that splits into several cells at wide gaps is a row of an
    unruled table, and consecutive such lines are one table.
    """
    grids = find_grids(rules)
    loose: list[Word] = []
    for word in words:
        for grid in grids:
            region = grid.region_of(word.cx, word.cy)
            if region is not None:
                region.words.append(word)
                break
        else:
            loose.append(word)

    # (top, grid number or None, cells)
    items: list[tuple[float, int | None, list[Cell]]] = []
    for number, grid in enumerate(grids):
        items.extend((top, number, cells) for top, cells in _grid_rows(grid))
    for line in group_lines(loose):
        cells = [
            Cell(join_tokens(w.text for w in ws), _box(ws), _confidence(ws))
            for ws in split_cells(line)
        ]
        items.append((min(w.top for w in line), None, cells))
    items.sort(key=lambda item: item[0])

    rows: list[Row] = []
    table_of_grid: dict[int, int] = {}
    tables = 0
    unruled: int | None = None  # the unruled table the previous row belongs to
    for _, grid_number, cells in items:
        table: int | None = None
        if grid_number is not None:
            if grid_number not in table_of_grid:
                table_of_grid[grid_number] = tables
                tables += 1
            table = table_of_grid[grid_number]
        elif len(cells) > 1:
            if unruled is None:
                unruled = tables
                tables += 1
            table = unruled
        unruled = table if grid_number is None else None
        rows.append(Row(cells, table))
    return rows
