"""Whole-pipeline runs on inputs built here from devset truths, scored against those truths.

Two kinds of input that the devset holds no file of:

- saved web pages (GBK bytes under `<meta charset="gb2312">`, breadcrumb navigation, tables
  with rowspan/colspan merges as government sites print them) and Word .docx files (tables
  with w:gridSpan / w:vMerge), rendered from four truths, two of each edition;
- `pdftotext -layout` text of the devset's text-layer PDFs, where columns are runs of spaces
  and wrapped labels land above or below their numbers.

Rendered inputs must come out exactly right.  Layout text may lose cells (null), but a number
that differs from the truth's number is never acceptable.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from schemas.scoring import score
from worker.pipeline import process_file

DEVSET = Path(__file__).resolve().parents[1] / "data" / "devset"
RENDERED = ("dev-03", "dev-04", "dev-06", "dev-09")  # 2019 元, 2021 blanks, 2019 two-line, 2021 bad


def _truth(name: str) -> dict[str, Any]:
    return json.loads((DEVSET / f"{name}.truth.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- a table model with merges


@dataclass(frozen=True)
class C:
    """One printed cell: its text and how many grid columns / rows it covers."""

    text: str
    colspan: int = 1
    rowspan: int = 1


Table = list[list[C]]


def _fmt(value: Any) -> str:
    """A cell as a report prints it: blank for null, no trailing zeros on money."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def _values(cells: dict[str, Any], keys: Sequence[str]) -> list[C]:
    return [C(_fmt(cells.get(key))) for key in keys]


APPLICANTS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_organization",
    "legal_service_agency",
    "other_organization",
    "total",
)
# (row key, group label printed in a merged cell to its left, or None; the row's own label)
GROUPS_2021: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "（三）不予公开",
        (
            ("withheld_state_secret", "1.属于国家秘密"),
            ("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开"),
            ("withheld_security_stability", "3.危及“三安全一稳定”"),
            ("withheld_third_party", "4.保护第三方合法权益"),
            ("withheld_internal_affairs", "5.属于三类内部事务信息"),
            ("withheld_process_information", "6.属于四类过程性信息"),
            ("withheld_enforcement_files", "7.属于行政执法案卷"),
            ("withheld_inquiry_matters", "8.属于行政查询事项"),
        ),
    ),
    (
        "（四）无法提供",
        (
            ("unable_not_held", "1.本机关不掌握相关政府信息"),
            ("unable_needs_creation", "2.没有现成信息需要另行制作"),
            ("unable_unclear", "3.补正后申请内容仍不明确"),
        ),
    ),
    (
        "（五）不予处理",
        (
            ("not_processed_complaint", "1.信访举报投诉类申请"),
            ("not_processed_duplicate", "2.重复申请"),
            ("not_processed_publication", "3.要求提供公开出版物"),
            ("not_processed_excessive", "4.无正当理由大量反复申请"),
            ("not_processed_confirmation", "5.要求行政机关确认或重新出具已获取信息"),
        ),
    ),
)
OTHER_2021 = (
    "（六）其他处理",
    (
        (
            "other_overdue_correction",
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ),
        (
            "other_overdue_fee",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ),
        ("other_misc", "3.其他"),
    ),
)


