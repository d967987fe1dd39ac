"""Whole-pipeline runs on markdown as PDF converters and chat tools write it, rendered from
a devset truth (dev-04, 2021 edition, blank rows) and scored against it.

Each case is one way such markdown loses or muddles the table's layout (split tables, lost
labels, wrapped labels, placeholder headers, one heading per row, merged cells repeated,
embedded HTML tables, inline markup).  No number may differ from the truth; a null is
acceptable only in the rows whose layout really lost the information (`lost`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from paths import DEVSET

from bench.render import (
    APPLICANT_HEADERS,
    APPLICANTS,
    REVIEW_FIELDS,
    REVIEW_GROUPS,
    REVIEW_HEADERS,
    application_rows,
    fmt,
    grid,
    report_blocks,
)
from schemas.scoring import score
from worker.pipeline import process_file

TRUTH = json.loads((DEVSET / "dev-04.truth.json").read_text(encoding="utf-8"))
APPS = TRUTH["applications"]
LABELS = {row.key: row.label for row in application_rows(APPS)}
ROWS = tuple(LABELS)  # printed order


def md_table(rows: Sequence[Sequence[str]]) -> str:
    """A pipe table; its first row is the markdown header."""
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def values(key: str) -> list[str]:
    return [fmt(APPS[key][column]) for column in APPLICANTS]


def flat_row(key: str) -> list[str]:
    return [LABELS[key], *values(key)]


APPS_HEADER = ["项目", *APPLICANT_HEADERS]


def active_md() -> str:
    blocks = [
        [["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]]
        + [
            [label, *(fmt(v) for v in TRUTH["active_disclosure"][key].values())]
            for key, label in (("regulations", "规章"), ("normative_documents", "行政规范性文件"))
        ],
        [["信息内容", "本年处理决定数量"]]
        + [
            [label, fmt(TRUTH["active_disclosure"][key]["decisions"])]
            for key, label in (
                ("administrative_licensing", "行政许可"),
                ("administrative_punishment", "行政处罚"),
                ("administrative_enforcement", "行政强制"),
            )
        ],
        [
            ["信息内容", "本年收费金额（单位：万元）"],
            ["行政事业性收费", fmt(TRUTH["active_disclosure"]["administrative_fees"]["amount"])],
        ],
    ]
    return "\n\n".join(md_table(block) for block in blocks)


def reviews_md() -> str:
    header = [
        f"{group}{field}"
        for group in ("行政复议", "直接起诉", "复议后起诉")
        for field in REVIEW_HEADERS
    ]
    row = [
        fmt(TRUTH["reviews_and_lawsuits"][group][field])
        for group in REVIEW_GROUPS
        for field in REVIEW_FIELDS
    ]
    return md_table([header, row])


def document(applications: str, *, active: str | None = None, reviews: str | None = None) -> str:
    """The whole report as markdown, with section 三's table as given."""
    return (
        "\n\n".join(
            [
                f"# {TRUTH['agency']}{TRUTH['year']}年政府信息公开工作年度报告",
                "## 一、总体情况",
                "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，全面推进政务公开。",
                "## 二、主动公开政府信息情况",
                active if active is not None else active_md(),
                "## 三、收到和处理政府信息公开申请情况",
                applications,
                "## 四、政府信息公开行政复议、行政诉讼情况",
                reviews if reviews is not None else reviews_md(),
                "## 五、存在的主要问题及改进情况",
                "政策解读形式还不够丰富。",
                "## 六、其他需要报告的事项",
                "本年度未收取信息处理费。",
            ]
        )
        + "\n"
    )


