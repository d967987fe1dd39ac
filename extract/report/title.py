"""Agency and year from the report's title.

Titles come on one line or two (`郑州市二七区市场监督管理局` / `2020年政府信息公开工作年度
报告`, or `2020年长海县人民政府` / `政府信息公开工作年度报告`), with spaces inside words,
behind web-page navigation or a `标题:` field, so the first few rows are searched in windows
of up to three joined rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.document import Document
from extract.normalize import fold_radicals

_NOT_IN_NAME = r"(?:(?!报告)[^。；;:：>|｜，,、《》“”\"【】\[\]()（）])"
_TITLE = re.compile(
    rf"(?P<before>{_NOT_IN_NAME}*?)(?P<year>(?:19|20)\d{{2}})年度?"
    rf"(?P<after>(?:(?!\d){_NOT_IN_NAME})*?)政府信息公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报|报.)"
)
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


def find_title(document: Document) -> Title | None:
    """The first title-shaped text among the document's opening rows."""
    rows: list[tuple[str, int]] = []
    for page in document.pages:
        for row in page.rows:
            rows.append((_SPACE.sub("", fold_radicals(row.text)), page.number))
            if len(rows) >= SEARCH_ROWS:
                break
        if len(rows) >= SEARCH_ROWS:
            break
    texts = [text for text, _ in rows]
    for start in range(len(rows)):
        for size in (1, 2, 3):
            found = _title_in(texts[start : start + size])
            if found is None:
                continue
            # A site banner above a complete one-line title is not part of the agency.
            rest = _title_in(texts[start + 1 : start + size]) if size > 1 else None
            agency, year = rest if rest is not None and rest[0] else found
            return Title(agency, year, rows[start][1])
    return None


def _title_in(lines: list[str]) -> tuple[str | None, int] | None:
    """(agency, year) of a title held by these lines joined, if they hold one."""
    window = "".join(lines)
    match = _TITLE.search(window)
    if match is None:
        return None
    name = _BREADCRUMB.sub("", window[: match.end("before")]) or match["after"]
    return _NOISE.sub("", name) or None, int(match["year"])
