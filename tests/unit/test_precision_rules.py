"""Precision first: what the parser refuses, the verdict it gives, and where agency and year
come from when the title is missing (issue 8's classes 3, 5, 6 and 7)."""

from __future__ import annotations

import pytest
from report_texts import (
    ACTIVE_2019,
    ACTIVE_2021,
    APPS,
    HEADER,
    LABELS,
    TITLE,
    apps_table,
    cell_text,
    parse_pages,
    parse_text,
    report_text,
    table_values,
)

from extract.document import Cell, Row
from extract.errors import NotAReport
from schemas.validate import validate_report

# ---------------------------------------------------------------- 6: not a report

WORK_PLAN = """某某县2023年政务公开工作要点
一、推进政府信息公开
（一）做好2022年政府信息公开工作年度报告编制发布工作，1月31日前完成。
（二）规范性文件 12 件全部公开，行政许可 1 项清单动态调整。
二、行政复议、行政诉讼
依法办理行政复议案件 3 件，行政诉讼 2 件。
规章\t0\t0\t3
行政许可\t1
行政复议\t1\t0\t0\t0\t1"""


def test_a_work_plan_naming_the_report_and_its_tables_is_refused() -> None:
    with pytest.raises(NotAReport):
        parse_text(WORK_PLAN)


def test_a_readme_with_numbers_is_refused() -> None:
    readme = "# gongkai\n\n| step | count |\n|---|---|\n| 行政许可 | 1 |\n| 规章 | 0 0 3 |\n"
    with pytest.raises(NotAReport):
        parse_text(readme)


def test_a_notice_about_compiling_reports_is_not_a_title() -> None:
    notice = (
        "关于做好2023年政府信息公开工作年度报告编制发布工作的通知\n"
        "各单位：请于1月31日前发布2023年政府信息公开工作年度报告。\n"
        "行政许可\t1\n规章\t0\t0\t3"
    )
    with pytest.raises(NotAReport):
        parse_text(notice)


def test_without_a_title_a_table_counts_only_with_its_own_header_rows() -> None:
    report = parse_text("三、收到和处理政府信息公开申请情况\n" + apps_table())

    assert table_values(report) == APPS
    assert report["active_disclosure"] == {}


# ---------------------------------------------------------------- 7: verdict


def test_a_whole_consistent_report_is_complete() -> None:
    report = parse_text(report_text())

    assert report["review"] == {"status": "complete", "reasons": []}
    assert report["warnings"] == []
    validate_report(report)


def test_a_missing_table_is_needs_review_with_a_warning_and_unjudged_checks() -> None:
    report = parse_text(report_text(reviews=""))

    assert report["review"]["status"] == "needs_review"
    assert {"reason": "table_not_found", "paths": ["reviews_and_lawsuits"]} in report["review"][
        "reasons"
    ]
    assert "reviews_and_lawsuits: table not found" in report["warnings"]
    rule4 = [check for check in report["checks"] if check["rule"] == "rule4"]
    assert rule4 == [
        {"rule": "rule4", "ok": None, "detail": "not evaluated: reviews_and_lawsuits table absent"}
    ]


def test_a_blank_cell_makes_the_report_needs_review_naming_the_cell() -> None:
    # Two blanks in one column and two rows: no rule forces them.
    apps = {
        **APPS,
        "granted": (None, 3, 1, 1, 1, 1, None),
        "partially_granted": (None, 1, 0, 0, 0, 0, None),
    }
    report = parse_text(report_text(apps=apps_table(apps)))

    assert report["review"]["status"] == "needs_review"
    reasons = {reason["reason"]: reason["paths"] for reason in report["review"]["reasons"]}
    assert reasons["cell_null"] == [
        "applications/granted/natural_person",
        "applications/granted/total",
        "applications/partially_granted/natural_person",
        "applications/partially_granted/total",
    ]
    rule1 = [c for c in report["checks"] if c["rule"] == "rule1" and c["ok"] is None]
    assert rule1 and "granted" in rule1[0]["detail"]


def test_an_excerpt_of_one_table_without_title_is_a_fragment() -> None:
    report = parse_text("三、收到和处理政府信息公开申请情况\n" + apps_table())

    assert report["review"]["status"] == "fragment"
    reasons = {reason["reason"] for reason in report["review"]["reasons"]}
    assert {"agency_not_found", "year_not_found", "table_not_found"} <= reasons


# ---------------------------------------------------------------- 5: edition from the rows


def test_table_three_alone_takes_its_edition_from_the_three_other_processing_rows() -> None:
    text = "三、收到和处理政府信息公开申请情况\n" + apps_table()

    report = parse_text(text)

    assert report["edition"] == "2021"
    assert "edition_not_from_table" not in {r["reason"] for r in report["review"]["reasons"]}


def test_table_three_alone_with_the_2019_single_row_is_2019() -> None:
    apps = {key: APPS[key] for key in list(APPS)[:20]}
    apps |= {
        "other_processing": (3, 1, 0, 0, 0, 1, 5),
        "total_processed": APPS["total_processed"],
        "carried_forward": APPS["carried_forward"],
    }
    report = parse_text("三、收到和处理政府信息公开申请情况\n" + apps_table(apps))

    assert report["edition"] == "2019"


ROW_HEIGHT = 20.0


def _pdf_row(label: str, values: tuple[int | None, ...], top: float) -> Row:
    cells = [Cell(label, (40.0, top, 200.0, top + ROW_HEIGHT))]
    for column, value in enumerate(values):
        x0 = 200.0 + 45.0 * column
        cells.append(Cell(cell_text(value), (x0, top, x0 + 45.0, top + ROW_HEIGHT)))
    return Row(cells, table=1)


