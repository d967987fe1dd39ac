"""A small consistent report, as text and as rows, for the parser's unit tests.

Most tests use one consistent 2021-edition table (APPS) whose rows hold distinct non-zero
values, so a value that lands in the wrong row or column shows, and whose arithmetic holds, so
`inferred == []` proves that every cell was read rather than filled by the rules.
"""

from __future__ import annotations

from typing import Any

from extract.document import Document, Page, Row
from extract.report import parse_document
from extract.text import text_rows

SHA = "0" * 64


def parse_text(text: str) -> dict[str, Any]:
    """Parse a text as the plain-text reader would hand it over (one page, no geometry)."""
    return parse_document(Document("report.txt", SHA, [Page(1, text_rows(text), "plain")]))


def parse_pages(*pages: list[Row]) -> dict[str, Any]:
    """Parse rows as the PDF text-layer reader would hand them over, one list per page."""
    return parse_document(
        Document(
            "report.pdf",
            SHA,
            [Page(n, rows, "text", 595.0, 842.0) for n, rows in enumerate(pages, start=1)],
        )
    )


def table_values(report: dict[str, Any], section: str = "applications") -> dict[str, tuple]:
    return {key: tuple(cells.values()) for key, cells in report[section].items()}


def cell_warnings(report: dict[str, Any]) -> list[str]:
    """The warnings about table cells (not those about a missing title or table)."""
    return [warning for warning in report["warnings"] if "/" in warning.split(":")[0]]


def number_provenance(report: dict[str, Any]) -> dict[str, Any]:
    """Provenance of the table numbers (not of agency and year)."""
    return {path: entry for path, entry in report["provenance"].items() if "/" in path}


def failed_rules(report: dict[str, Any]) -> list[str]:
    return [check["detail"] for check in report["checks"] if check["ok"] is False]


# ---------------------------------------------------------------- the fixture report

# Row labels as tab-separated text prints them: a group's label shares its first row's line.
LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "三、本年度办理结果\t（一）予以公开",
    "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "withheld_state_secret": "（三）不予公开\t1.属于国家秘密",
    "withheld_prohibited_by_law": "2.其他法律行政法规禁止公开",
    "withheld_security_stability": "3.危及“三安全一稳定”",
    "withheld_third_party": "4.保护第三方合法权益",
    "withheld_internal_affairs": "5.属于三类内部事务信息",
    "withheld_process_information": "6.属于四类过程性信息",
    "withheld_enforcement_files": "7.属于行政执法案卷",
    "withheld_inquiry_matters": "8.属于行政查询事项",
    "unable_not_held": "（四）无法提供\t1.本机关不掌握相关政府信息",
    "unable_needs_creation": "2.没有现成信息需要另行制作",
    "unable_unclear": "3.补正后申请内容仍不明确",
    "not_processed_complaint": "（五）不予处理\t1.信访举报投诉类申请",
    "not_processed_duplicate": "2.重复申请",
    "not_processed_publication": "3.要求提供公开出版物",
    "not_processed_excessive": "4.无正当理由大量反复申请",
    "not_processed_confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other_overdue_correction": (
        "（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
    ),
    "other_overdue_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_misc": "3.其他",
    "other_processing": "（六）其他处理",
    "total_processed": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
# Columns: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计.
APPS: dict[str, tuple[int | None, ...]] = {
    "new_received": (69, 10, 3, 3, 2, 5, 92),
    "carried_over": (2, 0, 0, 0, 0, 0, 2),
    "granted": (20, 3, 1, 1, 1, 1, 27),
    "partially_granted": (4, 1, 0, 0, 0, 0, 5),
    "withheld_state_secret": (1, 0, 0, 0, 0, 0, 1),
    "withheld_prohibited_by_law": (2, 0, 0, 0, 0, 0, 2),
    "withheld_security_stability": (0, 1, 0, 0, 0, 0, 1),
    "withheld_third_party": (3, 0, 0, 0, 0, 0, 3),
    "withheld_internal_affairs": (0, 0, 1, 0, 0, 0, 1),
    "withheld_process_information": (5, 0, 0, 0, 0, 0, 5),
    "withheld_enforcement_files": (0, 0, 0, 1, 0, 0, 1),
    "withheld_inquiry_matters": (0, 0, 0, 0, 1, 0, 1),
    "unable_not_held": (6, 2, 0, 0, 0, 0, 8),
    "unable_needs_creation": (7, 0, 0, 0, 0, 1, 8),
    "unable_unclear": (0, 1, 0, 0, 0, 0, 1),
    "not_processed_complaint": (8, 0, 0, 0, 0, 0, 8),
    "not_processed_duplicate": (0, 0, 0, 0, 0, 2, 2),
    "not_processed_publication": (0, 0, 1, 0, 0, 0, 1),
    "not_processed_excessive": (9, 0, 0, 0, 0, 0, 9),
    "not_processed_confirmation": (0, 0, 0, 1, 0, 0, 1),
    "other_overdue_correction": (1, 1, 0, 0, 0, 0, 2),
    "other_overdue_fee": (0, 0, 0, 0, 0, 0, 0),
    "other_misc": (2, 0, 0, 0, 0, 1, 3),
    "total_processed": (68, 9, 3, 3, 2, 5, 90),
    "carried_forward": (3, 1, 0, 0, 0, 0, 4),
}
# The 2019 edition prints one （六）其他处理 row where 2021 prints three (their sum here).
APPS_2019 = {
    **{key: APPS[key] for key in list(APPS)[:20]},
    "other_processing": (3, 1, 0, 0, 0, 1, 5),
    "total_processed": APPS["total_processed"],
    "carried_forward": APPS["carried_forward"],
}
HEADER = (
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况\n"
    "\t自然人\t法人或其他组织\t\t\t\t\t总计\n"
    "\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他"
)


