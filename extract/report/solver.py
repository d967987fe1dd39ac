"""Placing printed values into table cells, using the report's own arithmetic where the
printed text alone does not say which cell a value belongs to.

A row whose values can be placed in one way only (all cells printed, or columns known from
the page geometry) is fixed.  Otherwise every placement the text allows becomes a
candidate: blank cells at any position, or a digit run with no separators (`640020470`)
split into cells.  The consistency rules then filter candidates, row by row, given what the
other rows already fix.  A cell is filled only when every surviving candidate agrees on it:
a wrong number is worse than a null.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, islice

from extract.report.tokens import Token

Number = int | float
Slot = Number | None
"""A cell's value in a candidate; None where the cell is blank or printed n/a."""

MAX_CANDIDATES = 20000


@dataclass(frozen=True, slots=True)
class Placement:
    """One way to read a row: the value of every cell, and the token it came from."""

    values: tuple[Slot, ...]
    sources: tuple[Token | None, ...]


@dataclass(frozen=True, slots=True)
class Equation:
    """sum(left) == sum(right), over (row, column) cells; `rule` names it in checks."""

    rule: str
    left: tuple[tuple[str, int], ...]
    right: tuple[tuple[str, int], ...]


def place_by_position(tokens: Sequence[Token], centers: Sequence[float]) -> Placement | None:
    """Columns from geometry: every token to the column centre nearest it, one per column."""
    width = len(centers)
    values: list[Slot] = [None] * width
    sources: list[Token | None] = [None] * width
    taken: set[int] = set()
    for token in tokens:
        x = token.x_center
        if x is None:
            return None
        column = min(range(width), key=lambda c: abs(centers[c] - x))
        if column in taken:
            return None
        taken.add(column)
        if token.kind == "value":
            values[column] = token.value.number if token.value else None
        if token.kind == "value" or token.alternatives:
            sources[column] = token
    return Placement(tuple(values), tuple(sources))


def candidates(tokens: Sequence[Token], width: int) -> list[Placement]:
    """Every placement of a row's printed values into `width` cells that the text allows.

    None at all when the text cannot fit (more values than cells) or allows more readings
    than are tried: a reading picked from a cut-short list could be the wrong one.
    """
    printed = [token for token in tokens if token.kind == "value"]
    if not printed:
        return [Placement((None,) * width, (None,) * width)]
    if len(printed) == width:
        return [_placement(printed)]
    exact = _limited(_splits(printed, width))
    if exact is None:
        return []
    if exact:
        return exact
    if len(printed) > width:
        return []
    return _limited(_with_blanks(printed, width)) or []


def _placement(tokens: Sequence[Token]) -> Placement:
    return Placement(
        tuple(token.value.number if token.value else None for token in tokens), tuple(tokens)
    )


def _limited(placements: Iterator[Placement]) -> list[Placement] | None:
    """The placements, or None if there are more than MAX_CANDIDATES."""
    kept = list(islice(placements, MAX_CANDIDATES + 1))
    return None if len(kept) > MAX_CANDIDATES else kept


def _splits(tokens: Sequence[Token], width: int) -> Iterator[Placement]:
    """Digit runs split into cells so that the row has exactly `width` cells."""

    def parts(index: int, remaining: int) -> Iterator[list[tuple[Slot, Token]]]:
        if index == len(tokens):
            if remaining == 0:
                yield []
            return
        token = tokens[index]
        left_after = len(tokens) - index - 1
        for piece in _digit_pieces(token, remaining - left_after):
            for rest in parts(index + 1, remaining - len(piece)):
                yield [(number, token) for number in piece] + rest

    for cells in parts(0, width):
        yield Placement(tuple(n for n, _ in cells), tuple(t for _, t in cells))


def _digit_pieces(token: Token, most: int) -> Iterator[Sequence[Slot]]:
    """The ways to read one token as 1..most numbers (several only for a bare digit run)."""
    number = token.value.number if token.value else None
    digits = token.value.digits if token.value else ""
    if not digits or most <= 1:
        if most >= 1:
            yield [number] if number is not None else [None]
        return
    if digits.startswith("-"):  # the sign belongs to the first value of the run
        for numbers in _split_digits(digits[1:], most):
            yield [-numbers[0], *numbers[1:]]
        return
    yield from _split_digits(digits, most)


