"""Saved web page excerpts (issue 8, class 2): the article's own markup and nothing else.

Users save the article part of a government page, or paste a Word export: no <html>/<body>,
the title outside the file, cells padded with `&nbsp;`, headers split into `<p>`s, one
`<span>` per character, Word's `<o:p>` and `<![if ...]>` artefacts, empty spacer columns,
labels merged down over two rows.  Each case is rendered here from a devset truth; no value
may differ from the truth, and since every cell is printed in a recoverable place, every
value must come out.  The title is not in the file, so agency and year may be null (the
signature block and statistics period name them), but never wrong.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from paths import DEVSET

from bench.render import C, Table, report_blocks, title_lines
from schemas.scoring import score
from worker.pipeline import process_file

TRUTHS = ("dev-03", "dev-04")  # 2019 edition, 2021 edition (with three all-blank rows)
_PADS = ("&nbsp;", "&#160;", "\u3000", "&nbsp;&nbsp;")


def _truth(name: str) -> dict[str, Any]:
    return json.loads((DEVSET / f"{name}.truth.json").read_text(encoding="utf-8"))


def _is_number(text: str) -> bool:
    return text.replace(".", "", 1).lstrip("-").isdigit()


def _body(truth: dict[str, Any]) -> list[str | Table]:
    """The report without its title line: the excerpt starts at the article's text."""
    return report_blocks(truth, yuan=False)[len(title_lines(truth)) :]


# ---------------------------------------------------------------- TRS editor article


def _trs_cell(cell: C, index: int, pretty: bool) -> str:
    """Cells as TRS editors save them: every cell's text in <p>s of <span>s, padded.
    `pretty`: the CMS indented its markup, one <span> per line, and hid a copy of each
    number (`display:none`) beside it."""
    pad = _PADS[index % len(_PADS)]
    text = cell.text
    if not text:
        inner = f"<p>{pad}</p>"  # an empty-looking cell: a blank cell, not a missing one
    elif _is_number(text):
        glue = "\n        " if pretty else ""
        spans = glue.join(f'<span style="font-family: 仿宋_GB2312">{char}</span>' for char in text)
        hidden = f'<span style="display: none">{text}</span>' if pretty else ""
        inner = f'<p align="center">{pad}{spans}{pad}{hidden}</p>'
    elif len(text) <= 8:  # a header cell: 社会/公益/组织, 申请人/情况
        inner = "".join(f"<p>{html.escape(text[i : i + 2])}</p>" for i in range(0, len(text), 2))
    else:  # a label wrapped by hand
        middle = len(text) // 2
        inner = f"<p>{html.escape(text[:middle])}<br />{html.escape(text[middle:])}</p>"
    span = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + (
        f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
    )
    return f'<td{span} style="border: 1px solid #000">{inner}</td>'


def _trs_table(table: Table, pretty: bool) -> str:
    """`pretty` also opens every row with an empty zero-width spacer cell."""
    spacer = '<td width="0" style="padding: 0"></td>' if pretty else ""
    rows = [
        f"<tr>{spacer}"
        + "".join(_trs_cell(cell, i + j, pretty) for j, cell in enumerate(row))
        + "</tr>"
        for i, row in enumerate(table)
    ]
    return (
        '<div style="overflow-x: auto"><table cellspacing="0" cellpadding="0" border="1">'
        '<colgroup><col width="120" /><col span="7" width="60" /></colgroup><tbody>'
        + "\n".join(rows)
        + "</tbody></table></div>"
    )


def trs_excerpt(truth: dict[str, Any], start: str) -> str:
    """The site's <div class=TRS_Editor> alone; `start` is what the file opens with."""
    body = []
    for block in _body(truth):
        if isinstance(block, str):
            body.append(f'<p style="text-indent: 2em">&nbsp;{html.escape(block)}</p>')
        else:
            body.append(_trs_table(block, pretty=start == "pretty"))
    style = '<style type="text/css">.TRS_Editor P{margin-top:0;font-size:12pt;}</style>'
    article = (
        '<div class="TRS_Editor">' + style + '<div class="Custom_UnionStyle">'
        + "\n".join(body) + "</div></div>"
    )  # fmt: skip
    if start == "style":
        return style + "\n" + article.replace(style, "")
    if start == "p":
        return "<p>&nbsp;</p>\n" + article
    if start == "text":  # copied with the line above the article
        return "发布时间：2023-01-18　来源：本机关\n" + article
    return article


# ---------------------------------------------------------------- MS Word export

_TD_STYLE = "style='border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'"
_SPAN = "<span lang=EN-US style='font-size:10.5pt;font-family:\"Times New Roman\",serif'>"
_SPACER = "<td style='border:none;padding:0cm 0cm 0cm 0cm' width=0><p class='MsoNormal'>&nbsp;</td>"


def _word_cell(cell: C, rowspan: int = 1) -> str:
    if cell.text:
        lines = html.escape(cell.text)
        if len(cell.text) > 12:
            lines = f"{lines[:10]}<br>\n{lines[10:]}"
        inner = f"{_SPAN}{lines}<o:p></o:p></span>"
    else:
        inner = f"{_SPAN}<o:p>&nbsp;</o:p></span>"
    rows = max(rowspan, cell.rowspan)
    span = (f" colspan={cell.colspan}" if cell.colspan > 1 else "") + (
        f" rowspan={rows}" if rows > 1 else ""
    )
    return (
        f"<td width=64{span} valign=top {_TD_STYLE}>\n"
        f"<p class=MsoNormal align=center style='text-align:center'>{inner}</p>\n</td>"
    )


