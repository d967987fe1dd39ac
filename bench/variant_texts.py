"""The text styles of the hard variants (bench/variants.py): converter markdown, a saved
page's excerpt, crawled text with the cells run together."""

from __future__ import annotations

import html
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from bench.render import (
    APPLICANT_HEADERS,
    APPLICANTS,
    CHECK_NOTE,
    OTHER_MATTERS,
    PROBLEMS,
    RESULTS,
    SECTION_HEADINGS,
    AppRow,
    Table,
    active_table,
    application_rows,
    applications_table,
    fmt,
    grid,
    overview,
    placed,
    reviews_table,
    title_lines,
)
from bench.variant_truths import Variant, variant_truth, with_negative_change

PLACEHOLDER: Final = ("类别", "数据1", "数据2", "数据3", "数据4", "数据5", "数据6", "总计")


def md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def md_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """A pipe table: the first row is the header, the `|---|` rule under it."""
    header, *body = rows
    return [md_row(header), "|" + "---|" * len(header), *(md_row(row) for row in body), ""]


def null_mark(rng: random.Random) -> str:
    """How this document prints a null cell: blank mostly, `/` (not applicable) sometimes."""
    return "/" if rng.random() < 0.3 else ""


def _row_values(apps: dict[str, Any], row: AppRow, blank: str) -> list[str]:
    return [fmt(apps[row.key].get(key), blank) for key in APPLICANTS]


def _pick_lost(rng: random.Random, count: int, allowed: Sequence[int]) -> set[int]:
    """Up to `count` rows of `allowed` that lose their label, none next to another: each
    still sits between labelled rows, so the order places it."""
    lost: set[int] = set()
    for index in rng.sample(list(allowed), len(allowed)):
        if len(lost) < count and not {index - 1, index + 1} & lost:
            lost.add(index)
    return lost


def md_split_applications(apps: dict[str, Any], rng: random.Random, blank: str) -> list[str]:
    """Section 三 as converters emit a table they failed to hold together."""
    rows = application_rows(apps)
    joined = rng.random() < 0.5  # converters often glue the merged group label to the row's
    cuts = sorted(rng.sample(range(3, len(rows) - 3), rng.choice((1, 2))))
    while len(cuts) == 2 and cuts[1] - cuts[0] < 3:
        cuts = cuts[:1]
    starts = [0, *cuts]
    inner = [i for i in range(1, len(rows) - 1) if all(abs(i - s) > 1 for s in starts)]
    lost = _pick_lost(rng, rng.randint(1, 3), inner)
    dropped = {index for index in lost if rng.random() < 0.5}  # the cell itself is gone

    def label(row: AppRow) -> str:
        return f"{row.group}{row.label}" if joined and row.group else row.label

    lines: list[str] = []
    if rng.random() < 0.5:
        lines += [CHECK_NOTE, ""]
    for number, (start, end) in enumerate(zip(starts, [*cuts, len(rows)], strict=True)):
        table: list[list[str]] = []
        first = rows[start]
        loose = number > 0 and rng.random() < 0.7
        if number == 0:
            if rng.random() < 0.6:
                table.append(list(PLACEHOLDER))
                if rng.random() < 0.5:
                    table.append(["申请人情况", *APPLICANT_HEADERS])
            else:
                table.append([CHECK_NOTE, *APPLICANT_HEADERS])
        else:
            if first.group and rows[start - 1].group != first.group and not joined:
                lines.append(first.group)  # the merged group cell, as a line of its own
            if loose:
                lines.append(label(first))
            lines.append("")
            if rng.random() < 0.5:
                table.append(list(PLACEHOLDER))
        for index in range(start, end):
            values = _row_values(apps, rows[index], blank)
            if index in dropped:
                table.append(values)
            elif index in lost or (index == start and loose):
                table.append(["", *values])
            else:
                table.append([label(rows[index]), *values])
        lines += md_table(table)
    return lines


def md_grid(table: Table, rng: random.Random) -> list[str]:
    return md_table(grid(table, None if rng.random() < 0.5 else ""))


