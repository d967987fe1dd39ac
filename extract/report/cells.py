"""A table's cells, and how one printed row's values are placed into them.

The three table readers (`tables` for 三 and 四, `active_table` for 二) each decide which
tokens belong to a row; placing those values into the row's columns is the same job for all
of them: from the page geometry where the reader kept boxes, else by count, else every
candidate placement, for the consistency rules to choose from (see `solver`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from extract.report.solver import Placement, Slot, candidates, place_by_position
from extract.report.tokens import Token


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


def value_tokens(tokens: Sequence[Token]) -> list[Token]:
    """A row's cells: its value and blank tokens, without its label text."""
    return [token for token in tokens if token.kind in ("value", "blank")]


def is_grid_row(tokens: Sequence[Token], width: int) -> bool:
    """A row whose every cell, blank ones included, came with a box: positions are exact."""
    return len(tokens) == width and all(token.bbox is not None for token in tokens)


def count_values(tokens: Sequence[Token]) -> int:
    """How many numbers a row holds (blank cells do not count: a row of blanks is empty)."""
    return sum(token.kind == "value" for token in tokens)


def column_centres(rows: Sequence[Sequence[Token]], width: int) -> list[float] | None:
    """Column x-centres from the rows that print every cell with a box."""
    full = [row for row in rows if is_grid_row(row, width)]
    if not full:
        return None
    return [
        median(x for row in full if (x := row[column].x_center) is not None)  # all, in a grid row
        for column in range(width)
    ]


def row_placements(
    tokens: Sequence[Token], width: int, centres: list[float] | None
) -> list[Placement]:
    """The ways a row's values can fill its `width` cells: one where boxes or a full row
    settle it, else every candidate for the solver to weigh against the rules."""
    cells = value_tokens(tokens)
    if is_grid_row(cells, width):
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
