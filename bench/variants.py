"""Hard variants of the devset: the same truths printed in the forms that broke the parser.

    python bench/variants.py OUT_DIR [--sources DIR ...] [--styles STYLE ...] [--limit N]
                             [--seed S]

The devset reads 100 % right, yet reports laid out otherwise came out with wrong numbers.
For each source truth (`*.truth.json` with the three tables in full, agency and year known)
this writes `<name>.<style>.<ext>` and `<name>.<style>.truth.json` with `meta.style` set to
the style, so `bench/accuracy.py OUT_DIR` scores them per style.  A truth is adjusted only
where the variant removes information (no title → agency/year from the signature block or
the statistics period, else null; one page → the other sections `{}` as in the devset's
image cases).  Styles:

- md-split: converter markdown (docling, MinerU, marker, LLMs); section 三 cut into 2–3
  tables, a placeholder header `| 类别 | 数据1 | … | 总计 |`, labels as loose lines between
  tables, rows whose label cell is empty or gone (7 cells instead of 8);
- md-headings: every row of section 三 under its own heading, a one-row table below it;
- html-excerpt: only a site's `<div class=TRS_Editor>`: no title, `<p>`-split header cells,
  `&nbsp;` padding, a signature block and/or contact line, the statistics period sentence;
- text-runtogether: crawled page text with the table cells run together, signed 本年增/减;
- scan-split: an image-only PDF whose section 三 runs onto a second page, header not
  repeated, the template's check note in the top-left cell;
- image-table3: one PNG of section 三 alone (2021 edition with （六） in three rows).

The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.paper import Sheet, image_pdf, png, scan
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

SECTIONS: Final = ("active_disclosure", "applications", "reviews_and_lawsuits")
PLACEHOLDER: Final = ("类别", "数据1", "数据2", "数据3", "数据4", "数据5", "数据6", "总计")
DEFAULT_SOURCES: Final = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset"


@dataclass(frozen=True)
class Variant:
    """One input file's bytes and the truth it must read as."""

    suffix: str
    data: bytes
    truth: dict[str, Any]


Style = Callable[[dict[str, Any], random.Random], Variant | None]


# ---------------------------------------------------------------- truths


def eligible(truth: dict[str, Any]) -> bool:
    """A source must print everything a variant may keep: the three tables, agency, year."""
    return (
        all(truth.get(section) for section in SECTIONS)
        and bool(truth.get("agency"))
        and isinstance(truth.get("year"), int)
        and truth.get("edition") in ("2019", "2021")
    )


def variant_truth(
    truth: dict[str, Any],
    style: str,
    notes: str,
    *,
    drop: Sequence[str] = (),
    **top: Any,
) -> dict[str, Any]:
    """The source truth for a variant: sections in `drop` absent (`{}`), top-level keys
    replaced by `top`, `meta.style` the variant's, what it changed said in `meta.notes`."""
    result = copy.deepcopy(truth)
    meta = result.setdefault("meta", {})
    for section in drop:
        result[section] = {}
    result.update(top)
    kept = tuple(f"{section}/" for section in SECTIONS if section not in drop)
    inferable = meta.get("inferable") or {}
    if isinstance(inferable, dict):
        meta["inferable"] = {p: v for p, v in inferable.items() if p.startswith(kept)}
    else:
        meta["inferable"] = [p for p in inferable if p.startswith(kept)]
    meta["blank_cells"] = [p for p in meta.get("blank_cells") or () if p.startswith(kept)]
    meta["source_style"] = meta.get("style")
    meta["source_notes"] = meta.get("notes")  # about the source's layout, not this one's
    meta["style"] = style
    meta["notes"] = notes
    return result


def with_negative_change(
    truth: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None]:
    """A 2019-edition truth with at least one negative 本年增/减: the source's own when it has
    one, else one made negative here (said in the returned note)."""
    active = truth["active_disclosure"]
    rows = [key for key, row in active.items() if isinstance(row.get("change"), int | float)]
    if truth["edition"] != "2019" or not rows or any(active[k]["change"] < 0 for k in rows):
        return truth, None
    key = rng.choice(rows)
    changed = copy.deepcopy(truth)
    before = active[key]["change"]
    changed["active_disclosure"][key]["change"] = -abs(before) if before else -rng.randint(1, 20)
    after = changed["active_disclosure"][key]["change"]
    return changed, f"active_disclosure/{key}/change made negative ({before} → {after})"


# ---------------------------------------------------------------- markdown


def md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def md_table(rows: Sequence[Sequence[str]]) -> list[str]:
    """A pipe table: the first row is the header, the `|---|` rule under it."""
    header, *body = rows
    return [md_row(header), "|" + "---|" * len(header), *(md_row(row) for row in body), ""]


def _blank(rng: random.Random) -> str:
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
    blank = _blank(rng)
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
    blank = _blank(rng)
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


# ---------------------------------------------------------------- paper

APPLICATION_WIDTHS: Final = (42.0, 60.0, 138.0, *(275.0 / 7,) * 7)
ACTIVE_WIDTHS: Final = (155.0, 120.0, 120.0, 120.0)
REVIEW_WIDTHS: Final = (515.0 / 15,) * 15


def _scan_dpi_angle(rng: random.Random) -> tuple[int, float]:
    return rng.choice((200, 300)), round(rng.choice((-1, 1)) * rng.uniform(0.3, 1.0), 2)


