"""Rule 5 (this year's carried_over = last year's carried_forward) on the reports served.

A stored report is what its file said, fixed by its SHA-256; rule 5 depends on a second
report that may be stored later or get a corrected version.  So it is evaluated whenever
a report is served (`gongkai results show`, the API, exports, bags), against the latest
stored version of the previous year, rather than written into the stored JSON, where it
would go stale.  Storing the earlier year later therefore "updates" the later one at once.
"""

from __future__ import annotations

from typing import Any

from schemas.rules import check_previous_year
from worker.errors import NotFound
from worker.store import Store

RULE = "rule5"


def served(store: Store, agency: str, year: str, version: int | None = None) -> dict[str, Any]:
    """The stored report of (agency, year), latest or `version`, with rule 5 when the
    previous year of the same agency is stored; raises NotFound."""
    return with_previous_year(store, store.report(agency, year, version))


def with_previous_year(store: Store, report: dict[str, Any]) -> dict[str, Any]:
    """`report` with its rule-5 checks (a new dict; the stored one is left alone)."""
    agency, year = report.get("agency"), report.get("year")
    checks = [check for check in report.get("checks", []) if check.get("rule") != RULE]
    if agency and isinstance(year, int):
        try:
            previous = store.report(agency, str(year - 1))
        except NotFound:
            previous = None
        if previous is not None:
            checks += check_previous_year(report, previous)
    return {**report, "checks": checks}
