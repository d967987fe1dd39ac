"""Sections 三 and 四 of a report: the two tables the consistency rules tie together.

Each reader walks its section's tokens: a text token that names a row starts that row, the
values that follow belong to it until the next row's label.  This one rule covers labels
with their numbers on the same line, on the next line, one cell per line, and a whole table
run into one line.  Cells are then placed by column: from the page geometry where the
reader kept boxes, else by count, else by the consistency rules (see `solver`), which is
why these two readers live together and apart from 二's (`active_table`), which no rule
sums.  Which values belong to which row of 三 is `application_rows`' job; placing a row's
values into its cells is `cells'`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from extract.report.application_rows import REVIEW_WIDTH, WIDTH, collect_application_rows
from extract.report.cells import (
    TableRead,
    column_centres,
    is_grid_row,
    row_placements,
    value_tokens,
)
from extract.report.labels import REVIEW_HEADER_WORDS
from extract.report.solver import Equation, Placement, disputed, solve
from extract.report.tokens import Token
from schemas.rules import (
    APPLICATION_COLUMNS,
    RESULT_ROWS_2019,
    RESULT_ROWS_2021,
    REVIEW_FIELDS,
    REVIEW_GROUPS,
)

# ---------------------------------------------------------------- 三 applications


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
    centres = column_centres([value_tokens(row) for row in found.rows.values()], WIDTH)
    options: dict[str, list[Placement]] = {}
    for key, row_tokens in found.rows.items():
        values = [t for t in value_tokens(row_tokens) if t.kind == "value"]
        if not found.header_has_total and len(values) == WIDTH - 1 and not centres:
            options[key] = [
                Placement(
                    (*(t.value.number if t.value else None for t in values), None),
                    (*values, None),
                )
            ]
        else:
            options[key] = row_placements(row_tokens, WIDTH, centres)
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
    return bare if len(value_tokens(bare)) >= REVIEW_WIDTH else list(tokens)


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
    cells = value_tokens(_data_rows(tokens))
    if not any(token.kind == "value" for token in cells):
        return read
    if not is_grid_row(cells, REVIEW_WIDTH):
        cells = [token for token in cells if token.kind == "value"]
    centres = _review_header_centres(tokens)
    options = row_placements(cells, REVIEW_WIDTH, centres)
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