def scan_split(truth: dict[str, Any], rng: random.Random) -> Variant:
    """A Word-like report printed and scanned; section 三 breaks onto the next page."""
    blank = _blank(rng)
    edition = truth["edition"]
    one, two, three, four, five, six = SECTION_HEADINGS
    applications = applications_table(truth["applications"], blank)
    header_rows = 3
    split = rng.randint(header_rows + 4, len(applications) - 4)

    sheet = Sheet()
    for line in title_lines(truth):
        sheet.paragraph(line, 16, "center")
    sheet.paragraph(
        f"根据《中华人民共和国政府信息公开条例》要求，编制本报告。{period(truth['year'])}"
    )
    sheet.paragraph(one, 12)
    sheet.paragraph(overview(truth["year"]))
    sheet.paragraph(two, 12)
    sheet.table(active_table(truth["active_disclosure"], edition, False, blank), ACTIVE_WIDTHS)
    sheet.paragraph(three, 12)
    sheet.table(applications, APPLICATION_WIDTHS, break_before={split})
    sheet.paragraph(four, 12)
    sheet.table(reviews_table(truth["reviews_and_lawsuits"], blank), REVIEW_WIDTHS, size=8)
    for text in (five, PROBLEMS, six, OTHER_MATTERS):
        sheet.paragraph(text, 12 if text in SECTION_HEADINGS else 10.5)
    sheet.paragraph(truth["agency"], align="right")
    sheet.paragraph(f"{truth['year'] + 1}年1月20日", align="right")

    dpi, angle = _scan_dpi_angle(rng)
    pages = scan(sheet.pdf(), dpi, angle, rng.randrange(2**32))
    notes = f"scan, section 三 breaks before its row {split - header_rows + 1}, header not repeated"
    new_truth = variant_truth(truth, "scan-split", notes)
    new_truth["meta"].update(dpi=dpi, rotation=angle)
    return Variant(".pdf", image_pdf(pages, dpi), new_truth)


def image_table3(truth: dict[str, Any], rng: random.Random) -> Variant | None:
    """A photo of the one page that holds section 三 (2021 edition sources only)."""
    apps = truth["applications"]
    if truth["edition"] != "2021" or "other_overdue_correction" not in apps:
        return None
    table = applications_table(apps, _blank(rng))

    def draw(height: float) -> Sheet:
        sheet = Sheet(margin=30, size=(595.0, height))
        sheet.paragraph(SECTION_HEADINGS[2], 12)
        sheet.table(table, APPLICATION_WIDTHS)
        return sheet

    height = draw(1400.0).top + 30  # measured on a tall page, then drawn to fit
    dpi, angle = rng.choice((200, 220, 250)), round(rng.uniform(-1.0, 1.0), 2)
    page = scan(draw(height).pdf(), dpi, angle, rng.randrange(2**32))[0]
    notes = "one page image: section 三 only; agency/year not visible"
    new_truth = variant_truth(
        truth,
        "image-table3",
        notes,
        drop=("active_disclosure", "reviews_and_lawsuits"),
        agency=None,
        year=None,
    )
    new_truth["meta"].update(dpi=dpi, rotation=angle, visible="section 三 only")
    return Variant(".png", png(page, dpi), new_truth)


STYLES: Final[dict[str, Style]] = {
    "md-split": md_split,
    "md-headings": md_headings,
    "html-excerpt": html_excerpt,
    "text-runtogether": text_runtogether,
    "scan-split": scan_split,
    "image-table3": image_table3,
}
TEXT_STYLES: Final = ("md-split", "md-headings", "html-excerpt", "text-runtogether")


# ---------------------------------------------------------------- writing


def source_truths(folders: Iterable[Path]) -> Iterator[Path]:
    """Every eligible `*.truth.json` under `folders`, in path order."""
    for folder in folders:
        for path in sorted(folder.rglob("*.truth.json")):
            if eligible(json.loads(path.read_text(encoding="utf-8"))):
                yield path


def write_variants(
    sources: Iterable[Path], out_dir: Path, styles: Sequence[str], seed: int = 0
) -> list[Path]:
    """Write each style of each source truth into `out_dir`; the input files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        name = source.name.removesuffix(".truth.json")
        truth = json.loads(source.read_text(encoding="utf-8"))
        for style in styles:
            variant = STYLES[style](truth, random.Random(f"{seed}:{name}:{style}"))
            if variant is None:
                continue
            variant.truth["meta"]["source"] = name
            path = out_dir / f"{name}.{style}{variant.suffix}"
            path.write_bytes(variant.data)
            truth_text = json.dumps(variant.truth, ensure_ascii=False, indent=1)
            (out_dir / f"{name}.{style}.truth.json").write_text(truth_text, encoding="utf-8")
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--sources", nargs="+", type=Path, default=[DEFAULT_SOURCES])
    parser.add_argument("--styles", nargs="+", choices=list(STYLES), default=list(STYLES))
    parser.add_argument("--limit", type=int, help="use the first N eligible source truths")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    sources = list(source_truths(args.sources))[: args.limit]
    written = write_variants(sources, args.out_dir, args.styles, args.seed)
    counts = {style: sum(p.stem.endswith(f".{style}") for p in written) for style in args.styles}
    print(f"{len(written)} files from {len(sources)} truths into {args.out_dir}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
