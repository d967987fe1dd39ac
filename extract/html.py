"""Reader for saved web pages (.html/.htm), with the standard library's html.parser only.

Many reports are published as web pages rather than files.  The page is parsed into a light
element tree first (so a table can be judged as a whole), then walked in document order:
prose text becomes one-cell rows ended by block elements, and each <tr> of a data table
becomes a row with one cell per <td>/<th>.  A merged cell is one cell where it starts: colspan
is not repeated across columns and rowspan is not copied into the rows below, because a copy
would look like a second printed value to the parser.  A table that holds another table is
page layout, not data (old government sites wrap the whole article in one): its cells are
walked like the page around it, so the inner tables' rows land in place.

The tree is built under the markup limits: a page past GONGKAI_MAX_MARKUP_MB is not parsed,
and the parser stops at the element past GONGKAI_MAX_ELEMENTS (each costs a tree node and
may make a row) or nested deeper than GONGKAI_MAX_DEPTH (the walks below are recursive:
100,000 nested elements would end in a RecursionError).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from extract.document import Cell, Document, Page, Row
from extract.errors import LimitExceeded
from extract.normalize import decode_text, normalize_space
from extract.options import DEFAULTS, MEGABYTE, ReadOptions

_SKIPPED = frozenset({"script", "style", "head", "nav", "noscript", "template", "xml"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "div",
        "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "html", "li", "main", "ol", "p", "pre", "section", "table", "td",
        "th", "tr", "ul",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
# An opening tag implicitly closes an open element of these kinds (HTML's optional end tags),
# searching no further out than the nearest element of the boundary kinds.
_IMPLIED_END: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "td": (_CELLS, frozenset({"tr", "table"})),
    "th": (_CELLS, frozenset({"tr", "table"})),
    "tr": (frozenset({"tr"}), frozenset({"table"})),
    "thead": (_SECTIONS | {"tr"}, frozenset({"table"})),
    "tbody": (_SECTIONS | {"tr"}, frozenset({"table"})),
    "tfoot": (_SECTIONS | {"tr"}, frozenset({"table"})),
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "table"})),
    "p": (frozenset({"p"}), frozenset({"td", "th", "table", "div", "li"})),
    "body": (frozenset({"head"}), frozenset()),
}
# What a browser does not show: `display:none`, and the `hidden` attribute.
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)
# A spacer cell Word and CMS editors add for layout: no width at all.
_ZERO_WIDTH = re.compile(r"(?:^|;)\s*width\s*:\s*0(?:\.0*)?[a-z]*\s*(?:;|$)", re.IGNORECASE)
# Layout whitespace between two inline elements (one <span> per character, indented): it
# is no part of a cell's number, so `<span>1</span>\n  <span>2</span>` reads 12.
_LAYOUT = "\x00"
_NUMBER = re.compile(r"[+\-－＋]?[\d０-９]+(?:[,，.．][\d０-９]+)*")
_NUMBER_PART = re.compile(r"[+\-－＋,，.．]|" + _NUMBER.pattern)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)


@dataclass(slots=True)
class _Element:
    tag: str
    children: list[_Element | str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def hidden(self) -> bool:
        return "hidden" in self.attrs or bool(_HIDDEN.search(self.attrs.get("style", "")))

    @property
    def zero_width(self) -> bool:
        width = self.attrs.get("width", "").strip()
        return width in ("0", "0px") or bool(_ZERO_WIDTH.search(self.attrs.get("style", "")))


class _TreeBuilder(HTMLParser):
    """Builds an element tree, closing the elements HTML lets authors leave open, and
    refusing more elements than `max_elements` or nesting deeper than `max_depth`."""

    def __init__(self, max_elements: int, max_depth: int) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root")
        self._open: list[_Element] = [self.root]
        self._max_elements = max_elements
        self._elements = 0
        self._max_depth = max_depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _IMPLIED_END:
            closes, boundary = _IMPLIED_END[tag]
            for depth in range(len(self._open) - 1, 0, -1):
                open_tag = self._open[depth].tag
                if open_tag in closes:
                    del self._open[depth:]
                    break
                if open_tag in boundary:
                    break
        self._elements += 1
        if self._elements > self._max_elements:
            raise LimitExceeded(
                f"the HTML has more than {self._max_elements} elements (GONGKAI_MAX_ELEMENTS)"
            )
        element = _Element(tag, attrs={name: value or "" for name, value in attrs})
        self._open[-1].children.append(element)
        if tag not in _VOID:
            self._open.append(element)
            if len(self._open) - 1 > self._max_depth:
                raise LimitExceeded(
                    f"the HTML nests elements deeper than {self._max_depth} levels "
                    "(GONGKAI_MAX_DEPTH)"
                )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._open[-1].tag == tag:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # browsers read a stray </br> as <br>
            self._open[-1].children.append(_Element("br"))
            return
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


class _RowWriter:
    """Walks the tree in document order and writes prose and table rows."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self._prose: list[str] = []
        self._tables = 0

    def walk(self, node: _Element | str) -> None:
        if isinstance(node, str):
            self._prose.append(node)
            return
        if node.tag in _SKIPPED or node.hidden:
            return
        if node.tag == "br":
            self._flush()
            return
        if node.tag == "table" and not _contains_table(node):
            self._flush()
            self._write_table(node)
            return
        if node.tag in _BLOCKS:
            self._flush()
        for child in node.children:
            self.walk(child)
        if node.tag in _BLOCKS:
            self._flush()

    def finish(self) -> list[Row]:
        self._flush()
        return self.rows

    def _flush(self) -> None:
        text = normalize_space("".join(self._prose))
        self._prose.clear()
        if text:
            self.rows.append(Row([Cell(text)]))

    def _write_table(self, table: _Element) -> None:
        index = self._tables
        for tr in _descendants(table, "tr"):
            cells = [Cell(text) for td in tr.children if (text := _cell_text(td)) is not None]
            if any(cell.text for cell in cells):
                self.rows.append(Row(cells, table=index))
                self._tables = index + 1