def md_document(
    truth: dict[str, Any], rng: random.Random, applications: Callable[[str], list[str]]
) -> str:
    """The whole report in markdown; `applications(blank)` gives section 三's lines."""
    blank = null_mark(rng)
    edition = truth["edition"]
    one, two, three, four, five, six = SECTION_HEADINGS
    lines = [f"# {''.join(title_lines(truth))}", ""]
    lines += [f"## {one}", "", overview(truth["year"]), "", f"## {two}", ""]
    lines += md_grid(active_table(truth["active_disclosure"], edition, False, blank), rng)
    lines += [f"## {three}", "", *applications(blank), f"## {four}", ""]
    lines += md_grid(reviews_table(truth["reviews_and_lawsuits"], blank), rng)
    lines += [f"## {five}", "", PROBLEMS, "", f"## {six}", "", OTHER_MATTERS, ""]
    lines += [truth["agency"], "", f"{truth['year'] + 1}年1月20日", ""]
    return "\n".join(lines)


def md_split(truth: dict[str, Any], rng: random.Random) -> Variant:
    apps = truth["applications"]
    text = md_document(truth, rng, lambda blank: md_split_applications(apps, rng, blank))
    notes = "markdown as converters emit it: section 三 split into tables, labels lost"
    return Variant(".md", text.encode(), variant_truth(truth, "md-split", notes))


def md_headings_applications(apps: dict[str, Any], rng: random.Random, blank: str) -> list[str]:
    """Each row under its own heading, its seven numbers in a one-row table below."""
    named = rng.random() < 0.6  # else the numbers themselves are the table's header row
    lines: list[str] = []
    group = None
    for row in application_rows(apps):
        if row.key == "granted" and rng.random() < 0.5:
            lines += [f"### {RESULTS}", ""]
        label = row.label
        if row.group != group and row.group:
            if rng.random() < 0.5:
                lines += [f"### {row.group}", ""]
            else:
                label = f"{row.group}{row.label}"
        group = row.group
        values = _row_values(apps, row, blank)
        table = [list(APPLICANT_HEADERS), values] if named else [values]
        lines += [f"### {label}", "", *md_table(table)]
    return lines


def md_headings(truth: dict[str, Any], rng: random.Random) -> Variant:
    apps = truth["applications"]
    text = md_document(truth, rng, lambda blank: md_headings_applications(apps, rng, blank))
    notes = "markdown: each row of section 三 under its own heading, a one-row table below"
    return Variant(".md", text.encode(), variant_truth(truth, "md-headings", notes))


# ---------------------------------------------------------------- saved page excerpt


def _html_text(text: str, rng: random.Random) -> str:
    """A cell's content as site editors leave it: long labels broken over several <p>,
    numbers padded with &nbsp;, empty cells holding one."""
    if not text or text == "/":
        return f"<p>{text or '&nbsp;'}</p>"
    if text.lstrip("-").replace(".", "").isdigit():
        pad = rng.choice(("", "&nbsp;", "&nbsp;&nbsp;"))
        return f'<p align="center">{pad}{text}{pad if rng.random() < 0.5 else ""}</p>'
    pieces = [text]
    if len(text) > 5 and rng.random() < 0.6:
        cut = sorted(rng.sample(range(2, len(text) - 1), min(rng.choice((1, 2)), len(text) - 3)))
        pieces = [text[a:b] for a, b in zip([0, *cut], [*cut, len(text)], strict=True)]
    return "".join(f'<p align="center"><span>{html.escape(p)}</span></p>' for p in pieces)


def html_table(table: Table, rng: random.Random) -> str:
    rows: list[list[str]] = [[] for _ in table]
    for item in placed(table):
        cell = item.cell
        span = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + (
            f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
        )
        rows[item.row].append(f'<td{span} valign="center">{_html_text(cell.text, rng)}</td>')
    body = "\n".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    attributes = 'border="1" cellspacing="0" cellpadding="0" width="600"'
    return f"<table {attributes}><tbody>\n{body}\n</tbody></table>"


def period(year: int) -> str:
    return f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"


