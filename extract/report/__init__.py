"""The report parser: a Document (from any reader) → the contract JSON of one report.

The parser knows nothing of PDFs or OCR: it reads the token stream of `tokens`, finds the
title, the three tables and the prose, then lets the report's own arithmetic fill the cells
it forces and reports every consistency rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from extract.document import Document
from extract.errors import NotAReport
from extract.report.sections import read_sections
from extract.report.tables import (
    TableRead,
    detect_edition,
    read_active,
    read_applications,
    read_reviews,
)
from extract.report.title import Title, find_title
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
    """The contract JSON for one report (not yet schema-validated)."""
    tokens = tokenize(document)
    title = find_title(document)
    present = {token.section for token in tokens}

    def section(number: int) -> list[Token]:
        wanted = number if number in present else 0
        return [token for token in tokens if token.section == wanted]

    applications, reviews_row = read_applications(section(3))
    reviews = read_reviews(_review_tokens(tokens, present, reviews_row))
    edition = _edition(section(2), applications, title)
    active = read_active(section(2), edition)

    if not (applications.cells or reviews.cells or active.cells):
        if title is None:
            raise NotAReport(
                "not a government information-disclosure annual report "
                "(no report title and none of its tables found)"
            )
        if _is_pre_2019(title, tokens):
            return _report(document, title, "pre2019", [], tokens)
    elif title is not None and title.year is not None and title.year < 2019:
        return _report(document, title, "pre2019", [], tokens)
    return _report(document, title, edition, [active, applications, reviews], tokens)


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


def _edition(active_tokens: Sequence[Token], applications: TableRead, title: Title | None) -> str:
    """From the 主动公开 table's headers; failing that, the 其他处理 rows; then the year."""
    found = detect_edition(active_tokens)
    if found:
        return found
    if any(row in applications.cells for row in OTHER_ROWS_2021):
        return "2021"
    if "other_processing" in applications.cells:
        return "2019"
    if title is not None and title.year is not None and title.year < 2021:
        return "2019"
    return "2021"


def _is_pre_2019(title: Title, tokens: Sequence[Token]) -> bool:
    if title.year is not None and title.year < 2019:
        return True
    return any(token.kind == "text" and _PRE_2019_MARKERS.search(token.text) for token in tokens)


def _report(
    document: Document,
    title: Title | None,
    edition: str,
    tables: Sequence[TableRead],
    tokens: Sequence[Token],
) -> dict[str, Any]:
    active, applications, reviews = tables if tables else (TableRead(),) * 3
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "agency": title.agency if title else None,
        "year": title.year if title else None,
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
    report["inferred"] = resolved + (infer_forced(report) if tables else [])
    report["checks"] = check_rules(report)
    for table in tables:
        for path, token in table.sources.items():
            report["provenance"][path] = {
                "page": token.page,
                "bbox": list(token.bbox) if token.bbox else None,
                "method": token.method,
                "confidence": token.confidence,
            }
        for path in table.undecided:
            if _cell(report, path) is None:
                report["warnings"].append(
                    f"{path}: the printed values fit this cell in more than one way; left null"
                )
    return report


def _cell(report: dict[str, Any], path: str) -> Any:
    section, row, column = path.split("/")
    return report[section].get(row, {}).get(column)
