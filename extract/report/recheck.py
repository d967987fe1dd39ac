"""Numbers that are not certain, weighed against the table's own sums: kept only when
the sums confirm them, nulled otherwise.

Two kinds of number are not certain.  A scan's digit can be misread (2 → 20, 1 → 0) into a
number the row's total or the column's sum shows to be impossible.  And in extracted text
whose values are not printed after their labels (a label column printed apart from the
numbers, a page's header between a label and its values), the row a value belongs to was
chosen by a rule of thumb.  Text-layer numbers printed after their labels are what the
report prints, and reports that print broken sums exist, so only the uncertain ones are
judged, and only here:

1. suspects: the OCR'd cells of every rule instance that breaks, except those a holding
   instance vouches for (when that leaves a broken instance with none, all its OCR'd
   cells); the cells OCR could not read at all; and every uncertain text cell, which no
   holding sum can vouch for (two rows swapped keep every column's sum);
2. the suspects are nulled; wherever the rest of the table then forces a suspect's value,
   and that value is one of the cell's own readings (the first, or one OCR offered as an
   alternative), the cell keeps it, and the forcing is tried again with it;
3. the others stay null and are returned, for the review verdict and for a re-read.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from itertools import product
from math import prod
from typing import Any

from extract.report.tokens import Token
from schemas.rules import RULED_TABLES, infer_forced, is_ruled, rule_instances

Number = int | float


@dataclass(slots=True)
class Recheck:
    """What the re-check did: cells left null, and cells whose reading it changed."""

    broken: list[str] = field(default_factory=list)
    """OCR'd cells nulled because their readings break the table's sums."""
    unconfirmed: list[str] = field(default_factory=list)
    """Text cells placed by a rule of thumb, nulled because the sums break with them."""
    unreadable: list[str] = field(default_factory=list)
    """Cells OCR could not read, still null."""
    reread: dict[str, tuple[Number | None, Number]] = field(default_factory=dict)
    """Cells that took another of their readings: path → (first reading, kept reading)."""


def recheck(
    report: dict[str, Any], sources: Mapping[str, Token], uncertain: Collection[str] = ()
) -> Recheck:
    """Null, in `report`'s tables, the OCR'd cells and the `uncertain` cells the arithmetic
    rules out (see module)."""
    judged = {
        path: token for path, token in sources.items() if token.method == "ocr" or path in uncertain
    }
    result = Recheck()
    if not judged:
        return result
    # No rule sums the 主动公开 table: a number OCR's readings disputed cannot be settled.
    unreadable = {
        path
        for path, token in judged.items()
        if token.kind != "value" or (token.alternatives and not is_ruled(path))
    }
    suspects = unreadable | _suspects(report, set(judged), set(uncertain))
    if not suspects:
        return result
    readings = {path: _readings(judged[path]) for path in suspects}
    first = {path: cell_at(report, path) for path in suspects}
    for path in suspects:
        _set(report, path, None)
    open_cells = _keep_forced(report, set(suspects), readings)
    ocr_cells = {path for path in open_cells if judged[path].method == "ocr" and is_ruled(path)}
    open_cells -= _keep_only_combination(report, ocr_cells, readings)
    for path in set(suspects) - open_cells:
        if cell_at(report, path) != first[path]:
            result.reread[path] = (first[path], cell_at(report, path))
    result.broken = sorted(p for p in open_cells - unreadable if judged[p].method == "ocr")
    result.unconfirmed = sorted(p for p in open_cells - unreadable if judged[p].method != "ocr")
    result.unreadable = sorted(open_cells & unreadable)
    return result


def _keep_forced(
    report: dict[str, Any], open_cells: set[str], readings: Mapping[str, set[Number]]
) -> set[str]:
    """Give back, one round at a time, each nulled cell whose value the rest of the table
    forces, where that value is one of its readings; the cells still open."""
    while open_cells:
        trial: dict[str, Any] = {key: copy.deepcopy(report.get(key)) for key in RULED_TABLES}
        trial["edition"] = report.get("edition")
        infer_forced(trial)
        kept = {
            path
            for path in open_cells
            if cell_at(trial, path) is not None and cell_at(trial, path) in readings[path]
        }
        if not kept:
            break
        for path in kept:
            _set(report, path, cell_at(trial, path))
        open_cells = open_cells - kept
    return open_cells


MAX_COMBINATIONS = 4096


def _keep_only_combination(
    report: dict[str, Any], open_cells: set[str], readings: Mapping[str, set[Number]]
) -> set[str]:
    """Where several nulled OCR'd cells share the sums that judge them (a misread cell and
    the row total beside it), try every combination of their readings: if exactly one makes
    every sum they are in that can be judged hold, and judges each of them, keep it.
    Returns the cells given a value.  (Not for text cells placed by a rule of thumb: a row
    in the wrong place keeps its own total.)"""
    cells = sorted(path for path in open_cells if readings[path])
    choices = [sorted(readings[path]) for path in cells]
    if not cells or prod(len(choice) for choice in choices) > MAX_COMBINATIONS:
        return set()
    fitting = []
    for combination in product(*choices):
        for path, value in zip(cells, combination, strict=True):
            _set(report, path, value)
        instances = [i for i in rule_instances(report) if set(i.paths) & set(cells)]
        judged = {path for i in instances if i.holds for path in i.paths}
        if all(i.holds is not False for i in instances) and set(cells) <= judged:
            fitting.append(combination)
        if len(fitting) > 1:
            break
    for path in cells:
        _set(report, path, None)
    if len(fitting) != 1:
        return set()
    for path, value in zip(cells, fitting[0], strict=True):
        _set(report, path, value)
    return set(cells)


def _suspects(report: Mapping[str, Any], judged: set[str], uncertain: set[str]) -> set[str]:
    """The judged cells the sums rule out, and every uncertain one: holding sums do not
    vouch for a row placed by a rule of thumb (a row in the wrong place keeps its own total,
    and two rows swapped keep every column's); only the other rows forcing its values do."""
    instances = rule_instances(report)
    vouched = {path for inst in instances if inst.holds for path in inst.paths}
    suspects = {path for path in uncertain if cell_at(report, path) is not None}
    for inst in instances:
        if inst.holds is not False:
            continue
        cells = [path for path in inst.paths if path in judged]
        suspects.update([path for path in cells if path not in vouched] or cells)
    return suspects


def _readings(token: Token) -> set[Number]:
    numbers = {value.number for value in token.alternatives if value.number is not None}
    if token.value is not None and token.value.number is not None:
        numbers.add(token.value.number)
    return numbers


def cell_at(report: Mapping[str, Any], path: str) -> Any:
    """The value at a table cell's path (None when blank or absent)."""
    table, row, column = path.split("/")
    return (report.get(table) or {}).get(row, {}).get(column)


def _set(report: dict[str, Any], path: str, value: Number | None) -> None:
    table, row, column = path.split("/")
    report[table][row][column] = value