def html_excerpt(truth: dict[str, Any], rng: random.Random) -> Variant:
    """The article div of a saved page, with no title: agency and year only where the
    signature block, the contact line or the statistics period names them."""
    signature, contact = rng.choice(((True, False), (False, True), (True, True), (False, False)))
    dated = rng.random() < 0.75
    agency = truth["agency"] if signature or contact else None
    year = truth["year"] if dated else None
    blank = null_mark(rng)
    intro = "根据《中华人民共和国政府信息公开条例》规定，编制本报告。"
    if dated:
        intro += period(truth["year"])
    if contact:
        intro += f"如对本报告有任何疑问，请与{truth['agency']}联系（联系电话：0531-86061234）。"
    edition = truth["edition"]
    tables = {
        SECTION_HEADINGS[1]: active_table(truth["active_disclosure"], edition, False, blank),
        SECTION_HEADINGS[2]: applications_table(truth["applications"], blank),
        SECTION_HEADINGS[3]: reviews_table(truth["reviews_and_lawsuits"], blank),
    }
    prose = {
        SECTION_HEADINGS[0]: overview(year),
        SECTION_HEADINGS[4]: PROBLEMS,
        SECTION_HEADINGS[5]: OTHER_MATTERS,
    }
    parts = [
        '<div class=TRS_Editor><style type="text/css">.TRS_Editor P{margin-top:0;'
        "margin-bottom:12px;line-height:2;font-family:宋体;font-size:12pt;}</style>",
        '<div class="Custom_UnionStyle">',
        f'<p style="text-indent: 2em">{html.escape(intro)}</p>',
    ]
    for heading in SECTION_HEADINGS:
        parts.append(f'<p style="text-indent: 2em"><strong>{heading}</strong></p>')
        if heading in tables:
            parts.append(html_table(tables[heading], rng))
        else:
            parts.append(f'<p style="text-indent: 2em">{html.escape(prose[heading])}</p>')
    if signature:
        day = rng.randint(10, 28)
        for line in (truth["agency"], f"{truth['year'] + 1}年1月{day}日"):
            parts.append(f'<p style="text-align: right">{html.escape(line)}</p>')
    parts.append("</div></div>")
    kept = [what for what, on in (("signature", signature), ("contact", contact)) if on]
    notes = (
        f"TRS_Editor excerpt, no title; agency from {' and '.join(kept) or 'nowhere (null)'}"
        f", year {'from the statistics period' if dated else 'not stated (null)'}"
    )
    new_truth = variant_truth(truth, "html-excerpt", notes, agency=agency, year=year)
    return Variant(".html", "\n".join(parts).encode(), new_truth)


# ---------------------------------------------------------------- crawled text


def run_together(table: Table, rng: random.Random) -> str:
    """A table's cells in page order with no separators, as crawlers join <td> texts; now
    and then a space beside a label (never between two numbers)."""
    out = ""
    for item in placed(table):
        text = item.cell.text
        numeric = text.lstrip("-").replace(".", "").isdigit()
        if out and not numeric and rng.random() < 0.15:
            out += " "
        out += text
        if not numeric and text and rng.random() < 0.15:
            out += " "
    return out


def text_runtogether(truth: dict[str, Any], rng: random.Random) -> Variant:
    truth, made_negative = with_negative_change(truth, rng)
    blank = "/" if rng.random() < 0.2 else ""
    title = "".join(title_lines(truth))
    year, agency, edition = truth["year"], truth["agency"], truth["edition"]
    head = [
        f"标题: {title}",
        f"发布时间: {year + 1}-01-{rng.randint(10, 28)} 16:34",
        "文号: ",
        "发布机构: ",
        "栏目: 政府信息公开年报",
        f"原文链接: https://www.example.gov.cn/zwgk/zfxxgknb/{year + 1}01/t{year + 1}0120_8061.htm",
        "==================== 正文 ====================",
    ]
    one, two, three, four, five, six = SECTION_HEADINGS
    body = (
        f"当前位置： 首页政务公开政府信息公开年报 {title} 来源：{agency} 时间：{year + 1}-01-20 "
        "微信 微博 QQ空间 --> 根据《中华人民共和国政府信息公开条例》要求，编制本报告。"
        f"{period(year)}如对本报告有任何疑问，请与{agency}联系。"
        f"{one}{overview(year)}{two} "
        + run_together(active_table(truth["active_disclosure"], edition, False, blank), rng)
        + three
        + run_together(applications_table(truth["applications"], blank), rng)
        + f" {four} "
        + run_together(reviews_table(truth["reviews_and_lawsuits"], blank), rng)
        + f"{five}{PROBLEMS}{six}{OTHER_MATTERS} 附件下载"
    )
    notes = "crawled page text, table cells run together" + (
        f"; {made_negative}" if made_negative else ""
    )
    text = "\n".join([*head, body, ""])
    return Variant(".txt", text.encode(), variant_truth(truth, "text-runtogether", notes))
