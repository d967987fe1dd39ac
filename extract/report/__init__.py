"""The report parser: a Document (from any reader) → the contract JSON of one report.

The parser knows nothing of PDFs or OCR: it reads the token stream of `tokens`, finds the
title, the three tables and the prose, then lets the report's own arithmetic fill the cells
it forces and reports every consistency rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from extract.document import Document
from extract.errors import NotAReport
from extract.report.active_table import detect_edition, read_active
from extract.report.cells import TableRead
from extract.report.identity import Found, Identity, identify
from extract.report.labels import TABLE_ANCHORS
from extract.report.recheck import cell_at, recheck
from extract.report.review import review
from extract.report.sections import read_sections
from extract.report.tables import read_applications, read_reviews
from extract.report.tokens import Token, tokenize
from schemas.rules import (
    APPLICATION_ROWS_2019,
    APPLICATION_ROWS_2021,
    OTHER_ROWS_2021,
    check_rules,
    ensure_rows,
    infer_forced,
)
from schemas.validate import SCHEMA_VERSION

__all__ = ["parse_document"]

_PRE_2019_MARKERS = re.compile(r"依申请公开政府信息情况|收费及减免|政府信息公开的收费")


def parse_document(document: Document) -> dict[str, Any]:
    """The contract JSON for one report (not yet schema-validated).

    Numbers are emitted only from a document with the report's anchors: its title, or a
    table's own header rows.  Without a title, a table whose headers are not there is not
    taken, whatever numbers follow its labels (work plans and notices name 行政许可 and
    规范性文件 too); a document left with no table is not a report.
    """
    tokens = tokenize(document)
    identity = identify(document)
    title = identity.title
    present = {token.section for token in tokens}

    def section(number: int) -> list[Token]:
        wanted = number if number in present else 0
        return [token for token in tokens if token.section == wanted]

    applications, reviews_row = read_applications(section(3))
    review_tokens = _review_tokens(tokens, present, reviews_row)
    reviews = read_reviews(review_tokens)
    edition, from_table = _edition(section(2), applications, identity)
    active = read_active(section(2), edition)
    if title is None:
        active, applications, reviews = (
            table if _anchored(name, table, table_tokens) else TableRead()
            for name, table, table_tokens in (
                ("active_disclosure", active, section(2)),
                ("applications", applications, section(3)),
                ("reviews_and_lawsuits", reviews, review_tokens),
            )
        )

    if not (applications.cells or reviews.cells or active.cells):
        if title is None:
            raise NotAReport(
                "not a government information-disclosure annual report "
                "(no report title and none of its tables found)"
            )
        if _is_pre_2019(identity, tokens):
            return _report(document, identity, "pre2019", [], tokens)
    elif identity.year is not None and int(identity.year.value) < 2019:
        return _report(document, identity, "pre2019", [], tokens)
    return _report(document, identity, edition, [active, applications, reviews], tokens, from_table)


MIN_LABELLED_ROWS = 6
"""Section 三's row labels are long and printed nowhere else: this many identify the table."""


def _anchored(name: str, table: TableRead, tokens: Sequence[Token]) -> bool:
    """Whether the table's own header words are printed with it (or, for 三, most of its
    row labels, which are long and found nowhere else)."""
    if not table.cells:
        return False
    text = "".join(token.text for token in tokens if token.kind == "text")
    anchor = TABLE_ANCHORS[name]
    return len(set(anchor.findall(text))) >= 2 or (
        name == "applications" and len(table.cells) >= MIN_LABELLED_ROWS
    )


def _review_tokens(
    tokens: Sequence[Token], present: set[int], reviews_row: list[Token] | None
) -> list[Token]:
    """Section 四's tokens; else a 15-value row found in 三; else what follows 行政复议."""
    if 4 in present:
        return [token for token in tokens if token.section == 4]
    if reviews_row is not None:
        return reviews_row
    opening = [token for token in tokens if token.section == 0]
    for index, token in enumerate(opening):
        if token.kind == "text" and "行政复议" in token.text:
            return opening[index:]
    return []


def _edition(
    active_tokens: Sequence[Token], applications: TableRead, identity: Identity
) -> tuple[str, bool]:
    """From the 主动公开 table's headers; failing that, the 其他处理 rows; then the year.

    The second value says whether the tables decided it.
    """
    found = detect_edition(active_tokens)
    if found:
        return found, True
    if any(row in applications.cells for row in OTHER_ROWS_2021):
        return "2021", True
    if "other_processing" in applications.cells:
        return "2019", True
    year = identity.year
    return ("2019" if year is not None and int(year.value) < 2021 else "2021"), False


