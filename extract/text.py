"""Reader for already-extracted text (.txt, .md): one page of rows, no geometry.

Report texts arrive from crawlers and converters in a few shapes, all seen in the seeds:
tab-separated table rows (a blank cell between two tabs is a real blank cell, so it is kept),
markdown pipe tables, layout text whose columns are runs of spaces, and web-page copies where
every table cell sits on its own line after a tab with a blank line between table rows.
Markdown decoration (headings, bold, bullets, <b>/<br> tags) is not content and is dropped.
Prose text is otherwise kept as written: a crawled page whose whole body is one line stays one
row, because only the report parser knows where its run-together cells split.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from extract.document import Cell, Document, Page, Row
from extract.errors import UnsupportedInput
from extract.normalize import decode_text, normalize_space

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")  # not \t \n \v \f \r, not ^Z (EOF)
_MAX_CONTROL_SHARE = 0.01

_INLINE_MARKUP = re.compile(r"\*\*|</?(?:b|strong)\s*>|<br\s*/?>", re.IGNORECASE)
_LEADING_MARKUP = re.compile(r"^[ \u3000]*(?:#+|[-*+](?=[ \u3000]))[ \u3000]*")
_WIDE_GAP = re.compile(r"[ \xa0]{2,}")
_PIPE = re.compile(r"(?<!\\)\|")
_PIPE_RULE = re.compile(r":?-+:?")
_RULE = re.compile(r"-{3,}")


def decode_plain(data: bytes) -> str | None:
    """The text of `data` when it is plausibly a text file; None for binary or undecodable bytes.

    Shared with the dispatcher so that "is this text?" has one answer everywhere.
    """
    text = decode_text(data)
    if text is None or "\x00" in text:
        return None
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        return None
    return text


def read_text(path: Path, sha256: str) -> Document:
    """Read a UTF-8 (with or without BOM) or GB18030 text file into a Document.

    Text extracted from PDFs marks page breaks with form feeds; each becomes a page, so the
    page numbers printed at page ends can be told from table values.
    """
    text = decode_plain(path.read_bytes())
    if text is None:
        raise UnsupportedInput("not a text file (binary content, or neither UTF-8 nor GB18030)")
    chunks = text.rstrip("\f\n").split("\f")
    rows = [text_rows(chunk) for chunk in chunks]
    if len(rows) > 1:
        rows = [_without_page_number(page_rows) for page_rows in rows]
    pages = [
        Page(number=number, rows=page_rows, method="plain")
        for number, page_rows in enumerate(rows, start=1)
    ]
    return Document(filename=path.name, sha256=sha256, pages=pages)


_PAGE_NUMBER = re.compile(r"^\s*[-—–]?\s*\d{1,3}\s*[-—–]?\s*$")


def _without_page_number(rows: list[Row]) -> list[Row]:
    """Drop a page's last row when it is only a page number ("3", "- 3 -")."""
    if rows and len(rows[-1].cells) == 1 and _PAGE_NUMBER.match(rows[-1].cells[0].text):
        return rows[:-1]
    return rows


def text_rows(text: str) -> list[Row]:
    """Rows of a text: one per non-empty line, or one per cell-per-line block.

    Consecutive rows of two or more cells share a `table` number; a prose row in between
    starts a new table.  Blank lines do not, since texts put them between table rows.
    """
    cell_rows: list[list[str]] = []
    for is_blank, group in itertools.groupby(text.splitlines(), key=_is_blank):
        if is_blank:
            continue
        block = list(group)
        # A heading may sit directly above the first cell line, with no blank line between.
        lead = next((i for i, line in enumerate(block) if line.startswith("\t")), len(block))
        lines, cells_block = block[:lead], block[lead:]
        if not _is_cell_per_line(cells_block):
            lines, cells_block = block, []
        cell_rows.extend(cells for cells in map(_line_cells, lines) if cells)
        if cells_block:
            cell_rows.append(_cell_per_line_row(cells_block))

    rows: list[Row] = []
    table = -1
    for cells in cell_rows:
        if not any(cells):
            continue
        if len(cells) < 2:
            rows.append(Row([Cell(cells[0])]))
            continue
        if not rows or rows[-1].table is None:
            table += 1
        rows.append(Row([Cell(text) for text in cells], table=table))
    return rows


def _is_blank(line: str) -> bool:
    """A line with nothing at all; a line of tabs still holds (blank) cells."""
    return not line.strip(" \u3000\xa0")


def _is_cell_per_line(block: list[str]) -> bool:
    """Web-page copies put each table cell on its own line after one tab.

    A cell may wrap onto following lines without the tab (社会 / 公益 / 组织); the block is
    one table row.  Two tab-led lines at least, so a lone indented line stays a line.
    """
    return (
        bool(block)
        and block[0].startswith("\t")
        and sum(line.startswith("\t") for line in block) >= 2
        and all("\t" not in line[1:] for line in block)
    )


def _cell_per_line_row(block: list[str]) -> list[str]:
    cells: list[list[str]] = []
    for line in block:
        if line.startswith("\t"):
            cells.append([line[1:]])
        else:
            cells[-1].append(line)
    return [normalize_space(_INLINE_MARKUP.sub("", "\n".join(parts))) for parts in cells]


def _line_cells(line: str) -> list[str] | None:
    """Split one line into cells: tabs, else markdown pipes, else runs of 2+ spaces.

    Returns None for lines that carry no content (markdown table rules, `---`).
    """
    line = _INLINE_MARKUP.sub("", line)
    if "\t" in line:
        cells = [cell.strip() for cell in line.split("\t")]
        return None if _is_rule(cells, _RULE) else cells
    line = _LEADING_MARKUP.sub("", line.strip())
    if line.startswith("|"):
        cells = pipe_cells(line)
        return None if _is_rule(cells, _PIPE_RULE) else cells
    cells = _WIDE_GAP.split(line)
    return None if _is_rule(cells, _RULE) else cells


def pipe_cells(line: str) -> list[str]:
    """The cells of a markdown pipe-table line, stripped, escaped pipes (`\\|`) unescaped.

    Leading and trailing pipes are optional, as in GitHub's tables.
    """
    line = line.strip()
    inner = line[1:] if line.startswith("|") else line
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [cell.replace("\\|", "|").strip() for cell in _PIPE.split(inner)]


def _is_rule(cells: list[str], rule: re.Pattern[str]) -> bool:
    """A separator line: every cell blank or a rule, at least one rule."""
    return any(cells) and all(not cell or rule.fullmatch(cell) for cell in cells)