def read_html(path: Path, sha256: str, options: ReadOptions = DEFAULTS) -> Document:
    """Read a saved web page into a one-page Document of prose and table rows."""
    data = path.read_bytes()
    limit = options.max_markup_bytes
    if len(data) > limit:
        raise LimitExceeded(
            f"the web page is {len(data) / MEGABYTE:.1f} MB, over the {limit / MEGABYTE:g} MB "
            "limit (GONGKAI_MAX_MARKUP_MB)"
        )
    page = Page(number=1, rows=html_rows(_decode(data), options), method="plain")
    return Document(filename=path.name, sha256=sha256, pages=[page])


def html_rows(markup: str, options: ReadOptions = DEFAULTS) -> list[Row]:
    """The prose and table rows of HTML text: a whole page, or a fragment such as the
    `<table>` blocks markdown converters embed.  Tables are numbered from 0."""
    builder = _TreeBuilder(options.max_elements, options.max_depth)
    builder.feed(markup)
    builder.close()
    writer = _RowWriter()
    writer.walk(builder.root)
    return writer.finish()


def _decode(data: bytes) -> str:
    """BOM, then <meta charset> / http-equiv, then UTF-8, then GB18030.

    A page is still worth reading with a few bad bytes, so the last resort replaces them.
    """
    match = _META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii") if match else None
    text = decode_text(data, declared)
    return text if text is not None else data.decode("utf-8", errors="replace")


def _contains_table(node: _Element) -> bool:
    return any(True for _ in _descendants(node, "table"))


def _descendants(node: _Element, tag: str) -> Iterator[_Element]:
    """Elements named `tag` below `node`, not looking inside the matches."""
    for child in node.children:
        if isinstance(child, _Element):
            if child.tag == tag:
                yield child
            else:
                yield from _descendants(child, tag)


def _cell_text(node: _Element | str) -> str | None:
    """A cell's text ("" for a blank cell); None for what is no cell: a hidden one, or an
    empty zero-width spacer.  Line breaks and paragraphs inside a cell only separate words;
    a cell that reads as one number once layout whitespace is gone is that number."""
    if not isinstance(node, _Element) or node.tag not in _CELLS or node.hidden:
        return None
    parts: list[str] = []

    def collect(element: _Element) -> None:
        for child in element.children:
            if isinstance(child, str):
                parts.append(_LAYOUT if child.isspace() else child)
            elif child.tag not in _SKIPPED and not child.hidden:
                if child.tag == "br" or child.tag in _BLOCKS:
                    parts.append("\n")
                collect(child)

    collect(node)
    text = "".join(parts)
    number = _spaced_number(text)
    if number is not None:
        return number or None if node.zero_width else number
    text = normalize_space(text.replace(_LAYOUT, " "))
    return None if not text and node.zero_width else text


def _spaced_number(text: str) -> str | None:
    """A cell of numbers that markup keeps apart: the number it spells one character per
    element (`<span>1</span> <span>2</span>`), or "" when it cannot be told whether it holds
    one number or several (`<span>1</span> <span>24</span>`, `1<br>24`, `<p>1</p><p>2</p>`):
    a blank cell keeps the row's other cells in their columns, where two values would shift
    them.  None when the cell is not such a cell."""
    pieces = [normalize_space(piece) for piece in re.split(f"[{_LAYOUT}\n]", text)]
    pieces = [piece for piece in pieces if piece]
    if len(pieces) < 2 or not all(_NUMBER_PART.fullmatch(piece) for piece in pieces):
        return None
    number = normalize_space(text.replace(_LAYOUT, ""))
    if all(len(piece) == 1 for piece in pieces) and _NUMBER.fullmatch(number):
        return number
    return ""