def _is_pre_2019(identity: Identity, tokens: Sequence[Token]) -> bool:
    if identity.year is not None and int(identity.year.value) < 2019:
        return True
    return any(token.kind == "text" and _PRE_2019_MARKERS.search(token.text) for token in tokens)


def _report(
    document: Document,
    identity: Identity,
    edition: str,
    tables: Sequence[TableRead],
    tokens: Sequence[Token],
    edition_from_table: bool = True,
) -> dict[str, Any]:
    active, applications, reviews = tables if tables else (TableRead(),) * 3
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "agency": identity.agency.value if identity.agency else None,
        "year": identity.year.value if identity.year else None,
        "edition": edition,
        "active_disclosure": active.cells,
        "applications": applications.cells,
        "reviews_and_lawsuits": reviews.cells,
        "sections": read_sections(tokens),
        "checks": [],
        "inferred": [],
        "provenance": {},
        "units": {**active.units},
        "source": {
            "filename": document.filename,
            "sha256": document.sha256,
            "pages": len(document.pages),
            "method": document.method,
        },
        "warnings": [],
    }
    if applications.cells:
        ensure_rows(
            report["applications"],
            APPLICATION_ROWS_2019 if edition == "2019" else APPLICATION_ROWS_2021,
        )
    resolved = [path for table in tables for path in table.resolved]
    sources = {path: token for table in tables for path, token in table.sources.items()}
    checked = recheck(report, sources, {path for table in tables for path in table.uncertain})
    unknown = checked.broken + checked.unconfirmed + checked.unreadable
    report["inferred"] = resolved + (infer_forced(report, keep_blank=unknown) if tables else [])
    report["checks"] = check_rules(report)
    methods = {page.number: page.method for page in document.pages}
    for key, found in (("agency", identity.agency), ("year", identity.year)):
        if found is not None:
            report["provenance"][key] = _found_provenance(found, methods)
    for path, token in sources.items():
        report["provenance"][path] = {
            "page": token.page,
            "bbox": list(token.bbox) if token.bbox else None,
            "method": token.method,
            "confidence": token.confidence,
        }
    undecided = [
        path for table in tables for path in table.undecided if cell_at(report, path) is None
    ]
    report["review"] = review(
        report,
        has_title=identity.title is not None,
        undecided=undecided,
        unreadable=checked.unreadable,
        broken_by_ocr=checked.broken,
        unconfirmed=checked.unconfirmed,
        edition_from_table=edition_from_table,
        agency_confirmed=identity.agency_confirmed,
    )
    report["warnings"] = _warnings(report["review"]["reasons"]) + [
        f"{path}: OCR read {first}; {kept}, another reading of the cell, is the one the "
        "table's sums allow"
        for path, (first, kept) in checked.reread.items()
    ]
    return report


_WARNINGS = {
    "format_not_supported": "the report follows the pre-2019 format, which is not supported",
    "agency_not_found": "the reporting body was not found (no title, signature or contact line)",
    "agency_unconfirmed": "the reporting body's name was read by OCR once only; check it",
    "year_not_found": "the year was not found (no title or statistics period)",
    "table_not_found": "table not found",
    "edition_not_from_table": "the edition was not decided by the tables but by the year",
    "ocr_breaks_arithmetic": "OCR readings break the table's own sums; left null",
    "ocr_unreadable": "OCR could not settle on one reading of the cell; left null",
    "placement_undecided": "the printed values fit this cell in more than one way; left null",
    "placement_unconfirmed": (
        "the value was not printed after its label and the table's sums do not confirm it; "
        "left null"
    ),
}


def _warnings(reasons: Sequence[dict[str, Any]]) -> list[str]:
    """One readable line per reason and path (blank cells are listed in `review` only)."""
    return [
        f"{path}: {_WARNINGS[reason['reason']]}"
        for reason in reasons
        if reason["reason"] in _WARNINGS
        for path in reason["paths"]
    ]


def _found_provenance(found: Found, methods: Mapping[int, str]) -> dict[str, Any]:
    return {
        "page": found.page,
        "bbox": list(found.bbox) if found.bbox else None,
        "method": methods.get(found.page, "plain"),
        "confidence": None,
        "from": found.origin,
    }
