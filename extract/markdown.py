"""Reader for markdown (.md, and text that is mostly markdown tables): one page of rows.

PDF converters (docling, MinerU, marker) and chat tools write reports as markdown, and their
tables lose layout in a few known ways.  markdown-it-py finds the blocks (headings,
paragraphs, pipe tables, HTML); the rows are then repaired so the parser reads what the
printed table said:

- a table cut into several markdown tables (each with its `|---|` rule, its header row a
  data row or the real header repeated) is one table again: one table number, the repeated
  header dropped;
- placeholder header cells a converter invents (`数据1` … `数据6`, `列1`, `Column 1`, `类别`)
  are dropped, so their digits are never read as values;
- merged cells repeated into every position they cover (docling) are printed once: a label
  equal to the one above it or left of it, values repeated under one merged header;
- a row whose label was lost keeps an explicit blank label cell where the table's column
  count shows the label column is missing, and a loose line beside it (a wrapped label) is
  its label; where it cannot be told which column a number is in, the row keeps only its
  numbers and the parser leaves undecided cells null;
- a heading (`### （一）予以公开`) followed by a small table of numbers is one row;
- `<table>` blocks (MinerU) are read by the HTML reader.

Table cells are split from the source line rather than taken from markdown-it's table,
which pads short rows and cuts long ones to the header's width: that would move numbers.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from extract.document import Document, Page, Row
from extract.errors import UnsupportedInput
from extract.html import html_rows
from extract.markdown_rows import Grid, Heading, Item, Prose, Rows, write_rows
from extract.normalize import normalize_space
from extract.text import decode_plain, pipe_cells

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@cache
def _parser() -> MarkdownIt:
    """markdown-it-py, imported on first use: sniffing a text file or reading a PDF does
    not pay for it (about 50 ms)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def read_markdown(path: Path, sha256: str) -> Document:
    """Read a markdown file into a Document; form feeds, as in text files, end pages."""
    text = decode_plain(path.read_bytes())
    if text is None:
        raise UnsupportedInput("not a text file (binary content, or neither UTF-8 nor GB18030)")
    pages = [
        Page(number=number, rows=markdown_rows(chunk), method="plain")
        for number, chunk in enumerate(text.rstrip("\f\n").split("\f"), start=1)
    ]
    return Document(filename=path.name, sha256=sha256, pages=pages)


_TABLE_LINE = re.compile(r"^ {0,3}\|.*\|\s*$")
_RULE_LINE = re.compile(r"^ {0,3}\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_TAB_LINE = re.compile(r"\S\t+\S")
_HTML_TABLE = re.compile(r"<table\b", re.IGNORECASE)


def is_markdown(text: str) -> bool:
    """Text whose tables are markdown: pipe tables under a `|---|` rule, or `<table>` blocks
    among markdown headings, outnumbering tab-separated rows."""
    lines = text.splitlines()
    rules = sum(bool(_RULE_LINE.match(line)) for line in lines)
    pipes = sum(bool(_TABLE_LINE.match(line)) for line in lines) if rules else 0
    html_tables = len(_HTML_TABLE.findall(text))
    if html_tables and any(line.startswith("#") for line in lines):
        pipes += html_tables
    tabs = sum(bool(_TAB_LINE.search(line)) for line in lines)
    return pipes > 0 and pipes >= tabs


def markdown_rows(text: str) -> list[Row]:
    """The rows of one markdown text, tables numbered from 0."""
    return write_rows(_items(text))


# ---------------------------------------------------------------- blocks


def _items(text: str) -> list[Item]:
    lines = text.splitlines()
    tokens = _parser().parse(text)
    items: list[Item] = []
    skip_to = -1  # an HTML table runs over blank lines: the lines up to its end are read
    for index, token in enumerate(tokens):
        if token.map is not None and token.map[0] < skip_to:
            continue
        if token.type == "heading_open":
            items.append(Heading(_inline_text(tokens[index + 1])))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            items.extend(Prose(line) for line in _lines(_inline_text(token)))
        elif token.type == "table_open":
            items.append(Grid([], 0))
        elif token.type == "tr_open" and token.map is not None:
            cells = [_cell_text(cell) for cell in pipe_cells(lines[token.map[0]])]
            grid = items[-1]
            assert isinstance(grid, Grid)
            grid.rows.append(cells)
            grid.width = grid.width or len(cells)
        elif token.type == "html_block" and token.map is not None:
            end = _html_end(lines, token.map[0], token.map[1])
            skip_to = end
            items.append(Rows(html_rows("\n".join(lines[token.map[0] : end]))))
        elif token.type in ("fence", "code_block"):
            items.extend(Prose(line) for line in _lines(token.content))
    return items


def _html_end(lines: list[str], start: int, end: int) -> int:
    """Where an HTML block that opens a table ends: its block, or the line closing it."""
    depth = 0
    for number in range(start, len(lines)):
        line = lines[number].lower()
        depth += line.count("<table") - line.count("</table")
        if depth <= 0 and number + 1 >= end:
            return number + 1
    return len(lines)


def _inline_text(token: Token) -> str:
    """Plain text of an inline token: emphasis, escapes and entities resolved, `<br>` and
    line breaks as newlines, other inline HTML dropped."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or _BREAK.fullmatch(child.content.strip()):
            parts.append("\n")
    return "".join(parts)


def _cell_text(raw: str) -> str:
    tokens = _parser().parseInline(raw)
    return normalize_space(_inline_text(tokens[0])) if tokens else ""


def _lines(text: str) -> list[str]:
    return [line for line in (normalize_space(part) for part in text.split("\n")) if line]
