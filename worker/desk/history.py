"""The versions a report has been through, as the report view lists them: who made each and
when, and which values it changed from the one before.

The list is the record of the report the document belongs to (`Store.record`: every
version, or an unidentified record's revisions), with the document's own earlier revisions
that are in no version of it (read while it was unidentified, or under another agency or
year, before a reviewer named it), in the order they were stored.  Any of them opens read
only, addressed by its bytes and revision (`/desk/documents/<sha256>/revisions/<n>`), which
an unidentified record has too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from worker.errors import NotFound
from worker.reprocess import Change, changes
from worker.store import Store, Stored

SHOWN_CHANGES = 5
"""Changes listed in a row of the versions list; the version's own view lists them all."""


@dataclass(frozen=True, slots=True)
class VersionView:
    stored: Stored
    who: str | None
    """The reviewer of a correction or a review; None for what gongkai parsed."""
    when: str
    changes: tuple[Change, ...]
    """What differs from the version before (nothing for the first)."""
    first: bool
    current: bool
    """The document's newest revision: what its report view shows and corrects."""
    viewed: bool
    """The one this page shows."""

    @property
    def link(self) -> str:
        """Where it opens: the report view for the current one, read only otherwise."""
        if self.current:
            return f"/desk/documents/{self.stored.sha256}"
        return f"/desk/documents/{self.stored.sha256}/revisions/{self.stored.revision}"


def versions(store: Store, current: Stored, viewed: Stored) -> list[VersionView]:
    """The versions of `current`'s report and its document's earlier revisions, oldest first."""
    rows = store.record(current.sha256)
    listed = {_key(row) for row in rows}
    own = [row for row in store.revisions(current.sha256) if _key(row) not in listed]
    timeline = sorted([*own, *rows], key=lambda row: row.created_at)
    reports = store.revision_reports(_key(row) for row in timeline)
    return lineup(timeline, reports, _key(current), _key(viewed))


def lineup(
    rows: Sequence[Stored],
    reports: Mapping[tuple[str, int], Mapping[str, Any]],
    current: tuple[str, int],
    viewed: tuple[str, int],
) -> list[VersionView]:
    """Each row with who made it, when, and what it changed from the row before."""
    found = []
    for number, row in enumerate(rows):
        report = reports[_key(row)]
        who, when = made_by(row, report)
        before = reports[_key(rows[number - 1])] if number else None
        found.append(
            VersionView(
                row,
                who,
                when,
                tuple(changes(before, report)) if before is not None else (),
                before is None,
                _key(row) == current,
                _key(row) == viewed,
            )
        )
    return found


def made_by(stored: Stored, report: Mapping[str, Any]) -> tuple[str | None, str]:
    """Who made a version and when: the newest correction's reviewer and time for a
    correction, the reviewer and time of a review, else nobody (gongkai) when it was stored."""
    stamp = stored.created_at.isoformat(timespec="seconds")
    if stored.origin == "corrected" and report.get("corrections"):
        newest = report["corrections"][-1]
        return newest.get("who"), newest.get("when") or stamp
    review = report.get("review") or {}
    if stored.origin == "reviewed" and review.get("reviewed_by"):
        return review["reviewed_by"], review.get("reviewed_at") or stamp
    return None, stamp


def revision(store: Store, sha256: str, number: int) -> tuple[Stored, Stored]:
    """Revision `number` of the document of these bytes and its newest revision; raises
    NotFound."""
    rows = store.revisions(sha256)
    for row in rows:
        if row.revision == number:
            return row, rows[-1]
    raise NotFound(f"no revision {number} of {sha256}")


def report_of(store: Store, stored: Stored) -> dict[str, Any]:
    """The report of one stored revision, as stored."""
    return store.revision_reports([_key(stored)])[_key(stored)]


def _key(row: Stored) -> tuple[str, int]:
    return row.sha256, row.revision
