"""A report's printed form, rebuilt from a truth file: prose blocks and tables with merges.

One model serves every input made from truths (tests' web pages and .docx, the variants of
bench/variants.py), so each form prints the same cells in the same places as the official
template: three label columns and seven applicant columns in section 三, merged group cells,
the 15 review numbers of section 四, the 主动公开 sub-tables of either edition.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

# ---------------------------------------------------------------- a table model with merges


@dataclass(frozen=True)
class C:
    """One printed cell: its text and how many grid columns / rows it covers."""

    text: str
    colspan: int = 1
    rowspan: int = 1


Table = list[list[C]]


@dataclass(frozen=True)
class Placed:
    """A cell at its grid position (row and first column)."""

    row: int
    column: int
    cell: C


def placed(table: Table) -> Iterator[Placed]:
    """The cells of `table` with their grid positions, left to right, top to bottom.

    A cell's row lists only the cells that start in it; positions covered by a rowspan from
    above are skipped, as HTML does.
    """
    width = sum(cell.colspan for cell in table[0])
    covered: dict[int, int] = {}  # column → rows below the current one still covered
    spans: dict[int, int] = {}  # column → colspan of the cell covering it
    for index, row in enumerate(table):
        cells = iter(row)
        column = 0
        while column < width:
            if covered.get(column, 0) > 0:
                covered[column] -= 1
                column += spans[column]
                continue
            cell = next(cells, None)
            if cell is None:
                break
            if cell.rowspan > 1:
                covered[column], spans[column] = cell.rowspan - 1, cell.colspan
            yield Placed(index, column, cell)
            column += cell.colspan


def grid(table: Table, spanned: str | None = "") -> list[list[str]]:
    """Every grid position's text, as converters flatten merges: a merged cell's text in its
    first position and `spanned` in the others (None: its text repeated in each)."""
    width = sum(cell.colspan for cell in table[0])
    rows = [[""] * width for _ in table]
    for item in placed(table):
        for down in range(item.cell.rowspan):
            for across in range(item.cell.colspan):
                first = down == 0 and across == 0
                text = item.cell.text if first or spanned is None else spanned
                rows[item.row + down][item.column + across] = text
    return rows


def fmt(value: Any, blank: str = "") -> str:
    """A cell as a report prints it: `blank` for null, no trailing zeros on money."""
    if value is None:
        return blank
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def _values(cells: dict[str, Any], keys: Sequence[str], blank: str = "") -> list[C]:
    return [C(fmt(cells.get(key), blank)) for key in keys]


# ---------------------------------------------------------------- section 三

APPLICANTS: Final = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_organization",
    "legal_service_agency",
    "other_organization",
    "total",
)
APPLICANT_HEADERS: Final = (
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
)
CHECK_NOTE: Final = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
RESULTS: Final = "三、本年度办理结果"
GROUPS: Final[tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = (
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
OTHER_2021: Final = (
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


@dataclass(frozen=True)
class AppRow:
    """One row of section 三: its key, own label, merged group label, and whether it is one
    of the 本年度办理结果 rows."""

    key: str
    label: str
    group: str | None = None
    result: bool = False


def application_rows(apps: dict[str, Any]) -> list[AppRow]:
    """The rows in printed order; （六）其他处理 as one row or three, as the truth holds it."""
    rows = [
        AppRow("new_received", "一、本年新收政府信息公开申请数量"),
        AppRow("carried_over", "二、上年结转政府信息公开申请数量"),
        AppRow("granted", "（一）予以公开", result=True),
        AppRow(
            "partially_granted",
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            result=True,
        ),
    ]
    groups = [*GROUPS] if "other_processing" in apps else [*GROUPS, OTHER_2021]
    for group, members in groups:
        rows.extend(AppRow(key, label, group, True) for key, label in members)
    if "other_processing" in apps:
        rows.append(AppRow("other_processing", "（六）其他处理", result=True))
    rows.append(AppRow("total_processed", "（七）总计", result=True))
    rows.append(AppRow("carried_forward", "四、结转下年度继续办理"))
    return rows


def applications_header() -> Table:
    """The three header rows of section 三, the check note in the top-left cell."""
    return [
        [C(CHECK_NOTE, 3, 3), C("申请人情况", colspan=7)],
        [C("自然人", rowspan=2), C("法人或其他组织", colspan=5), C("总计", rowspan=2)],
        [C(text) for text in APPLICANT_HEADERS[1:6]],
    ]


def applications_table(apps: dict[str, dict[str, Any]], blank: str = "") -> Table:
    """Section 三 as printed: three label columns, merged group cells, seven value columns."""
    rows = application_rows(apps)
    results = [row for row in rows if row.result]
    body: Table = []
    for row in rows:
        cells: list[C] = []
        if row is results[0]:
            cells.append(C(RESULTS, rowspan=len(results)))
        if row.group:
            members = [other for other in rows if other.group == row.group]
            if row is members[0]:
                cells.append(C(row.group, rowspan=len(members)))
            cells.append(C(row.label))
        else:
            cells.append(C(row.label, colspan=2 if row.result else 3))
        body.append([*cells, *_values(apps[row.key], APPLICANTS, blank)])
    return [*applications_header(), *body]


# ---------------------------------------------------------------- section 四

REVIEW_GROUPS: Final = (
    "administrative_reconsideration",
    "litigation_direct",
    "litigation_after_reconsideration",
)
REVIEW_FIELDS: Final = ("upheld", "corrected", "other", "pending", "total")
REVIEW_HEADERS: Final = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def reviews_table(reviews: dict[str, dict[str, Any]], blank: str = "") -> Table:
    return [
        [C("行政复议", colspan=5), C("行政诉讼", colspan=10)],
        [
            *(C(text, rowspan=2) for text in REVIEW_HEADERS),
            C("未经复议直接起诉", colspan=5),
            C("复议后起诉", colspan=5),
        ],
        [C(text) for text in REVIEW_HEADERS * 2],
        [cell for group in REVIEW_GROUPS for cell in _values(reviews[group], REVIEW_FIELDS, blank)],
    ]


# ---------------------------------------------------------------- section 二


def active_table(
    active: dict[str, dict[str, Any]], edition: str, yuan: bool, blank: str = ""
) -> Table:
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
            values = _values(active[key], columns, blank)
            if key == "centralized_procurement" and yuan and active[key]["amount"] is not None:
                values[-1] = C(fmt(round(active[key]["amount"] * 10000, 4)))
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


# ---------------------------------------------------------------- the whole report

SECTION_HEADINGS: Final = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)


def title_lines(truth: dict[str, Any]) -> list[str]:
    if truth["meta"].get("hard") == "two_line_title":
        return [truth["agency"], f"{truth['year']}年政府信息公开工作年度报告"]
    return [f"{truth['agency']}{truth['year']}年政府信息公开工作年度报告"]


def overview(year: int | None) -> str:
    """Section 一's prose; `year` None leaves the reporting year out of it."""
    lead = f"{year}年" if year is not None else "本年度"
    return (
        f"{lead}，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，"
        "坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。"
    )


PROBLEMS: Final = "政策解读形式还不够丰富。下一步将进一步拓宽公开渠道，提升公开质量。"
OTHER_MATTERS: Final = "本年度未收取信息处理费。"


def report_blocks(truth: dict[str, Any], yuan: bool, blank: str = "") -> list[str | Table]:
    """The report in reading order: prose paragraphs and tables."""
    edition = truth["edition"]
    one, two, three, four, five, six = SECTION_HEADINGS
    return [
        *title_lines(truth),
        one,
        overview(truth["year"]),
        two,
        active_table(truth["active_disclosure"], edition, yuan, blank),
        three,
        applications_table(truth["applications"], blank),
        four,
        reviews_table(truth["reviews_and_lawsuits"], blank),
        five,
        PROBLEMS,
        six,
        OTHER_MATTERS,
        truth["agency"],
        f"{truth['year'] + 1}年1月20日",
    ]