def applications_table(apps: dict[str, dict[str, Any]], edition: str) -> Table:
    """Section 三 as printed: three label columns, merged group cells, seven value columns."""

    def row(key: str) -> list[C]:
        return _values(apps[key], APPLICANTS)

    groups = [*GROUPS_2021, OTHER_2021] if edition == "2021" else list(GROUPS_2021)
    results: Table = [
        [C("（一）予以公开", colspan=2), *row("granted")],
        [
            C("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2),
            *row("partially_granted"),
        ],
    ]
    for group, members in groups:
        for index, (key, label) in enumerate(members):
            lead = [C(group, rowspan=len(members))] if index == 0 else []
            results.append([*lead, C(label), *row(key)])
    if edition == "2019":
        results.append([C("（六）其他处理", colspan=2), *row("other_processing")])
    results.append([C("（七）总计", colspan=2), *row("total_processed")])
    results[0].insert(0, C("三、本年度办理结果", rowspan=len(results)))
    return [
        [
            C("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
            C("申请人情况", colspan=7),
        ],
        [C("自然人", rowspan=2), C("法人或其他组织", colspan=5), C("总计", rowspan=2)],
        [C("商业企业"), C("科研机构"), C("社会公益组织"), C("法律服务机构"), C("其他")],
        [C("一、本年新收政府信息公开申请数量", colspan=3), *row("new_received")],
        [C("二、上年结转政府信息公开申请数量", colspan=3), *row("carried_over")],
        *results,
        [C("四、结转下年度继续办理", colspan=3), *row("carried_forward")],
    ]


REVIEW_GROUPS = (
    "administrative_reconsideration",
    "litigation_direct",
    "litigation_after_reconsideration",
)
REVIEW_FIELDS = ("upheld", "corrected", "other", "pending", "total")
REVIEW_HEADERS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def reviews_table(reviews: dict[str, dict[str, Any]]) -> Table:
    return [
        [C("行政复议", colspan=5), C("行政诉讼", colspan=10)],
        [
            *(C(text, rowspan=2) for text in REVIEW_HEADERS),
            C("未经复议直接起诉", colspan=5),
            C("复议后起诉", colspan=5),
        ],
        [C(text) for text in REVIEW_HEADERS * 2],
        [cell for group in REVIEW_GROUPS for cell in _values(reviews[group], REVIEW_FIELDS)],
    ]


def active_table(active: dict[str, dict[str, Any]], edition: str, yuan: bool) -> Table:
    """Section 二 in one four-column table; one-value rows merge their value cells."""

    def block(item: str, headers: Sequence[str], rows: Sequence[tuple[str, str]]) -> Table:
        span = 4 - len(headers) if len(headers) < 3 else 1
        keys = [key for key, _ in rows]
        columns = list(active[keys[0]])
        table: Table = [
            [C(f"第二十条第（{item}）项", colspan=4)],
            [C("信息内容"), *(C(h, colspan=span if i == 0 else 1) for i, h in enumerate(headers))],
        ]
        for key, label in rows:
            values = _values(active[key], columns)
            if key == "centralized_procurement" and yuan and active[key]["amount"] is not None:
                values[-1] = C(_fmt(round(active[key]["amount"] * 10000, 4)))
            if span > 1:
                values = [C(values[0].text, colspan=span), *values[1:]]
            table.append([C(label), *values])
        return table

    if edition == "2021":
        return [
            *block(
                "一",
                ("本年制发件数", "本年废止件数", "现行有效件数"),
                (("regulations", "规章"), ("normative_documents", "行政规范性文件")),
            ),
            *block("五", ("本年处理决定数量",), (("administrative_licensing", "行政许可"),)),
            *block(
                "六",
                ("本年处理决定数量",),
                (
                    ("administrative_punishment", "行政处罚"),
                    ("administrative_enforcement", "行政强制"),
                ),
            ),
            *block(
                "八", ("本年收费金额（单位：万元）",), (("administrative_fees", "行政事业性收费"),)
            ),
        ]
    change = ("上一年项目数量", "本年增/减", "处理决定数量")
    return [
        *block(
            "一",
            ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
            (("regulations", "规章"), ("normative_documents", "规范性文件")),
        ),
        *block(
            "五",
            change,
            (
                ("administrative_licensing", "行政许可"),
                ("other_external_services", "其他对外管理服务事项"),
            ),
        ),
        *block(
            "六",
            change,
            (("administrative_punishment", "行政处罚"), ("administrative_enforcement", "行政强制")),
        ),
        *block("八", change[:2], (("administrative_fees", "行政事业性收费"),)),
        *block(
            "九",
            ("采购项目数量", "采购总金额（元）" if yuan else "采购总金额（万元）"),
            (("centralized_procurement", "政府集中采购"),),
        ),
    ]


def _title_lines(truth: dict[str, Any]) -> list[str]:
    if truth["meta"].get("hard") == "two_line_title":
        return [truth["agency"], f"{truth['year']}年政府信息公开工作年度报告"]
    return [f"{truth['agency']}{truth['year']}年政府信息公开工作年度报告"]


def report_blocks(truth: dict[str, Any], yuan: bool) -> list[str | Table]:
    """The report in reading order: prose paragraphs and tables."""
    edition = truth["edition"]
    return [
        *_title_lines(truth),
        "一、总体情况",
        f"{truth['year']}年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，"
        "坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。",
        "二、主动公开政府信息情况",
        active_table(truth["active_disclosure"], edition, yuan),
        "三、收到和处理政府信息公开申请情况",
        applications_table(truth["applications"], edition),
        "四、政府信息公开行政复议、行政诉讼情况",
        reviews_table(truth["reviews_and_lawsuits"]),
        "五、存在的主要问题及改进情况",
        "政策解读形式还不够丰富。下一步将进一步拓宽公开渠道，提升公开质量。",
        "六、其他需要报告的事项",
        "本年度未收取信息处理费。",
        truth["agency"],
        f"{truth['year'] + 1}年1月20日",
    ]


# ---------------------------------------------------------------- saved web page


def _html_table(table: Table) -> str:
    rows = []
    for row in table:
        cells = []
        for cell in row:
            span = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + (
                f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
            )
            cells.append(f'<td{span} valign="center"><p>{html.escape(cell.text)}</p></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<table border="1" cellspacing="0"><tbody>' + "\n".join(rows) + "</tbody></table>"


def write_html(path: Path, truth: dict[str, Any], *, layout_table: bool) -> None:
    """A page as government sites save it: GBK bytes, navigation, the article's tables."""
    blocks = report_blocks(truth, yuan=False)
    title_count = len(_title_lines(truth))
    title = "<br/>".join(html.escape(line) for line in blocks[:title_count])
    body = []
    for block in blocks[title_count:]:
        if isinstance(block, str):
            body.append(f'<p style="text-indent:2em">{html.escape(block)}</p>')
        else:
            body.append(_html_table(block))
    article = f'<h1 class="title">{title}</h1>\n<div class="content">' + "\n".join(body) + "</div>"
    if layout_table:  # old sites wrap the whole article in a table of their own
        article = f'<table width="100%"><tr><td>{article}</td></tr></table>'
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"/>
<title>{html.escape("".join(_title_lines(truth)))}</title>
<script type="text/javascript">var nav = "首页";</script>
<style>td {{ border: 1px solid #000; }}</style></head>
<body><div class="nav">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>
{article}
<div class="footer">主办单位：{html.escape(truth["agency"])}　网站标识码：1234567890</div>
</body></html>"""
    path.write_bytes(page.encode("gbk"))


# ---------------------------------------------------------------- Word .docx

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def _w_p(text: str) -> str:
    if not text:
        return "<w:p/>"
    return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def _w_tc(text: str, span: int, merge: str | None) -> str:
    props = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    if merge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif merge == "continue":
        props += "<w:vMerge/>"
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{_w_p(text)}</w:tc>"


def _w_table(table: Table) -> str:
    """Word writes every grid position: a rowspan continues as w:vMerge cells below."""
    width = sum(cell.colspan for cell in table[0])
    covered: dict[int, tuple[int, int]] = {}  # column → (rows still covered, colspan)
    rows = []
    for row in table:
        cells = iter(row)
        column = 0
        out = []
        while column < width:
            if covered.get(column, (0, 0))[0] > 0:
                left, span = covered[column]
                covered[column] = (left - 1, span)
                out.append(_w_tc("", span, "continue"))
                column += span
                continue
            cell = next(cells)
            merge = None
            if cell.rowspan > 1:
                covered[column] = (cell.rowspan - 1, cell.colspan)
                merge = "restart"
            out.append(_w_tc(cell.text, cell.colspan, merge))
            column += cell.colspan
        rows.append("<w:tr>" + "".join(out) + "</w:tr>")
    grid = "".join('<w:gridCol w:w="800"/>' for _ in range(width))
    return f"<w:tbl><w:tblGrid>{grid}</w:tblGrid>" + "".join(rows) + "</w:tbl>"


def write_docx(path: Path, truth: dict[str, Any]) -> None:
    body = []
    for block in report_blocks(truth, yuan=True):
        body.append(_w_p(block) if isinstance(block, str) else _w_table(block) + "<w:p/>")
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W_NS}">'
        f"<w:body>{''.join(body)}<w:sectPr/></w:body></w:document>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)


# ---------------------------------------------------------------- the tests


def _assert_perfect(report: dict[str, Any], truth: dict[str, Any]) -> None:
    result = score(report, truth)
    wrong = "\n".join(
        f"  {m.path}: expected {m.expected!r}, got {m.got!r}" for m in result.mismatches
    )
    assert result.perfect, f"{result.fields_right}/{result.fields_total} fields right\n{wrong}"
    assert (report["agency"], report["year"]) == (truth["agency"], truth["year"])
    failed = sorted({check["rule"] for check in report["checks"] if check["ok"] is False})
    assert failed == sorted(truth["meta"]["failed_rules"])


@pytest.mark.parametrize("name", RENDERED)
def test_saved_web_page_gbk_with_merged_cells(tmp_path: Path, name: str) -> None:
    truth = _truth(name)
    path = tmp_path / f"{name}.htm"
    write_html(path, truth, layout_table=name == "dev-04")
    assert b"charset=gb2312" in path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    report = process_file(path)

    _assert_perfect(report, truth)
    assert report["units"] == {}


@pytest.mark.parametrize("name", RENDERED)
def test_word_file_with_grid_span_and_vertical_merge(tmp_path: Path, name: str) -> None:
    truth = _truth(name)
    path = tmp_path / f"{name}.docx"
    write_docx(path, truth)

    report = process_file(path)

    _assert_perfect(report, truth)
    if truth["edition"] == "2019":  # procurement printed in 元, converted to 万元
        assert report["units"] == {"active_disclosure/centralized_procurement/amount": "元"}


def test_rendered_blank_cells_are_filled_only_where_forced(tmp_path: Path) -> None:
    """dev-04 prints three all-blank rows; the rules force zeros, which are listed."""
    truth = _truth("dev-04")
    path = tmp_path / "dev-04.docx"
    write_docx(path, truth)

    report = process_file(path)

    forced = truth["meta"]["inferable"]
    assert forced
    assert all(report["applications"][p.split("/")[1]][p.split("/")[2]] == 0 for p in forced)
    assert set(forced) <= set(report["inferred"])
    printed = {"applications/granted/natural_person", "active_disclosure/regulations/issued"}
    assert not printed & set(report["inferred"])


# ---------------------------------------------------------------- pdftotext -layout

LAYOUT_CASES = [DEVSET / f"dev-{number:02d}.pdf" for number in range(1, 10)]
LAYOUT_CASES.append(DEVSET / "real" / "huaian-shi-2024.pdf")
# Field accuracy measured when this test was written; a drop below it is a regression.
LAYOUT_FLOOR = {"dev-07": 0.95}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("pdf", LAYOUT_CASES, ids=lambda path: path.stem)
def test_pdftotext_layout_text_has_no_wrong_number(tmp_path: Path, pdf: Path) -> None:
    text = tmp_path / f"{pdf.stem}.txt"
    subprocess.run(["pdftotext", "-layout", str(pdf), str(text)], check=True, timeout=30)
    truth = json.loads(pdf.with_name(f"{pdf.stem}.truth.json").read_text(encoding="utf-8"))

    report = process_file(text)
    result = score(report, truth)

    wrong = [
        m
        for m in result.mismatches
        if "/" in m.path
        and isinstance(m.got, int | float)
        and isinstance(m.expected, int | float)
        and not isinstance(m.got, bool)
    ]
    assert not wrong, "\n".join(f"  {m.path}: truth {m.expected!r}, got {m.got!r}" for m in wrong)
    accuracy = result.fields_right / result.fields_total
    assert accuracy >= LAYOUT_FLOOR.get(pdf.stem, 1.0), (
        f"{result.fields_right}/{result.fields_total}: "
        + ", ".join(f"{m.path}={m.got!r}" for m in result.mismatches[:10])
    )
    assert (report["agency"], report["year"], report["edition"]) == (
        truth["agency"],
        truth["year"],
        truth["edition"],
    )
