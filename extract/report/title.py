"""Agency and year from the report's title.

Titles come on one line or two (`郑州市二七区市场监督管理局` / `2020年政府信息公开工作年度
报告`, or `2020年长海县人民政府` / `政府信息公开工作年度报告`), with spaces inside words,
behind web-page navigation or a `标题:` field, so the first few rows are searched in windows
of up to three joined rows.  A sentence that merely names a report (`做好2022年政府信息公开
工作年度报告编制发布工作`, as work plans and notices do) is not a title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.document import BBox, Document, Row
from extract.normalize import fold_radicals

_NAME_MAX = 100
"""Characters the title's pattern looks at beside the year (the agency's name is shorter):
bounded, so a long line without punctuation costs time in proportion to its length, not
its square."""
_PRECEDING = 3 * _NAME_MAX
_NOT_IN_NAME = r"(?:(?!报告)[^。；;:：>|｜，,、《》“”\"【】\[\]()（）])"
_TITLE = re.compile(
    rf"(?P<before>{_NOT_IN_NAME}{{0,{_NAME_MAX}}}?)(?P<year>(?:19|20)\d{{2}})年度?"
    rf"(?P<after>(?:(?!\d){_NOT_IN_NAME}){{0,{_NAME_MAX}}}?)政府信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报|报.)"
    r"(?!编制|编写|撰写|(?:发布|公布)(?!时间|日期|机构|单位)|报送|填报|审核|工作|有关|的通知|的说明|格式|"
    r"模板|要求|[。，,；;])"
)
# Words of a sentence about reports (a notice, a work plan), never of an agency's name.
_NOT_AGENCY = re.compile(r"做好|编制|编写|撰写|报送|按时|按要求|通知|要求|请于|请各|各单位|\d")
_NOISE = re.compile(r"^(?:#+|\*+|标题|关于)+|(?:\*+|关于|的)+$")
# Web-page breadcrumbs run into the title: the agency starts after the last of these.
_BREADCRUMB = re.compile(r".*(?:报告|年报|首页|当前位置|专栏|[:：>|｜]|\d{4}年度?)")
_SPACE = re.compile(r"\s+")
SEARCH_ROWS = 60


@dataclass(frozen=True, slots=True)
class Title:
    agency: str | None
    year: int | None
    page: int
    bbox: BBox | None = None


def find_title(document: Document) -> Title | None:
    """The first title-shaped text among the document's opening rows."""
    rows: list[tuple[str, int, Row]] = []
    for page in document.pages:
        for row in page.rows:
            rows.append((row_text(row), page.number, row))
            if len(rows) >= SEARCH_ROWS:
                break
        if len(rows) >= SEARCH_ROWS:
            break
    texts = [text for text, _, _ in rows]
    for start in range(len(rows)):
        for size in (1, 2, 3):
            found = _title_in(texts[start : start + size])
            if found is None:
                continue
            # A site banner or breadcrumb above a complete title is not part of the agency:
            # the fewest rows that still hold a title with an agency win.
            inner = (
                _title_in(texts[first : start + size])
                for first in range(start + size - 1, start, -1)
            )
            agency, year = next((rest for rest in inner if rest is not None and rest[0]), found)
            first_page = rows[start][1]
            lines = [row for _, number, row in rows[start : start + size] if number == first_page]
            return Title(agency, year, first_page, rows_box(lines))
    return None


def row_text(row: Row) -> str:
    """A row's text as names are compared: radicals folded, whitespace removed."""
    return _SPACE.sub("", fold_radicals(row.text))


def rows_box(rows: list[Row]) -> BBox | None:
    """The box around the rows' cells that have one."""
    boxes = [cell.bbox for row in rows for cell in row.cells if cell.bbox is not None]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _title_in(lines: list[str]) -> tuple[str | None, int] | None:
    """(agency, year) of a title held by these lines joined, if they hold one."""
    window = "".join(lines)
    match = _TITLE.search(window)
    if match is None:
        return None
    # The agency is cut from what precedes the year, navigation and all, but no further
    # back than a name and its breadcrumbs can reach: a long line costs no square.
    before = window[max(0, match.end("before") - _PRECEDING) : match.end("before")]
    name = _NOISE.sub("", _BREADCRUMB.sub("", before) or match["after"])
    if _NOT_AGENCY.search(name):
        return None
    return name or None, int(match["year"])
