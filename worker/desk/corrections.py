"""A reviewer's correction of one value, and marking a report reviewed: new reports, never
edits of the stored one.

A correction may touch only what the contract calls a value: a table cell of the report's
edition, the agency or the year; the new report must pass the JSON Schema (a count stays a
whole number of at least 0).  It is recorded in `corrections` (path, old, new, who, when,
note), the rules are evaluated again at once, and a cell the report's arithmetic had forced
is no longer listed as inferred: a person has now said what it is.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from schemas.fields import catalogue, value_at
from schemas.rules import check_rules
from schemas.validate import InvalidReport, validate_report
from worker.errors import InvalidSetting

IDENTITY = ("agency", "year")


class InvalidCorrection(InvalidSetting):
    """A correction the contract does not allow: an unknown path, or a value of the wrong
    type for it."""

    kind = "invalid_correction"


def correct(
    report: Mapping[str, Any],
    path: str,
    text: str,
    who: str,
    note: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """`report` with the value at `path` replaced by the one `text` spells ("" for blank)."""
    if path not in _editable():
        raise InvalidCorrection(f"{path!r} is not a value of the report that can be corrected")
    new = copy.deepcopy(dict(report))
    old = value_at(new, path)
    value = _value(path, text)
    _set(new, path, value)
    entry: dict[str, Any] = {"path": path, "old": old, "new": value, "who": who}
    entry["when"] = _stamp(now)
    if note.strip():
        entry["note"] = note.strip()
    new["corrections"] = [*new.get("corrections", []), entry]
    new["inferred"] = [cell for cell in new.get("inferred", []) if cell != path]
    new["checks"] = check_rules(new)
    try:
        validate_report(new)
    except InvalidReport as exc:
        raise InvalidCorrection(f"{path}: {text!r} is not allowed there ({exc})") from None
    return new


def mark_reviewed(
    report: Mapping[str, Any], who: str, now: datetime | None = None
) -> dict[str, Any]:
    """`report` with the verdict `reviewed`, by whom and when."""
    new = copy.deepcopy(dict(report))
    new["review"] = {
        **new["review"],
        "status": "reviewed",
        "reviewed_by": who,
        "reviewed_at": _stamp(now),
    }
    validate_report(new)
    return new


@cache
def _editable() -> frozenset[str]:
    return frozenset(field.path for field in catalogue()) | frozenset(IDENTITY)


def _value(path: str, text: str) -> Any:
    """The value a reviewer typed: blank, a number for a cell or the year, a name."""
    text = text.strip()
    if not text:
        return None
    if path == "agency":
        return " ".join(text.split())
    for kind in (int, float):
        try:
            return kind(text.replace(",", ""))
        except ValueError:
            continue
    raise InvalidCorrection(f"{path}: {text!r} is not a number")


def _set(report: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    node = report
    for key in parents:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[last] = value


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")
