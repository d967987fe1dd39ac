"""A reviewer's correction of one value, and marking a report reviewed: new reports, never
edits of the stored one.

A correction may touch only what the contract calls a value: a table cell of the report's
edition, the agency or the year; the new report must pass the JSON Schema (a count stays a
whole number of at least 0).  It is recorded in `corrections` (path, old, new, who, when,
note), the rules are evaluated again at once, and a value the report's arithmetic had forced
is no longer listed as inferred, nor named by a review reason (a blank cell, an unconfirmed
agency): a person has now said what it is.

A reprocessed version carries the corrections forward; where the newer parser reads a
third value, the entry gets `parsed` (what the parser now reads) and the review the reason
`correction_conflict`: the reviewer's value stays until a person settles it by correcting
the cell again (to either value), and a report with a conflict left is not marked reviewed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from schemas.fields import catalogue, set_value, value_at
from schemas.rules import check_rules
from schemas.validate import InvalidReport, validate_report
from worker.errors import InvalidSetting

IDENTITY = ("agency", "year")
CONFLICT = "correction_conflict"
CHANGED_AFTER_REVIEW = "changed_after_review"
MAX_VALUE = 400
"""Characters of a typed value (an agency's name is stored in 400)."""
MAX_NOTE = 1000


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
    if len(text) > MAX_VALUE or len(note) > MAX_NOTE:
        raise InvalidCorrection(
            f"a value has at most {MAX_VALUE} characters, a note at most {MAX_NOTE}"
        )
    new = copy.deepcopy(dict(report))
    old = value_at(new, path)
    value = _value(path, text)
    set_value(new, path, value)
    entry: dict[str, Any] = {"path": path, "old": old, "new": value, "who": who}
    entry["when"] = _stamp(now)
    if note.strip():
        entry["note"] = note.strip()
    new["corrections"] = [*new.get("corrections", []), entry]
    settle(new, [path])
    try:
        validate_report(new)
    except InvalidReport as exc:
        raise InvalidCorrection(f"{path}: {text!r} is not allowed there ({exc})") from None
    return new


def mark_reviewed(
    report: Mapping[str, Any], who: str, now: datetime | None = None
) -> dict[str, Any]:
    """`report` with the verdict `reviewed`, by whom and when; refused while a correction
    conflicts with what the parser now reads."""
    left = conflicts(report)
    if left:
        paths = ", ".join(entry["path"] for entry in left)
        raise InvalidCorrection(f"settle the conflicts first (correct {paths} again)")
    new = copy.deepcopy(dict(report))
    looked_at = [  # the values reprocessing changed after an earlier review: seen now
        reason for reason in new["review"]["reasons"] if reason["reason"] != CHANGED_AFTER_REVIEW
    ]
    new["review"] = {
        **new["review"],
        "reasons": looked_at,
        "status": "reviewed",
        "reviewed_by": who,
        "reviewed_at": _stamp(now),
    }
    validate_report(new)
    return new


def conflicts(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The corrections a newer parser disagrees with: the latest entry of each path, when
    it carries `parsed`, in the order of the paths' first corrections."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in report.get("corrections", []):
        latest[entry["path"]] = entry
    return [entry for entry in latest.values() if "parsed" in entry]


def settle(report: dict[str, Any], paths: Iterable[str]) -> None:
    """What a person saying what values are changes in a report: they are no longer listed
    as inferred nor named by a review reason (a conflict among them; reasons naming a whole
    table or row stay), a report needing review for no reason left is complete, and the
    rules are evaluated again."""
    said = set(paths)
    report["inferred"] = [cell for cell in report.get("inferred", []) if cell not in said]
    reasons = []
    for reason in report["review"].get("reasons", []):
        left = [path for path in reason.get("paths", []) if path not in said]
        if left:
            reasons.append({**reason, "paths": left})
    status = report["review"]["status"]
    if status == "needs_review" and not reasons:
        status = "complete"
    report["review"] = {**report["review"], "status": status, "reasons": reasons}
    report["checks"] = check_rules(report)


@cache
def _editable() -> frozenset[str]:
    return frozenset(field.path for field in catalogue()) | frozenset(IDENTITY)


def _value(path: str, text: str) -> Any:
    """The value a reviewer typed: blank, a number for a cell or the year, a name."""
    text = text.strip()
    if not text:
        return None
    if path == "agency":
        return "".join(text.split())  # the contract: an agency holds no white space
    for kind in (int, float):
        try:
            return kind(text.replace(",", ""))
        except ValueError:
            continue
    raise InvalidCorrection(f"{path}: {text!r} is not a number")


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")
