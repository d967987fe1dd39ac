"""Who reported, and for which year: from the title, else from what the body itself says.

Excerpts (a web page's article body, a page cut from a PDF) often lack the title.  The
contract then names the body from the signature block at the end (`某某局` / `2024年1月
15日`) or the contact line (`请与某某办公室联系`), and the year from the statistics period
the report states (`统计期限自2023年1月1日起至2023年12月31日止`) and from nothing else: the
signature's date is when the report was signed, usually but not always the next year.
Each value keeps where it came from, so a reviewer can see how sure it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from extract.document import BBox, Document, Row
from extract.report.title import Title, find_title, row_text, rows_box
from extract.text_chars import HAN

Origin = Literal["title", "signature", "contact", "period"]  # signature, contact: agency only


@dataclass(frozen=True, slots=True)
class Found:
    """One identifying value, the page and box of the text it was read from, and how."""

    value: str | int
    page: int
    bbox: BBox | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class Identity:
    title: Title | None
    agency: Found | None
    year: Found | None
    agency_confirmed: bool = True
    """False for a name OCR read once only: one misread character files the report under
    another body, so a name read from a scan must be found again elsewhere in it."""


_AGENCY_END = (
    r"(?:人民政府|政府|委员会|管委会|委|办公厅|办公室|办事处|局|厅|署|院|所|中心|处|科|股|站|"
    r"队|馆|会|部|办|街道|镇|乡|公司|集团|区|县|市|州|盟|旗)"
)
_NAME = f"[{HAN}（）()·]"
_DATE = (
    r"(?:20\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|二[〇○零O]{1}[〇○零O一二三四五六七八九]{2}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)"
)
_SIGNATURE = re.compile(
    rf"(?:^|[。！？；;：:\s])(?P<agency>{_NAME}{{2,40}}?{_AGENCY_END})\s*{_DATE}\s*$"
)
_CONTACT = re.compile(rf"请(?:与|联系)(?P<agency>{_NAME}{{2,40}}?{_AGENCY_END})(?:联系|咨询)")
_PERIOD = re.compile(
    r"(?P<year>20\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|－|-|~|～)\s*"
    r"(?:(?P<end>20\d{2})\s*年\s*)?12\s*月\s*31\s*日"
)
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,3}\s*(?:页)?[-—–\s]*$")
TAIL_ROWS = 8


def identify(document: Document) -> Identity:
    """Agency and year, each from the title where it gives them, else from the body."""
    title = find_title(document)
    rows = [(page.number, row) for page in document.pages for row in page.rows]
    agency = year = None
    if title is not None:
        if title.agency:
            agency = Found(title.agency, title.page, title.bbox, "title")
        if title.year is not None:
            year = Found(title.year, title.page, title.bbox, "title")
    if agency is None:
        agency = _signature(rows) or _contact(rows)
    if year is None:
        year = _period(rows)
    return Identity(title, agency, year, _confirmed(document, rows, agency))


def _confirmed(document: Document, rows: list[tuple[int, Row]], agency: Found | None) -> bool:
    """Whether a name read by OCR is printed again in another row of the document (the
    opening sentence, the signature, the contact line usually repeat it)."""
    methods = {page.number: page.method for page in document.pages}
    if agency is None or methods.get(agency.page) != "ocr":
        return True
    name = str(agency.value)
    return sum(name in row_text(row) for _, row in rows) >= 2


def _signature(rows: list[tuple[int, Row]]) -> Found | None:
    """The body signed above the date at the end: the last prose rows, page numbers left out."""
    tail = [
        (page, row)
        for page, row in rows
        if row.table is None and not _PAGE_NUMBER.match(row.text) and row.text.strip()
    ][-TAIL_ROWS:]
    if not tail:
        return None
    joined = "\n".join(row_text(row) for _, row in tail)
    match = _SIGNATURE.search(joined)
    if match is None:
        return None
    page, row = _row_at(tail, joined, match.start("agency"))
    return Found(match["agency"], page, rows_box([row]), "signature")


def _row_at(tail: list[tuple[int, Row]], joined: str, position: int) -> tuple[int, Row]:
    """The row of `tail` that holds character `position` of the rows joined by newlines."""
    line = joined.count("\n", 0, position)
    return tail[line]


def _contact(rows: list[tuple[int, Row]]) -> Found | None:
    for page, row in rows:
        match = _CONTACT.search(row_text(row))
        if match:
            return Found(match["agency"], page, rows_box([row]), "contact")
    return None


def _period(rows: list[tuple[int, Row]]) -> Found | None:
    """The statistics period's year, where it starts and ends in the same year."""
    for page, row in rows:
        for match in _PERIOD.finditer(row_text(row)):
            if match["end"] is None or match["end"] == match["year"]:
                return Found(int(match["year"]), page, rows_box([row]), "period")
    return None
