"""Rule 5 (this year's carried_over = last year's carried_forward) on the reports served.

A stored report is what its file said, fixed by its SHA-256; rule 5 depends on a second
report that may be stored later or get a corrected version.  So it is evaluated whenever
a report is served (`gongkai results show`, the API, exports, bags, the hook), against the
latest stored version of the previous year, rather than written into the stored JSON,
where it would go stale.  Storing the earlier year later therefore "updates" the later
one at once.  The checks are appended to `checks`; every other key keeps its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from schemas.rules import check_previous_year
from worker.errors import NotFound
from worker.store import Store, Stored

RULE = "rule5"


def served(
    store: Store, agency: str, year: int | str, version: int | None = None
) -> dict[str, Any]:
    """The stored report of (agency, year), latest or `version`, with rule 5 when the
    previous year of the same agency is stored; raises NotFound."""
    return with_previous_year(store, store.report(agency, year, version))


def served_document(store: Store, sha256: str) -> dict[str, Any]:
    """The report of the stored document of these bytes, with rule 5; raises NotFound."""
    return with_previous_year(store, store.report_by_sha(sha256))


def with_previous_year(store: Store, report: dict[str, Any]) -> dict[str, Any]:
    """`report` with its rule-5 checks (a new dict; the stored one is left alone)."""
    wanted = _previous_key(report)
    previous = None
    if wanted is not None:
        try:
            previous = store.report(*wanted)
        except NotFound:
            previous = None
    return _checked(report, previous)


def with_previous_years(
    store: Store, batches: Iterable[list[tuple[Stored, dict[str, Any]]]]
) -> Iterator[tuple[Stored, dict[str, Any]]]:
    """Each stored report of the batches with its rule-5 checks, the previous years of a
    batch looked up in one query."""
    for batch in batches:
        wanted = [key for _, report in batch if (key := _previous_key(report)) is not None]
        previous = store.latest_reports(wanted)
        for stored, report in batch:
            key = _previous_key(report)
            yield stored, _checked(report, None if key is None else previous.get(key))


def _previous_key(report: dict[str, Any]) -> tuple[str, int] | None:
    agency, year = report.get("agency"), report.get("year")
    if agency and isinstance(year, int):
        return agency, year - 1
    return None


def _checked(report: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    checks = [check for check in report.get("checks", []) if check.get("rule") != RULE]
    if previous is not None:
        checks += check_previous_year(report, previous)
    return {**report, "checks": checks}