def _word_table(table: Table, lower: bool) -> str:
    """Word's export: a row whose long label Word split over two grid rows is two <tr>s
    under the label merged down (rowspan=2): either the values merged down too, the second
    <tr> holding only the spacer cell Word adds to rows of misaligned height, or (`lower`)
    the values in the second <tr> below blank cells.  A spacer row closes the table."""
    width = sum(cell.colspan for cell in table[0])
    rows = []
    for row in table:
        tall = any(len(cell.text) > 20 for cell in row) and _is_number(row[-1].text or "0")
        if tall and lower:
            labels = [cell for cell in row if not _is_number(cell.text or "0")]
            values = row[len(labels) :]
            first = [_word_cell(cell, 2) for cell in labels] + [_word_cell(C("")) for _ in values]
            rows.append(f"<tr>{''.join(first)}{_SPACER}</tr>")
            rows.append(f"<tr>{''.join(_word_cell(cell) for cell in values)}{_SPACER}</tr>")
            continue
        cells = "".join(_word_cell(cell, 2 if tall else 1) for cell in row)
        rows.append(f"<tr style='height:20.0pt'>\n{cells}\n{_SPACER}</tr>")
        if tall:
            rows.append(f"<tr style='height:20.0pt'>{_SPACER}</tr>")
    spacer_row = "".join("<td width=64 style='border:none'></td>" for _ in range(width))
    rows.append(f"<![if !supportMisalignedColumns]>\n<tr height=0>{spacer_row}</tr>\n<![endif]>")
    return (
        "<div align=center><table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 "
        "style='border-collapse:collapse'>\n" + "\n".join(rows) + "\n</table></div>"
    )


def word_excerpt(truth: dict[str, Any], start: str) -> str:
    body = []
    for block in _body(truth):
        if isinstance(block, str):
            body.append(
                f"<p class=MsoNormal style='text-indent:21.0pt'>{_SPAN}"
                f"{html.escape(block)}<o:p></o:p></span></p>"
            )
        else:
            body.append(_word_table(block, lower=start == "lower"))
    section = "<div class=WordSection1 style='layout-grid:15.6pt'>\n" + "\n".join(body) + "</div>"
    if start == "p":
        return "<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>\n" + section
    return section


# ---------------------------------------------------------------- the tests

Render = Callable[[dict[str, Any], str], str]
CASES: list[tuple[str, Render, str]] = [
    ("trs-div", trs_excerpt, "div"),
    ("trs-style", trs_excerpt, "style"),
    ("trs-p", trs_excerpt, "p"),
    ("trs-text", trs_excerpt, "text"),
    ("trs-pretty", trs_excerpt, "pretty"),
    ("word-div", word_excerpt, "div"),
    ("word-p", word_excerpt, "p"),
    ("word-lower", word_excerpt, "lower"),
]


def _wrong(report: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    return [
        f"  {m.path}: truth {m.expected!r}, got {m.got!r}"
        for m in score(report, truth).mismatches
        if "/" in m.path and m.got is not None
    ]


@pytest.mark.parametrize("name", TRUTHS)
@pytest.mark.parametrize(("case", "render", "start"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_excerpt_values_are_the_truth(
    tmp_path: Path, name: str, case: str, render: Render, start: str, encoding: str
) -> None:
    truth = _truth(name)
    path = tmp_path / f"{name}-{case}.html"
    path.write_bytes(render(truth, start).encode(encoding))

    report = process_file(path)

    assert report["source"]["method"] == "plain"
    wrong = _wrong(report, truth)
    assert not wrong, "values differ from the truth:\n" + "\n".join(wrong)
    result = score(report, truth)
    missing = [m.path for m in result.mismatches if "/" in m.path]
    assert result.fields_right == result.fields_total, f"values lost: {missing}"
    assert report["edition"] == truth["edition"]
    assert report["agency"] in (None, truth["agency"])
    assert report["year"] in (None, truth["year"])


@pytest.mark.parametrize("name", TRUTHS)
def test_numbers_split_over_spans_never_shift_a_row(tmp_path: Path, name: str) -> None:
    """`<span>1</span> <span>24</span>`: 124, or 1 and 24?  The reader cannot tell, so the
    cell is blank (null, or forced by the rules); the row's other values stay in place."""
    truth = _truth(name)
    page = trs_excerpt(truth, "div")
    span = '<span style="font-family: 仿宋_GB2312">'
    first_digit = f"(?<!</span>)({re.escape(span)}\\d</span>)(?={re.escape(span)}\\d</span>{span})"
    page = re.sub(first_digit, r"\1 ", page)  # 124 as 1 and 24
    assert "</span> <span" in page
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")

    report = process_file(path)

    wrong = _wrong(report, truth)
    assert not wrong, "values differ from the truth:\n" + "\n".join(wrong)
