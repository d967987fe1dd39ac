"""Parse stored originals again with this parser: `gongkai reprocess` and `POST /reprocess`.

When the parser improves, an archive must not keep the old numbers forever.  A run takes
the current documents of a selection (the latest version of each report and every
unidentified record, optionally only those an older parser wrote), parses each stored
original again and stores a new revision only when the result differs (`Store.revise`,
origin `reprocessed`); an unchanged result adds nothing.

A reviewer's corrections are carried forward: each is applied again to the new result.
Where the newer parser reads a value the reviewer has seen (what they corrected, what they
wrote, a reading of an earlier conflict they settled) the correction simply holds; where
it reads a new value the reviewer's value stays, the path's newest correction records it
as `parsed` and the report goes back to review (`correction_conflict`): shown, never
overwritten, until the reviewer corrects the value again.  A report marked reviewed stays
reviewed only if every value is what the reviewer saw; otherwise it goes back to review
(`changed_after_review`, naming the values).

The runs that take many documents at once are `worker.reprocess_runs`.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.errors import GongkaiError
from schemas.fields import catalogue, set_value, value_at
from schemas.validate import validate_report
from worker import events
from worker.corrections import CHANGED_AFTER_REVIEW, CONFLICT, settle
from worker.failure import describe
from worker.files import sha256_of
from worker.store import Store

if TYPE_CHECKING:
    from worker.settings import Settings

_RUN_FILE = "run.json"
_IDENTITY = ("agency", "year", "edition")
_OTHER_PARTS = (
    "review/reasons",
    "checks",
    "inferred",
    "warnings",
    "corrections",
    "provenance",
    "sections",
    "units",
    "source",
    "schema_version",
)


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """What parsing one document again did: `changed` (a new version stored), `unchanged`
    or `failed` (the stored document untouched)."""

    sha256: str
    filename: str
    result: str
    agency: str | None = None
    year: int | None = None
    version: int | None = None  # the new version when changed, else the current one
    changes: list[Change] = field(default_factory=list)
    """The values that changed (agency, year, edition, cells), then the verdict."""
    other_changes: list[str] = field(default_factory=list)
    """The other parts of the report that changed, by name (review/reasons, checks…)."""
    conflicts: list[str] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def carried(previous: Mapping[str, Any], fresh: Mapping[str, Any]) -> dict[str, Any]:
    """The fresh parse with the reviewer's corrections of `previous` applied again (see the
    module's docstring for conflicts and the verdict)."""
    report = copy.deepcopy(dict(fresh))
    entries = [dict(entry) for entry in previous.get("corrections") or []]
    newest = {entry["path"]: entry for entry in entries}  # what the reviewer said last
    conflicts = []
    for path, entry in newest.items():
        entry.pop("parsed", None)  # an open conflict is judged again
        seen = {
            value
            for other in entries
            if other["path"] == path
            for value in (other["old"], other["new"], other.get("parsed", other["old"]))
        }
        now = value_at(report, path)
        if now not in seen:  # a reading the reviewer has not been shown
            entry["parsed"] = now
            conflicts.append(path)
        set_value(report, path, entry["new"])
    if entries:
        report["corrections"] = entries
        settle(report, newest)
    reasons = [{"reason": CONFLICT, "paths": conflicts}] if conflicts else []
    reviewed = previous["review"]["status"] == "reviewed"
    changed = [change.path for change in values_differ(previous, report)] if reviewed else []
    unsettled = [  # values changed after a review that nobody has looked at since
        path
        for reason in previous["review"]["reasons"]
        if reason["reason"] == CHANGED_AFTER_REVIEW
        for path in reason["paths"]
    ]
    if reviewed and not changed and not conflicts:
        report["review"] = copy.deepcopy(previous["review"])
    elif changed or unsettled:  # a value a reviewer vouched for reads otherwise: look again
        paths = list(dict.fromkeys([*unsettled, *changed]))
        reasons.append({"reason": CHANGED_AFTER_REVIEW, "paths": paths})
    if reasons:
        reasons = [*report["review"]["reasons"], *reasons]
        report["review"] = {**report["review"], "status": "needs_review", "reasons": reasons}
    validate_report(report)
    return report


def values_differ(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """The values an archive takes (agency, year, edition, every cell) that differ."""
    paths = [*_IDENTITY, *(cell.path for cell in catalogue())]
    return [
        Change(path, value_at(old, path), value_at(new, path))
        for path in paths
        if value_at(old, path) != value_at(new, path)
    ]


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """What a reader of the summary wants to know changed: the values, then the verdict."""
    found = values_differ(old, new)
    before, after = old["review"]["status"], new["review"]["status"]
    if before != after:
        found.append(Change("review/status", before, after))
    return found


def other_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The parts of the report besides its values and verdict that differ (the review's
    reasons, checks, warnings, where each cell was read…), by name."""
    return [path for path in _OTHER_PARTS if value_at(old, path) != value_at(new, path)]


def reprocess_document(settings: Settings, store: Store, sha256: str) -> Outcome:
    """Parse the stored original of one document again; store a new revision if the
    result differs.  A file that cannot be parsed any more is a `failed` outcome (its
    stored versions stay); the database being away raises, for a later attempt."""
    from worker import pipeline

    stored = store.document(sha256)
    previous = store.report_by_sha(sha256)
    original = settings.data_dir / stored.original

    def outcome(result: str, error: str | None = None) -> Outcome:
        return Outcome(
            sha256,
            stored.filename,
            result,
            agency=stored.agency,
            year=stored.year,
            version=stored.version,
            error=error,
        )

    if not original.is_file():
        return outcome("failed", f"the stored original {stored.original} is missing")
    if sha256_of(original) != sha256:
        return outcome(
            "failed",
            f"the stored original {stored.original} is damaged or replaced: its bytes no "
            "longer have the SHA-256 they were stored under (restore it from a backup)",
        )
    with tempfile.TemporaryDirectory(prefix="gongkai-reprocess-") as folder:
        named = Path(folder) / stored.filename  # the report names its source file
        named.symlink_to(original.resolve())
        try:
            processed = pipeline.run(named, options=settings.read_options())
        except GongkaiError as exc:
            failure = describe(exc)
            return outcome("failed", f"{failure.kind}: {failure.message}")
    report = carried(previous, processed.report)
    if report == previous:
        store.confirm(sha256, stored.revision)  # this parser reads it so: not taken again
        return outcome("unchanged")
    revised = store.revise(sha256, report, "reprocessed", timings=processed.timings)
    events.dispatch(events.revised(revised))
    conflicts: list[str] = next(
        (reason["paths"] for reason in report["review"]["reasons"] if reason["reason"] == CONFLICT),
        [],
    )
    return Outcome(
        sha256,
        stored.filename,
        "changed",
        agency=revised.agency,
        year=revised.year,
        version=revised.version,
        changes=changes(previous, report),
        other_changes=other_changes(previous, report),
        conflicts=conflicts,
    )
