"""The verdict on one parsed report: can an archive take it as is, or must a person look?

Precision comes first, so the verdict is strict: a report is `complete` only when every
table was found and every cell holds a number that was read (or that the report's own
arithmetic forces).  Anything else is `needs_review`, with machine-readable reasons naming
the paths concerned; a part of a report (an image of one page, an excerpt without title
and with tables missing) is a `fragment`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

TABLES = ("active_disclosure", "applications", "reviews_and_lawsuits")


def review(
    report: Mapping[str, Any],
    *,
    has_title: bool,
    undecided: Iterable[str] = (),
    unreadable: Iterable[str] = (),
    broken_by_ocr: Iterable[str] = (),
    unconfirmed: Iterable[str] = (),
    edition_from_table: bool = True,
    agency_confirmed: bool = True,
) -> dict[str, Any]:
    """`{"status", "reasons"}` for the report as it will be emitted.

    `undecided`: cells the printed text fits in several ways; `unreadable`: cells OCR could
    not read; `broken_by_ocr`: OCR'd cells nulled because their readings break the table's
    arithmetic; `unconfirmed`: cells placed by a rule of thumb that the arithmetic did not
    confirm; `edition_from_table`: whether the edition was read off the tables;
    `agency_confirmed`: whether a name read by OCR was found twice.
    """
    reasons: list[dict[str, Any]] = []

    def add(reason: str, paths: Iterable[str]) -> None:
        listed = sorted(set(paths), key=_order(report))
        if listed:
            reasons.append({"reason": reason, "paths": listed})

    if report.get("edition") == "pre2019":
        add("format_not_supported", ["edition"])
    add("agency_not_found", [] if report.get("agency") else ["agency"])
    add("agency_unconfirmed", [] if agency_confirmed or not report.get("agency") else ["agency"])
    add("year_not_found", [] if report.get("year") is not None else ["year"])
    missing = [table for table in TABLES if not report.get(table)]
    if report.get("edition") != "pre2019":
        add("table_not_found", missing)
        if not edition_from_table:
            add("edition_not_from_table", ["edition"])
    explained = set(undecided) | set(unreadable) | set(broken_by_ocr) | set(unconfirmed)
    add("ocr_breaks_arithmetic", broken_by_ocr)
    add("placement_unconfirmed", unconfirmed)
    add("ocr_unreadable", set(unreadable) - set(broken_by_ocr))
    add("placement_undecided", set(undecided) - set(broken_by_ocr) - set(unreadable))
    add("cell_null", [path for path in null_cells(report) if path not in explained])
    status = "needs_review" if reasons else "complete"
    return {"status": "fragment" if not has_title and missing else status, "reasons": reasons}


def null_cells(report: Mapping[str, Any]) -> list[str]:
    """Every table cell left null, in table order."""
    return [path for path, value in _cells(report) if value is None]


def _order(report: Mapping[str, Any]) -> Callable[[str], tuple[int, str]]:
    """Cells in the order the report prints them, after other paths (agency, year, tables)
    in the order of their names."""
    position = {path: i for i, (path, _) in enumerate(_cells(report))}
    return lambda path: (position.get(path, -1), path)


def _cells(report: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for table in TABLES:
        for row, cells in (report.get(table) or {}).items():
            for column, value in cells.items():
                yield f"{table}/{row}/{column}", value