def apps_table(
    apps: dict[str, Any] = APPS,
    labels: dict[str, str] = LABELS,
    header: str = HEADER,
) -> str:
    """Section 三's table as tab-separated text; a row given as a str is printed as is."""
    lines = [header] if header else []
    for key, values in apps.items():
        cells = values if isinstance(values, str) else "\t".join(cell_text(v) for v in values)
        lines.append(f"{labels[key]}\t{cells}")
    return "\n".join(lines)


def cell_text(value: int | float | None) -> str:
    return "" if value is None else str(value)


ACTIVE_2021 = """二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年制发件数\t本年废止件数\t现行有效件数
规章\t0\t0\t3
行政规范性文件\t2\t1\t15
第二十条第（五）项
信息内容\t本年处理决定数量
行政许可\t120
第二十条第（六）项
信息内容\t本年处理决定数量
行政处罚\t35
行政强制\t4
第二十条第（八）项
信息内容\t本年收费金额（单位：万元）
行政事业性收费\t12.5"""
ACTIVE_2021_VALUES = {
    "regulations": {"issued": 0, "repealed": 0, "in_force": 3},
    "normative_documents": {"issued": 2, "repealed": 1, "in_force": 15},
    "administrative_licensing": {"decisions": 120},
    "administrative_punishment": {"decisions": 35},
    "administrative_enforcement": {"decisions": 4},
    "administrative_fees": {"amount": 12.5},
}
ACTIVE_2019 = """二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量
规章\t0\t0\t0
规范性文件\t2\t2\t9
第二十条第（五）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政许可\t20\t-2\t169
其他对外管理服务事项\t21\t+1\t2610
第二十条第（六）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政处罚\t2\t1\t30
行政强制\t0\t0\t0
第二十条第（八）项
信息内容\t上一年项目数量\t本年增/减
行政事业性收费\t3\t－1
第二十条第（九）项
信息内容\t采购项目数量\t采购总金额（元）
政府集中采购\t8\t594108"""
ACTIVE_2019_VALUES = {
    "regulations": {"made": 0, "published": 0, "total_published": 0},
    "normative_documents": {"made": 2, "published": 2, "total_published": 9},
    "administrative_licensing": {"previous_items": 20, "change": -2, "decisions": 169},
    "other_external_services": {"previous_items": 21, "change": 1, "decisions": 2610},
    "administrative_punishment": {"previous_items": 2, "change": 1, "decisions": 30},
    "administrative_enforcement": {"previous_items": 0, "change": 0, "decisions": 0},
    "administrative_fees": {"previous_items": 3, "change": -1},
    "centralized_procurement": {"items": 8, "amount": 59.4108},  # 594108 元
}
REVIEWS = """四、政府信息公开行政复议、行政诉讼情况
行政复议\t\t\t\t\t行政诉讼
结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉
\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计
1\t2\t0\t1\t4\t0\t0\t1\t0\t1\t2\t0\t0\t1\t3"""
REVIEWS_VALUES = {
    "administrative_reconsideration": {
        "upheld": 1,
        "corrected": 2,
        "other": 0,
        "pending": 1,
        "total": 4,
    },
    "litigation_direct": {"upheld": 0, "corrected": 0, "other": 1, "pending": 0, "total": 1},
    "litigation_after_reconsideration": {
        "upheld": 2,
        "corrected": 0,
        "other": 0,
        "pending": 1,
        "total": 3,
    },
}
TITLE = "某某市某某局2021年政府信息公开工作年度报告"


def report_text(
    title: str = TITLE,
    opening: str = "",
    active: str = ACTIVE_2021,
    apps: str | None = None,
    reviews: str = REVIEWS,
) -> str:
    return "\n".join(
        [
            title,
            *([opening] if opening else []),
            "一、总体情况",
            "本机关认真贯彻落实《条例》，全面推进政务公开。",
            active,
            "三、收到和处理政府信息公开申请情况",
            apps_table() if apps is None else apps,
            reviews,
            "五、存在的主要问题及改进情况",
            "政策解读形式不够丰富。",
            "六、其他需要报告的事项",
            "本年度未收取信息处理费。",
        ]
    )
