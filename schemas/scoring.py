"""Score a produced report against a hand-made truth file.

The rules are those of tests/data/devset/README.md, kept in one place so the accuracy
benchmark and the tests agree on what "right" means:

- every numeric leaf the truth has under the three table sections is scored, null included
  (a blank cell must come out null, never a guessed 0);
- a path in the truth's `meta.inferable` is right when the output is null, or when it holds
  the value the report's arithmetic forces AND the parser lists the path in `inferred`.
  Devset truths map each such path to its forced value (the truth itself holds null, as
  printed); seed truths list the paths and hold the forced value in place;
- paths in `meta.ambiguous` are not scored;
- a key missing from the output is wrong;
- numbers are equal within 1e-6 (money is a decimal number of 万元).

A scored field that is not right is either a miss (null or missing where the truth has a
number: the reader lost it, a reviewer fills it) or *wrong* (the output holds a number the
report does not print there, or one the arithmetic does not force and `inferred` does not
declare). Wrong values are counted apart because they are worse than misses: nothing marks
them for a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

SECTIONS: Final = ("active_disclosure", "applications", "reviews_and_lawsuits")
TOLERANCE: Final = 1e-6


class _Missing:
    """The value of a path the output does not have (distinct from null)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class Mismatch:
    """`wrong`: the output holds a value (not null, not missing) other than the truth's."""

    path: str
    expected: Any
    got: Any
    wrong: bool = False


@dataclass(slots=True)
class Score:
    """Counts for one report; `mismatches` also names a wrong agency, year or edition.

    `wrong` counts the scored table fields that hold a wrong number (see the module notes);
    a wrong agency, year or edition is flagged in `mismatches` but not counted there.
    """

    fields_total: int = 0
    fields_right: int = 0
    wrong: int = 0
    nonzero_total: int = 0
    nonzero_right: int = 0
    agency_ok: bool = False
    year_ok: bool = False
    edition_ok: bool = False
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return (
            self.fields_right == self.fields_total
            and self.agency_ok
            and self.year_ok
            and self.edition_ok
        )


def score(report: Mapping[str, Any], truth: Mapping[str, Any]) -> Score:
    """Compare `report` (the contract dict) with `truth` (a `*.truth.json`)."""
    meta = truth.get("meta") or {}
    ambiguous = set(meta.get("ambiguous") or ())
    forced = _forced_values(meta.get("inferable") or {}, truth)
    inferred = set(report.get("inferred") or ())
    result = Score()

    for key in ("agency", "year", "edition"):
        expected, got = truth.get(key), _lookup(report, key)
        ok = _same(expected, got)
        setattr(result, f"{key}_ok", ok)
        if not ok:
            result.mismatches.append(Mismatch(key, expected, got, _holds_value(got)))

    for path, expected in _leaves(truth):
        if path in ambiguous:
            continue
        got = _lookup(report, path)
        if path in forced:
            printed = None  # the cell is blank as printed, whatever the truth holds there
            ok = got is None or (path in inferred and _same(forced[path], got))
        else:
            printed = expected
            ok = _same(expected, got)
        result.fields_total += 1
        result.fields_right += ok
        if _is_number(printed) and printed != 0:
            result.nonzero_total += 1
            result.nonzero_right += ok
        if not ok:
            wrong = _is_number(got)  # else a miss: null, missing, or not a number at all
            result.wrong += wrong
            result.mismatches.append(Mismatch(path, expected, got, wrong))
    return result


def _forced_values(
    inferable: Mapping[str, Any] | list[str], truth: Mapping[str, Any]
) -> dict[str, Any]:
    """Path → forced value, from either form of `meta.inferable`."""
    if isinstance(inferable, Mapping):
        return dict(inferable)
    return {path: _lookup(truth, path) for path in inferable}


def _leaves(truth: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every non-object value under the table sections, as (slash path, value)."""
    stack = [(section, truth.get(section) or {}) for section in reversed(SECTIONS)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{path}/{key}", child) for key, child in reversed(list(value.items())))
        else:
            yield path, value


def _lookup(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("/"):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value


def _holds_value(value: Any) -> bool:
    return value is not None and value is not MISSING


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(expected: Any, got: Any) -> bool:
    if _is_number(expected) and _is_number(got):
        return bool(abs(expected - got) <= TOLERANCE)
    if _is_number(expected) or _is_number(got):
        return False  # e.g. True is not 1, "3" is not 3
    return bool(expected == got)
