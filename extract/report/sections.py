"""The prose of sections 一, 五 and 六, for readers of the JSON who want the words too."""

from __future__ import annotations

import re
from collections.abc import Sequence

from extract.report.tokens import Token

PROSE_SECTIONS = {1: "overview", 5: "problems_and_improvements", 6: "other_matters"}
_HEADING = re.compile(
    r"^[一五六][、.．]\s*[^。，,；;：:（(]{0,30}?"
    r"(?:问题及(?:其)?(?:改进|整改)(?:情况|措施)|情况|措施|事项|概述|问题)\s*"
)


def read_sections(tokens: Sequence[Token]) -> dict[str, str]:
    """Each prose section's text, paragraphs as they were rows, its heading dropped."""
    lines: dict[int, list[str]] = {number: [] for number in PROSE_SECTIONS}
    last_row: dict[int, int] = {}
    for token in tokens:
        if token.section not in lines or token.kind != "text":
            continue
        parts = lines[token.section]
        if parts and last_row.get(token.section) == token.row:
            parts[-1] += token.text
        else:
            parts.append(token.text)
        last_row[token.section] = token.row
    return {
        name: _HEADING.sub("", "\n".join(lines[number])).strip()
        for number, name in PROSE_SECTIONS.items()
    }