def check(tmp_path: Path, text: str, lost: Sequence[str] = (), name: str = "report.md") -> None:
    """No value differs from the truth; only the rows in `lost` may come out null."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = process_file(path)
    result = score(report, TRUTH)
    wrong = [m for m in result.mismatches if m.wrong]
    assert not wrong, "\n".join(f"{m.path}: expected {m.expected!r}, got {m.got!r}" for m in wrong)
    missed = [
        m.path
        for m in result.mismatches
        if not any(m.path.startswith(f"applications/{key}/") for key in lost)
    ]
    assert not missed, missed
    assert result.agency_ok and result.year_ok and result.edition_ok


def test_clean_flat_markdown_is_read_exactly(tmp_path: Path) -> None:
    check(tmp_path, document(md_table([APPS_HEADER, *(flat_row(key) for key in ROWS)])))


def test_table_split_over_several_markdown_tables(tmp_path: Path) -> None:
    """Converters cut one table at page ends into several markdown tables: the header of
    the second is a data row, the third repeats the real header."""
    rows = [flat_row(key) for key in ROWS]
    parts = [
        md_table([APPS_HEADER, *rows[:6]]),
        md_table(rows[6:14]),
        md_table([APPS_HEADER, *rows[14:]]),
    ]
    check(tmp_path, document("\n\n".join(parts)))


PLACEHOLDER_HEADER = ["类别", *(f"数据{i}" for i in range(1, 7)), "总计"]


def test_placeholder_headers_are_not_values(tmp_path: Path) -> None:
    """`| 类别 | 数据1 | … | 数据6 | 总计 |` over every piece of a split table: its digits
    must never be read as a row's numbers."""
    rows = [flat_row(key) for key in ROWS]
    parts = [md_table([PLACEHOLDER_HEADER, *rows[i : i + 5]]) for i in range(0, len(rows), 5)]
    check(tmp_path, document("\n\n".join(parts)))


def test_lost_labels_keep_their_columns(tmp_path: Path) -> None:
    """A label cell left empty, and a label cell dropped altogether: the numbers stay in
    their columns; the rows they belong to cannot be named, so they may come out null."""
    rows = [flat_row(key) for key in ROWS]
    partly = ROWS.index("partially_granted")
    duplicate = ROWS.index("not_processed_duplicate")
    rows[partly] = ["", *rows[partly][1:]]
    rows[duplicate] = rows[duplicate][1:]
    text = document(md_table([APPS_HEADER, *rows]))
    check(tmp_path, text, lost=("partially_granted", "not_processed_duplicate"))


def test_wrapped_labels_as_loose_lines_between_tables(tmp_path: Path) -> None:
    """A label wrapped in its cell comes out as a loose line between two table pieces: its
    first half ends one table, the rest opens the next table's first row, or stands alone."""
    rows = [flat_row(key) for key in ROWS]
    split = ROWS.index("other_overdue_correction")
    head, tail = LABELS["other_overdue_correction"][:12], LABELS["other_overdue_correction"][12:]
    parts = [
        md_table([APPS_HEADER, *rows[:split]]),
        head,
        md_table([["", *values("other_overdue_correction")], *rows[split + 1 :]]),
    ]
    check(tmp_path, document("\n\n".join(parts).replace("| |", "| |", 1) + "\n\n" + tail))


def test_each_result_row_under_its_own_heading(tmp_path: Path) -> None:
    """三、本年度办理结果 as a heading per row, each followed by a small table of its numbers
    under column names or placeholders: the heading is the row's label."""
    before = [flat_row(key) for key in ROWS[:2]]
    parts = [md_table([APPS_HEADER, *before])]
    for number, key in enumerate(ROWS[2:]):
        header = list(APPLICANT_HEADERS) if number % 2 else PLACEHOLDER_HEADER[1:]
        parts += [f"### {LABELS[key]}", md_table([header, values(key)])]
    check(tmp_path, document("\n\n".join(parts)))


def test_docling_tables_repeat_merged_cells(tmp_path: Path) -> None:
    """docling repeats a merged cell's text in every position it covers, the group labels
    down the rows and a one-value row's number across its merged columns."""
    blocks = report_blocks(TRUTH, yuan=False)
    text = "\n\n".join(
        block if isinstance(block, str) else md_table(grid(block, spanned=None)) for block in blocks
    )
    check(tmp_path, text + "\n")


def test_mineru_html_tables_in_markdown(tmp_path: Path) -> None:
    """MinerU writes tables as HTML blocks between markdown headings."""
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in [APPS_HEADER, *(flat_row(key) for key in ROWS)]
    )
    check(tmp_path, document(f"<table>{rows}</table>"))


def test_inline_markup_in_cells(tmp_path: Path) -> None:
    """Bold labels, `<br>` inside cells, markdown escapes: none of it is content."""
    rows = [flat_row(key) for key in ROWS]
    for row in rows:
        label = row[0]
        row[0] = f"**{label[:4]}<br>{label[4:]}**".replace(".", "\\.", 1)
        row[1] = f"{row[1]}<br>" if row[1] else "<br>"
    check(tmp_path, document(md_table([APPS_HEADER, *rows])), name="report.txt")