def test_an_image_of_table_three_with_the_template_note_in_its_corner_reads_every_row() -> None:
    # The official template's note sits in the top-left header cell; it names 第三项 and
    # 第四项 but is no row.
    header = [
        Row(
            [
                Cell(text, (40.0 + 80.0 * i, 60.0, 120.0 + 80.0 * i, 100.0))
                for i, text in enumerate(HEADER.splitlines()[0].split("\t"))
            ],
            table=1,
        )
    ]
    rows = [
        _pdf_row(LABELS[key].split("\t")[-1], values, 120.0 + ROW_HEIGHT * i)
        for i, (key, values) in enumerate(APPS.items())
    ]
    report = parse_pages(header + rows)

    assert table_values(report) == APPS
    assert report["edition"] == "2021"
    assert report["review"]["status"] == "fragment"


# ---------------------------------------------------------------- 3: signed changes


def test_a_signed_change_run_into_crawled_text_keeps_its_sign() -> None:
    crawled = ACTIVE_2019.replace("\t", " ").replace("\n", "")
    report = parse_text(f"{TITLE}\n{crawled}\n三、收到和处理政府信息公开申请情况\n{apps_table()}")

    assert report["active_disclosure"]["administrative_licensing"]["change"] == -2
    assert report["active_disclosure"]["administrative_fees"]["change"] == -1


def test_a_signed_change_in_a_digit_run_is_never_read_unsigned() -> None:
    text = ACTIVE_2019.replace("行政处罚\t2\t1\t30", "行政处罚2-1530").replace("\t", "")
    report = parse_text(f"{TITLE}\n{text}\n三、收到和处理政府信息公开申请情况\n{apps_table()}")

    punishment = report["active_disclosure"]["administrative_punishment"]
    assert punishment["change"] in (None, -15, -1)
    assert punishment["change"] != 15


# ---------------------------------------------------------------- agency and year, no title

SIGNED = """
五、存在的主要问题及改进情况
政策解读形式不够丰富。
六、其他需要报告的事项
本年度未收取信息处理费。
某某市某某局
2024年1月20日
"""


def test_without_title_the_signature_names_the_body_and_the_period_the_year() -> None:
    opening = "本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。"
    text = report_text(title="", opening=opening).split("五、存在的主要问题")[0] + SIGNED

    report = parse_text(text)

    assert (report["agency"], report["year"]) == ("某某市某某局", 2023)
    assert report["provenance"]["agency"]["from"] == "signature"
    assert report["provenance"]["year"]["from"] == "period"


def test_without_title_or_period_the_signature_date_gives_no_year() -> None:
    # Signed 2024年1月20日: most likely a 2023 report, but the contract takes the year from
    # the statistics period only; a likely year is not a certain one.
    text = report_text(title="").split("五、存在的主要问题")[0] + SIGNED

    report = parse_text(text)

    assert report["agency"] == "某某市某某局"
    assert report["year"] is None
    assert {"reason": "year_not_found", "paths": ["year"]} in report["review"]["reasons"]


def test_without_title_or_signature_the_contact_line_names_the_body() -> None:
    opening = "如对本报告有任何疑问，请与某某区人民政府办公室联系（电话：0591-1234567）。"
    report = parse_text(report_text(title="", opening=opening))

    assert report["agency"] == "某某区人民政府办公室"
    assert report["provenance"]["agency"]["from"] == "contact"


def test_the_title_wins_over_the_signature() -> None:
    report = parse_text(report_text().split("五、存在的主要问题")[0] + SIGNED)

    assert (report["agency"], report["year"]) == ("某某市某某局", 2021)
    assert report["provenance"]["agency"]["from"] == "title"


def test_a_garbled_breadcrumb_above_the_title_is_not_part_of_the_agency() -> None:
    # OCR read the breadcrumb's 报告 as 报各, so the breadcrumb rule does not cut it off.
    banner = "首页|政务公开|政务服务\n首页>信息公开>政府信息公开工作年度报各\n"
    report = parse_text(
        banner + report_text(title="吉林省生态环境厅2020年政府信息公开工作年度报告")
    )

    assert (report["agency"], report["year"]) == ("吉林省生态环境厅", 2020)


def test_a_signed_item_number_is_no_value() -> None:
    # `-1.` before a label is an item number with a dash, not the value -1 or "-".
    report = parse_text(report_text(opening="清单：-1.公开目录 -2.公开指南"))

    assert report["review"]["status"] == "complete"


def test_a_signature_dated_in_chinese_numerals_names_the_body() -> None:
    text = report_text(title="").split("五、存在的主要问题")[0]
    text += SIGNED.replace("2024年1月20日", "二〇二四年一月二十日")

    assert parse_text(text)["agency"] == "某某市某某局"


def test_a_cell_printing_its_unit_is_its_number() -> None:
    # numbers.parse_value: chat tools write `| 行政处罚 | 4件 |`.
    active = ACTIVE_2021.replace("行政处罚\t35", "行政处罚\t35件")
    report = parse_text(report_text(active=active))

    assert report["active_disclosure"]["administrative_punishment"] == {"decisions": 35}


def test_a_title_followed_by_its_web_pages_publication_time_is_a_title() -> None:
    report = parse_text(report_text(title=f"{TITLE}发布时间：2022-01-20 来源：某某市某某局"))

    assert (report["agency"], report["year"]) == ("某某市某某局", 2021)