def _split_digits(digits: str, most: int) -> Iterator[list[Number]]:
    """Splits of a digit run into at most `most` numbers, none with a leading zero."""
    if not digits:
        yield []
        return
    if most == 0:
        return
    limit = 1 if digits[0] == "0" else len(digits)
    for length in range(1, limit + 1):
        head = int(digits[:length])
        for rest in _split_digits(digits[length:], most - 1):
            yield [head, *rest]


def _with_blanks(tokens: Sequence[Token], width: int) -> Iterator[Placement]:
    """The printed values in order, with the missing cells blank at every possible place."""
    for columns in combinations(range(width), len(tokens)):
        values: list[Slot] = [None] * width
        sources: list[Token | None] = [None] * width
        for column, token in zip(columns, tokens, strict=True):
            values[column] = token.value.number if token.value else None
            sources[column] = token
        yield Placement(tuple(values), tuple(sources))


Grid = dict[str, list[Slot]]


def violations(grid: Grid, equations: Sequence[Equation]) -> int:
    """How many equations the grid breaks; blanks count as any non-negative number."""
    broken = 0
    for equation in equations:
        left, right = _cells(grid, equation.left), _cells(grid, equation.right)
        if left is None or right is None:
            continue
        left_known = sum(v for v in left if v is not None)
        right_known = sum(v for v in right if v is not None)
        left_open = any(v is None for v in left)
        right_open = any(v is None for v in right)
        if left_open and right_open:
            continue
        if left_open:
            broken += left_known > right_known
        elif right_open:
            broken += right_known > left_known
        else:
            broken += abs(left_known - right_known) > 1e-9
    return broken


def _cells(grid: Grid, cells: Sequence[tuple[str, int]]) -> list[Slot] | None:
    """The grid's values of the cells; None when a row of them is not in the grid."""
    if any(row not in grid for row, _ in cells):
        return None
    return [grid[row][column] for row, column in cells]


def solve(
    rows: dict[str, list[Placement]], equations: Sequence[Equation]
) -> tuple[dict[str, Placement], set[tuple[str, int]]]:
    """One placement per row, and the cells the candidates could not agree on.

    Candidates of each ambiguous row are narrowed to those breaking the fewest equations
    given the cells fixed so far, repeatedly, until nothing changes.  The returned placement
    holds, for an undecided cell, None.
    """
    remaining = {key: list(options) for key, options in rows.items() if options}
    involving = {
        key: [eq for eq in equations if any(row == key for row, _ in eq.left + eq.right)]
        for key in remaining
    }
    changed = True
    while changed:
        changed = False
        grid = {key: list(_agreed(options)[0]) for key, options in remaining.items()}
        for key, options in remaining.items():
            if len(options) < 2:
                continue
            scored = []
            for option in options:
                grid[key] = list(option.values)
                scored.append((violations(grid, involving[key]), option))
            best = min(score for score, _ in scored)
            kept = [option for score, option in scored if score == best]
            grid[key] = list(_agreed(kept)[0])
            if len(kept) < len(options):
                remaining[key] = kept
                changed = True
    chosen: dict[str, Placement] = {}
    undecided: set[tuple[str, int]] = set()
    for key, options in remaining.items():
        values, sources, open_cells = _agreed(options)
        chosen[key] = Placement(values, sources)
        undecided.update((key, column) for column in open_cells)
    return chosen, undecided


def disputed(options: Sequence[Placement]) -> list[int]:
    """The columns on which a row's readings disagree (none for a single reading)."""
    return _agreed(options)[2] if options else []


def _agreed(
    options: Sequence[Placement],
) -> tuple[tuple[Slot, ...], tuple[Token | None, ...], list[int]]:
    """The cells all options agree on (others None), their tokens, and the disputed columns."""
    first = options[0]
    values = list(first.values)
    sources = list(first.sources)
    disputed: list[int] = []
    for column in range(len(values)):
        seen = {option.values[column] for option in options}
        if len(seen) > 1:
            values[column] = None
            sources[column] = None
            disputed.append(column)
    return tuple(values), tuple(sources), disputed
