"""Flatten a Document into one stream of tokens, each tagged with its report section.

Whatever the input (PDF table rows, OCR cells, tab-separated text, one crawled line holding
the whole report), the parser reads the same thing: text, values and blank cells in reading
order, with the page and box they came from.  Section headings (一、总体情况 … 六、其他需要
报告的事项) can sit anywhere, even mid-line, so text is split at them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from extract.document import BBox, Document
from extract.report.numbers import Value, embedded_values, normalize, parse_value

TokenKind = Literal["text", "value", "blank"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    page: int
    row: int  # index of the physical row in the document, to tell rows apart
    method: str
    bbox: BBox | None = None
    value: Value | None = None
    confidence: float | None = None
    section: int = 0  # 0 before the first heading, then 1..6
    alternatives: tuple[Value, ...] = ()  # OCR's other readings of the cell (numbers only)

    @property
    def x_center(self) -> float | None:
        return None if self.bbox is None else (self.bbox[0] + self.bbox[2]) / 2


# Headings must carry their numeral: the opening paragraph of many reports lists every
# section's name in one sentence, and that sentence is not a heading.
_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"一[、.．]\s*(?:总体情况|概述|总体|基本情况)")),
    (2, re.compile(r"二[、.．]\s*(?:\S{0,4})主动公开")),
    (3, re.compile(r"三[、.．]\s*\S{0,8}收到和处理|三[、.．]\s*\S{0,4}依申请公开")),
    (4, re.compile(r"四[、.．]\s*\S{0,16}(?:行政复议|行政诉讼)")),
    (5, re.compile(r"五[、.．]\s*\S{0,16}(?:问题|改进|不足)")),
    (6, re.compile(r"六[、.．]\s*\S{0,4}其他")),
)
# A page number in running text ("- 3 -", "第3页"); PDF prose rows drop bare numbers anyway.
_PAGE_NUMBER = re.compile(r"^\s*[-—–]\s*\d{1,3}\s*[-—–]\s*$|^\s*第\s*\d+\s*页")


def tokenize(document: Document) -> list[Token]:
    """The document as tokens in reading order, with section numbers assigned."""
    tokens: list[Token] = []
    row_index = 0
    for page in document.pages:
        plain = page.method == "plain"
        for row in page.rows:
            row_index += 1
            in_table = row.table is not None
            for cell in row.cells:
                base: dict[str, Any] = dict(
                    page=page.number,
                    row=row_index,
                    method=page.method,
                    bbox=cell.bbox,
                    confidence=cell.confidence,
                    alternatives=_readings(cell.alternatives),
                )
                if not cell.text.strip():
                    if in_table:
                        tokens.append(Token("blank", "", **base))
                    continue
                value = parse_value(cell.text)
                if value is not None:
                    if in_table or plain:
                        tokens.append(Token("value", value.text, value=value, **base))
                    continue
                tokens.extend(
                    _split_text(normalize(cell.text), numbers=in_table or plain, base=base)
                )
    return _assign_sections(tokens)


def _readings(alternatives: tuple[str, ...]) -> tuple[Value, ...]:
    """The alternatives that read as numbers."""
    values = (parse_value(text) for text in alternatives)
    return tuple(value for value in values if value is not None and value.number is not None)


def _split_text(text: str, numbers: bool, base: dict[str, Any]) -> list[Token]:
    """Text with the values run into it split out (only where the text may carry values)."""
    if _PAGE_NUMBER.match(text):
        return []
    if not numbers:
        return [Token("text", text, **base)]
    pieces: list[Token] = []
    position = 0
    for start, end, value in embedded_values(text):
        if text[position:start].strip():
            pieces.append(Token("text", text[position:start], **base))
        pieces.append(Token("value", value.text, value=value, **base))
        position = end
    if text[position:].strip():
        pieces.append(Token("text", text[position:], **base))
    return pieces


def _assign_sections(tokens: list[Token]) -> list[Token]:
    """Tag every token with its section; sections only move forward."""
    result: list[Token] = []
    section = 0
    for token in tokens:
        if token.kind != "text":
            result.append(replace(token, section=section))
            continue
        for text, heading in _split_at_headings(token.text, section):
            if heading is not None:
                section = heading
            result.append(replace(token, text=text, section=section))
    return result


def _split_at_headings(text: str, section: int) -> list[tuple[str, int | None]]:
    """Cut text where a later section's heading starts; each piece with its new section."""
    cuts: list[tuple[int, int]] = []
    current = section
    for start, number in _headings_in(text):
        if number > current:
            cuts.append((start, number))
            current = number
    if not cuts:
        return [(text, None)]
    pieces: list[tuple[str, int | None]] = []
    if cuts[0][0] > 0:
        pieces.append((text[: cuts[0][0]], None))
    for i, (start, number) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        pieces.append((text[start:end], number))
    return pieces


LIST_GAP = 45  # characters between headings named one after another in a sentence
_SENTENCE_END = "。！？!? "


def _headings_in(text: str) -> list[tuple[int, int]]:
    """(position, section) of every heading in the text, in order, leaving out headings
    named in a list ("本报告由一、总体情况；二、主动公开…；三、…组成"): three or more
    within a few characters of each other are a sentence, not the report's headings."""
    found = sorted(
        (match.start(), number) for number, pattern in _HEADINGS for match in pattern.finditer(text)
    )
    kept: list[tuple[int, int]] = []
    cluster: list[tuple[int, int]] = []
    for heading in [*found, (len(text) + LIST_GAP, 0)]:
        if cluster and heading[0] - cluster[-1][0] >= LIST_GAP:
            if not _is_list(text, cluster):
                kept.extend(cluster)
            cluster = []
        cluster.append(heading)
    return kept


def _is_list(text: str, cluster: list[tuple[int, int]]) -> bool:
    """Three or more headings close together, not each after the end of a sentence."""
    return len(cluster) >= 3 and not all(
        start == 0 or text[start - 1] in _SENTENCE_END for start, _ in cluster[1:]
    )
