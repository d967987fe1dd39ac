"""The report parser on small hand-built inputs, one hard layout per test.

Inputs are built here: short texts through `extract.text.text_rows` (what the .txt, crawler
and converter paths produce) or Rows of Cells with boxes as the PDF reader emits them.  Each
test names, in a comment, the code that handles its layout; each was checked to fail with that
code disabled.  Known parser bugs are `xfail(strict=True)` with the minimal input that shows them.

Most tests use one consistent 2021-edition table (APPS) whose rows hold distinct non-zero
values, so a value that lands in the wrong row or column shows, and whose arithmetic holds, so
`inferred == []` proves that every cell was read rather than filled by the rules.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from report_texts import (
    ACTIVE_2019,
    ACTIVE_2019_VALUES,
    ACTIVE_2021,
    ACTIVE_2021_VALUES,
    APPS,
    APPS_2019,
    HEADER,
    LABELS,
    REVIEWS,
    REVIEWS_VALUES,
    TITLE,
    apps_table,
    cell_text,
    cell_warnings,
    failed_rules,
    number_provenance,
    parse_pages,
    parse_text,
    report_text,
    table_values,
)

from extract.document import BBox, Cell, Row
from extract.errors import NotAReport
from schemas.validate import validate_report


def test_fixture_tables_obey_rules_1_to_3() -> None:
    """The fixture itself is consistent, so any failed rule in a test is the parser's doing."""
    columns = range(7)
    for values in APPS.values():
        assert sum(values[:6]) == values[6]
    results = list(APPS)[2:23]
    for c in columns:
        assert APPS["new_received"][c] + APPS["carried_over"][c] == (
            APPS["total_processed"][c] + APPS["carried_forward"][c]
        )
        assert sum(APPS[key][c] for key in results) == APPS["total_processed"][c]
        assert (
            sum(APPS_2019[key][c] for key in list(APPS_2019)[2:21]) == (APPS["total_processed"][c])
        )


# ---------------------------------------------------------------- editions


def test_2021_edition_full_report() -> None:
    # The whole parser: tokens → labels (keywords) → tables → solver → rules.
    report = parse_text(report_text())

    assert (report["agency"], report["year"], report["edition"]) == ("某某市某某局", 2021, "2021")
    assert report["active_disclosure"] == ACTIVE_2021_VALUES
    assert table_values(report) == APPS
    assert report["reviews_and_lawsuits"] == REVIEWS_VALUES
    assert report["inferred"] == []
    assert report["warnings"] == []
    assert report["units"] == {}
    assert failed_rules(report) == []


def test_2019_edition_signed_changes_and_procurement_in_yuan() -> None:
    # active_table.detect_edition (2019 headers), labels.ACTIVE_COLUMNS["2019"], signed values in
    # numbers.parse_value (`-2`, `+1`, full-width `－1`), active_table._convert_yuan for 元 → 万元.
    text = report_text(
        title="某某市某某局2020年政府信息公开工作年度报告",
        active=ACTIVE_2019,
        apps=apps_table(APPS_2019),
    )
    report = parse_text(text)

    assert report["edition"] == "2019"
    assert report["active_disclosure"] == ACTIVE_2019_VALUES
    assert report["units"] == {"active_disclosure/centralized_procurement/amount": "元"}
    assert table_values(report) == APPS_2019
    assert "other_overdue_correction" not in report["applications"]
    assert report["inferred"] == []
    assert failed_rules(report) == []


def test_procurement_in_wan_yuan_is_not_converted() -> None:
    # active_table._YUAN: 元 but not 万元.
    active = ACTIVE_2019.replace("采购总金额（元）", "采购总金额（万元）").replace(
        "594108", "59.4108"
    )
    report = parse_text(report_text(active=active, apps=apps_table(APPS_2019)))

    assert report["active_disclosure"]["centralized_procurement"] == {"items": 8, "amount": 59.4108}
    assert report["units"] == {}


def test_2021_fees_printed_in_yuan_are_converted() -> None:
    # active_table._convert_yuan on the 2021 本年收费金额 column.
    active = ACTIVE_2021.replace("（单位：万元）", "（单位：元）").replace("\t12.5", "\t125000")
    report = parse_text(report_text(active=active))

    assert report["active_disclosure"]["administrative_fees"] == {"amount": 12.5}
    assert report["units"] == {"active_disclosure/administrative_fees/amount": "元"}


def test_hybrid_2021_headers_with_single_other_processing_row() -> None:
    # report._edition asks active_table.detect_edition (the 主动公开 headers) before the 其他处理
    # rows; rules.result_rows then sums the single row the table printed.
    report = parse_text(report_text(apps=apps_table(APPS_2019)))

    assert report["edition"] == "2021"
    assert report["active_disclosure"] == ACTIVE_2021_VALUES
    assert table_values(report) == APPS_2019
    assert not {"other_overdue_correction", "other_overdue_fee", "other_misc"} & set(
        report["applications"]
    )
    assert failed_rules(report) == []


NOTICE_2019 = (
    "根据《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》"
    "（国办公开办函〔2019〕60号）要求，编制本报告。"
)


@pytest.mark.parametrize(
    ("year", "active", "apps", "edition"),
    [
        pytest.param(2021, ACTIVE_2021, APPS_2019, "2021", id="2021-tables-citing-2019-notice"),
        pytest.param(2020, ACTIVE_2021, None, "2021", id="2020-report-2021-tables"),
        pytest.param(2022, ACTIVE_2019, None, "2019", id="2022-report-2019-tables"),
    ],
)
def test_edition_comes_from_the_active_disclosure_table(
    year: int, active: str, apps: dict | None, edition: str
) -> None:
    # active_table.detect_edition, consulted first by report._edition: neither the title's year nor
    # the notice cited in the opening decides.
    text = report_text(
        title=f"某某市某某局{year}年政府信息公开工作年度报告",
        opening=NOTICE_2019,
        active=active,
        apps=apps_table(apps) if apps else "",
    )
    report = parse_text(text)

    assert report["year"] == year
    assert report["edition"] == edition
    expected = ACTIVE_2021_VALUES if active is ACTIVE_2021 else ACTIVE_2019_VALUES
    assert report["active_disclosure"] == expected


def test_2019_active_table_with_2021_other_rows_gives_a_valid_report() -> None:
    report = parse_text(report_text(active=ACTIVE_2019))

    validate_report(report)


# ---------------------------------------------------------------- label noise


def _relabel(**changes: str) -> dict[str, str]:
    return {**LABELS, **changes}


NOISE = {
    # keyword patterns in labels.APPLICATION_LABELS
    "half-width-(-)-for-(1)": _relabel(
        granted="三、本年度办理结果\t(-)予以公开",
        partially_granted="(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
    ),
    "ideographic-comma-item-numbers": {
        key: re.sub(r"(\d)\.", r"\1、", label) for key, label in LABELS.items()
    },
    "typo-prohibited-by-law": _relabel(withheld_prohibited_by_law="2.其他法律行政止公开"),
    # item number + a couple of words: labels._resembling_next_row
    "typo-internal-affairs": _relabel(withheld_internal_affairs="5.属于三类内部事物倍息"),
    "garbled-security-stability": _relabel(withheld_security_stability="3.危反“三完全一程定”"),
    "garbled-not-held": _relabel(unable_not_held="（四）无法提供\t1.本机关不拿握相关政府倍息"),
    "cut-process-information": _relabel(withheld_process_information="6.属于四类"),
    "cut-enforcement-files": _relabel(withheld_enforcement_files="7、属于行"),
    "cut-unclear": _relabel(unable_unclear="3.补正后"),
    "cut-publication": _relabel(not_processed_publication="3.要求提供"),
}


@pytest.mark.parametrize("labels", NOISE.values(), ids=NOISE.keys())
def test_ocr_label_noise(labels: dict[str, str]) -> None:
    # labels.match_application_row: keywords first, then the item-number/likeness fallback
    # (`_resembling_next_row`).  `inferred == []` proves each row was read, not forced.
    report = parse_text(report_text(apps=apps_table(labels=labels)))

    assert table_values(report) == APPS
    assert report["inferred"] == []
    assert report["warnings"] == []


def test_header_with_short_column_name_and_all_label_noise_at_once() -> None:
    # The header is read only for its 总计 (application_rows.collect_application_rows);
    # 社会组织 must not disturb the rows.  All label noise of the cases above, together.
    labels = {key: LABELS[key] for key in APPS}
    for noisy in NOISE.values():
        labels.update({key: value for key, value in noisy.items() if value != LABELS[key]})
    header = HEADER.replace("社会公益组织", "社会组织")
    report = parse_text(report_text(apps=apps_table(labels=labels, header=header)))

    assert table_values(report) == APPS
    assert report["inferred"] == []


WRAPS = {
    "numbers-on-first-line": (
        "not_processed_confirmation",
        "5.要求行政机关确认或重新\t0\t0\t0\t1\t0\t0\t1\n出具已获取信息",
    ),
    "numbers-on-second-line": (
        "not_processed_confirmation",
        "5.要求行政机关确认或\n重新出具已获取信息\t0\t0\t0\t1\t0\t0\t1",
    ),
    "keyword-split-numbers-on-first-line": (
        "partially_granted",
        "（二）部分\t4\t1\t0\t0\t0\t0\t5\n公开（区分处理的，只计这一情形，不计其他情形）",
    ),
    "short-label-numbers-on-second-line": (
        "unable_needs_creation",
        "2.没有现成信息\n需要另行制作\t7\t0\t0\t0\t0\t1\t8",
    ),
}


@pytest.mark.parametrize(("key", "printed"), WRAPS.values(), ids=WRAPS.keys())
def test_label_wrapped_over_two_lines(key: str, printed: str) -> None:
    # application_rows._RowCollector: values belong to the last label until the next one, so a
    # label's second line (no keyword, no values) and values on either line land in the right row;
    # a first line without its keyword (（二）部分, 5.要求行政机关确认或) is named by its item
    # number (labels._resembling_next_row).
    line = LABELS[key] + "\t" + "\t".join(map(str, APPS[key]))
    assert line in apps_table()
    report = parse_text(report_text(apps=apps_table().replace(line, printed)))

    assert table_values(report) == APPS
    assert report["inferred"] == []


# ---------------------------------------------------------------- missing, moved, blank cells


def test_row_with_six_of_seven_cells_gets_its_total_from_rule_1() -> None:
    # solver.candidates puts the missing cell at every position; solver.solve keeps the
    # placements the rules allow; rules.infer_forced fills the total (rule 1).
    apps = {**APPS, "withheld_third_party": "3\t0\t0\t0\t0\t0"}
    report = parse_text(report_text(apps=apps_table(apps)))

    assert table_values(report) == APPS
    assert "applications/withheld_third_party/total" in report["inferred"]
    assert all(path.startswith("applications/withheld_third_party/") for path in report["inferred"])


def test_six_of_seven_cells_then_a_line_with_a_leading_tab() -> None:
    line = LABELS["withheld_third_party"] + "\t" + "\t".join(map(str, APPS["withheld_third_party"]))
    text = apps_table().replace(line, "4.保护第三方合法权益\t3\t0\t0\t0\t0\t3")
    text = text.replace("\n5.属于三类内部事务信息", "\n\t5.属于三类内部事务信息")
    report = parse_text(report_text(apps=text))

    assert table_values(report) == APPS


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param("\n", id="numbers-on-next-line"),
        pytest.param("cell-per-line", id="one-cell-per-line"),
        pytest.param("web-copy", id="tab-led-cell-per-line-web-copy"),
    ],
)
def test_numbers_not_on_their_labels_line(layout: str) -> None:
    # application_rows._RowCollector reads the token stream, not lines: values follow their label
    # wherever the line breaks fall; text.text_rows turns tab-led cell lines into one row.
    plain = {key: LABELS[key].split("\t")[-1] for key in APPS}
    if layout == "\n":
        rows = [f"{plain[k]}\n" + "\t".join(map(str, v)) for k, v in APPS.items()]
        text = "\n".join(rows)
    elif layout == "cell-per-line":
        text = "\n".join(f"{plain[k]}\n" + "\n".join(map(str, v)) for k, v in APPS.items())
    else:
        text = "\n\n".join(
            f"\t{plain[k]}\n" + "\n".join(f"\t{x}" for x in v) for k, v in APPS.items()
        )
    report = parse_text(report_text(apps=text))

    assert table_values(report) == APPS
    assert report["inferred"] == []


def test_all_blank_row_is_filled_by_the_rules_and_listed() -> None:
    # rules.infer_forced (rule 3 per column, with every other row printed): the residual
    # is the row's value; every filled cell is listed in `inferred`.
    apps = {**APPS, "withheld_third_party": (None,) * 7}
    report = parse_text(report_text(apps=apps_table(apps)))

    assert table_values(report) == APPS
    assert report["inferred"] == [
        f"applications/withheld_third_party/{column}"
        for column in report["applications"]["withheld_third_party"]
    ]
    assert "applications/withheld_third_party/natural_person" not in report["provenance"]


def test_two_blank_rows_stay_null_where_the_rules_do_not_force_a_value() -> None:
    # rules._forced: several blanks sharing a positive residual are not determined; where
    # the residual is 0 every blank is 0.  Natural-person and total stay null.
    apps = {**APPS, "withheld_state_secret": (None,) * 7, "withheld_third_party": (None,) * 7}
    report = parse_text(report_text(apps=apps_table(apps)))

    for key in ("withheld_state_secret", "withheld_third_party"):
        assert table_values(report)[key] == (None, 0, 0, 0, 0, 0, None)
        assert f"applications/{key}/natural_person" not in report["inferred"]
        assert f"applications/{key}/total" not in report["inferred"]
        assert f"applications/{key}/commercial_enterprise" in report["inferred"]
    assert failed_rules(report) == []


def test_slash_means_not_applicable() -> None:
    # numbers._NA_MARKS: `/` is a printed n/a, read as null, never 0.
    active = ACTIVE_2021.replace("规章\t0\t0\t3", "规章\t/\t0\t3").replace(
        "行政事业性收费\t12.5", "行政事业性收费\t/"
    )
    report = parse_text(report_text(active=active))

    assert report["active_disclosure"]["regulations"] == {
        "issued": None,
        "repealed": 0,
        "in_force": 3,
    }
    assert report["active_disclosure"]["administrative_fees"] == {"amount": None}
    assert "active_disclosure/regulations/issued" not in report["provenance"]
    assert not any(path.startswith("active_disclosure") for path in report["inferred"])


def test_slash_row_in_applications_gets_only_forced_zeros() -> None:
    # n/a cells are null like blanks; rules.infer_forced fills them only because rule 3
    # leaves 0 for each (the row's true value), and lists them.
    apps = {**APPS, "other_overdue_fee": "\t".join("/" * 7)}
    report = parse_text(report_text(apps=apps_table(apps)))

    assert table_values(report)["other_overdue_fee"] == (0,) * 7
    assert len(report["inferred"]) == 7


def test_blank_cell_between_tabs_keeps_the_other_cells_in_their_columns() -> None:
    # cells.row_placements: a row printing exactly as many cells as columns (blank ones
    # as empty tab-separated cells) is read in order.  Failed before 7e24791: all null.
    active = ACTIVE_2021.replace("规章\t0\t0\t3", "规章\t\t0\t3")
    report = parse_text(report_text(active=active))

    assert report["active_disclosure"]["regulations"] == {
        "issued": None,
        "repealed": 0,
        "in_force": 3,
    }


# ---------------------------------------------------------------- PDF geometry

LABEL_X = (82.0, 275.0)
COLUMN_X0, COLUMN_WIDTH, ROW_HEIGHT = 275.0, 35.0, 17.0


def _box(x0: float, top: float, x1: float) -> BBox:
    return (x0, top, x1, top + ROW_HEIGHT)


def grid_row(top: float, label: str, values: tuple[int | None, ...]) -> Row:
    """A ruled-table row as extract.pdf emits it: every cell boxed, blank cells as ""."""
    cells = [Cell(label, _box(*LABEL_X[:1], top, LABEL_X[1]))]
    for column, value in enumerate(values):
        x0 = COLUMN_X0 + COLUMN_WIDTH * column
        cells.append(Cell(cell_text(value), _box(x0, top, x0 + COLUMN_WIDTH)))
    return Row(cells, table=1)


def prose(text: str, top: float) -> Row:
    return Row([Cell(text, (80.0, top, 520.0, top + 14.0))])


def pdf_applications(apps: dict[str, tuple[int | None, ...]]) -> list[Row]:
    rows = [prose(TITLE, 60.0), prose("三、收到和处理政府信息公开申请情况", 90.0)]
    for index, (key, values) in enumerate(apps.items()):
        rows.append(grid_row(120.0 + ROW_HEIGHT * index, LABELS[key].split("\t")[-1], values))
    rows.append(prose("四、政府信息公开行政复议、行政诉讼情况", 700.0))
    return rows


def test_pdf_blank_cell_keeps_every_other_value_in_its_column() -> None:
    # cells.is_grid_row: a row whose every cell (blank ones too) has a box is placed by
    # position; only the blank cell is then forced by rule 1 and listed.
    apps = {**APPS, "unable_not_held": (6, 2, 0, None, 0, 0, 8)}
    report = parse_pages(pdf_applications(apps))

    assert table_values(report) == APPS
    assert report["inferred"] == ["applications/unable_not_held/social_organization"]


def test_pdf_row_of_values_without_its_blank_cells_is_placed_by_column_centres() -> None:
    # cells.column_centres from the full rows + solver.place_by_position: the three
    # printed values keep their columns though four cells of the row were never emitted.
    rows = pdf_applications(APPS)
    target = next(i for i, row in enumerate(rows) if row.text.startswith("1.本机关不掌握"))
    row = rows[target]
    rows[target] = Row([row.cells[0], row.cells[1], row.cells[2], row.cells[7]], table=1)
    report = parse_pages(rows)

    assert table_values(report) == APPS
    blank = ("research_institution", "social_organization", "legal_service_agency")
    blank += ("other_organization",)
    assert report["inferred"] == [f"applications/unable_not_held/{column}" for column in blank]


def test_pdf_active_table_blank_cells_by_header_position() -> None:
    # active_table.read_active: the header cells' x-centres place the values of a row whose blank
    # cell was never emitted (solver.place_by_position); a boxed blank cell stays null.
    # active_disclosure is never filled by the rules.
    def row(top: float, texts: list[str], xs: list[tuple[float, float]]) -> Row:
        return Row(
            [Cell(t, (a, top, b, top + 20.0)) for t, (a, b) in zip(texts, xs, strict=True)], 0
        )

    four = [(82.0, 218.0), (218.0, 318.0), (318.0, 418.0), (418.0, 519.0)]
    two = [(82.0, 218.0), (218.0, 519.0)]
    rows = [
        prose(TITLE, 50.0),
        prose("二、主动公开政府信息情况", 80.0),
        row(100.0, ["第二十条第（一）项"], [(82.0, 519.0)]),
        row(120.0, ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"], four),
        row(140.0, ["规章", "0", "3"], [four[0], four[2], four[3]]),  # blank cell not emitted
        row(160.0, ["行政规范性文件", "2", "", "15"], four),
        row(180.0, ["第二十条第（五）项"], [(82.0, 519.0)]),
        row(200.0, ["信息内容", "本年处理决定数量"], two),
        row(220.0, ["行政许可", ""], two),
    ]
    report = parse_pages(rows)

    assert report["active_disclosure"] == {
        "regulations": {"issued": None, "repealed": 0, "in_force": 3},
        "normative_documents": {"issued": 2, "repealed": None, "in_force": 15},
        "administrative_licensing": {"decisions": None},
        # rows of the edition not on these pages: present, null
        "administrative_punishment": {"decisions": None},
        "administrative_enforcement": {"decisions": None},
        "administrative_fees": {"amount": None},
    }
    assert report["inferred"] == []


# ---------------------------------------------------------------- digit runs


def rule1_splits(digits: str) -> list[list[int]]:
    """Every split of a digit run into seven numbers (no leading zeros) that obeys rule 1."""

    def splits(rest: str, count: int) -> list[list[int]]:
        if count == 0:
            return [[]] if not rest else []
        longest = 1 if rest[:1] == "0" else len(rest)
        return [
            [int(rest[:size]), *tail]
            for size in range(1, min(longest, len(rest)) + 1)
            for tail in splits(rest[size:], count - 1)
        ]

    return [cells for cells in splits(digits, 7) if sum(cells[:6]) == cells[6]]


def test_digit_run_split_by_rule_1() -> None:
    # numbers.embedded_values finds the run in the label text; solver._splits tries every
    # split; rule 1 leaves one.
    assert rule1_splits("640020470") == [[64, 0, 0, 2, 0, 4, 70]]
    report = parse_text(
        f"{TITLE}\n三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量640020470"
    )

    assert table_values(report)["new_received"] == (64, 0, 0, 2, 0, 4, 70)
    assert cell_warnings(report) == []


def _one_line(apps: dict[str, tuple[int, ...]]) -> str:
    """Section 三 as crawled web text: labels and digit runs in one line, no separators."""
    return "".join(
        LABELS[key].replace("\t", "") + "".join(map(str, values)) for key, values in apps.items()
    )


ZERO = (0,) * 7


def test_digit_run_with_two_rule_1_splits_is_resolved_by_rules_2_and_3() -> None:
    # solver.solve narrows each row's splits with the other rows' cells (rules 2 and 3).
    apps = {key: ZERO for key in APPS if key != "other_processing"}
    apps |= {
        "new_received": (11, 1, 0, 0, 0, 0, 12),
        "granted": (9, 1, 0, 0, 0, 0, 10),
        "total_processed": (9, 1, 0, 0, 0, 0, 10),
        "carried_forward": (2, 0, 0, 0, 0, 0, 2),
    }
    assert len(rule1_splits("111000012")) >= 2  # 11,1,… or 1,11,… (or 1,1,10,…)
    assert rule1_splits("91000010") == [[9, 1, 0, 0, 0, 0, 10]]
    text = f"{TITLE} 三、收到和处理政府信息公开申请情况 {_one_line(apps)} 四、政府信息公开行政复议"
    report = parse_text(text)

    assert table_values(report) == apps
    assert cell_warnings(report) == []


def test_ambiguous_digit_run_leaves_nulls_and_a_warning_never_a_guess() -> None:
    # solver._agreed: a cell the surviving splits disagree on is null; report._report warns.
    report = parse_text(f"{TITLE}\n三、收到和处理政府信息公开申请情况\n（一）予以公开111000012")

    granted = report["applications"]["granted"]
    assert granted["natural_person"] is None
    assert granted["commercial_enterprise"] is None
    assert granted["total"] == 12
    assert all(value in (None, 0) for key, value in granted.items() if key != "total")
    warned = " ".join(report["warnings"])
    assert "applications/granted/natural_person" in warned
    assert "applications/granted/commercial_enterprise" in warned
    assert "applications/granted/natural_person" not in report["inferred"]


def test_reviews_digit_run_split_by_rule_4() -> None:
    # tables.read_reviews: one 15-cell row; solver._splits + rule 4 per group.
    text = (
        f"{TITLE} 四、政府信息公开行政复议、行政诉讼情况 行政复议行政诉讼结果维持结果纠正"
        "其他结果尚未审结总计未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正"
        "其他结果尚未审结总计10203120001200000五、存在的主要问题及改进情况"
    )
    report = parse_text(text)

    assert {
        group: tuple(cells.values()) for group, cells in report["reviews_and_lawsuits"].items()
    } == {
        "administrative_reconsideration": (1, 0, 2, 0, 3),
        "litigation_direct": (12, 0, 0, 0, 12),
        "litigation_after_reconsideration": (0, 0, 0, 0, 0),
    }
    assert cell_warnings(report) == []


def test_single_space_separated_numbers_keep_their_separators() -> None:
    # numbers.parse_value (_DIGITS_APART): a cell of several spaced numbers is not one digit
    # run; embedded_values splits it.  Failed before 7e24791: 111000012, ambiguous → nulls.
    report = parse_text(
        f"{TITLE}\n三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量\n"
        "1 11 0 0 0 0 12"
    )

    assert table_values(report)["new_received"] == (1, 11, 0, 0, 0, 0, 12)


# ---------------------------------------------------------------- sections


def test_one_line_crawled_report_with_headings_mid_line() -> None:
    # tokens._split_at_headings cuts text where a later section's heading starts.
    active = (
        "二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
        "规章003行政规范性文件215第二十条第（五）项信息内容本年处理决定数量行政许可120"
        "第二十条第（六）项信息内容本年处理决定数量行政处罚35行政强制4"
        "第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费12.5"
    )
    text = (
        f"{TITLE} 一、总体情况本机关认真贯彻落实《条例》。{active}"
        f"三、收到和处理政府信息公开申请情况 申请人情况自然人法人或其他组织总计商业企业科研机构"
        f"社会公益组织法律服务机构其他{_one_line(APPS)}"
        "四、政府信息公开行政复议、行政诉讼情况 10203120001200000"
        "五、存在的主要问题及改进情况政策解读形式不够丰富。六、其他需要报告的事项无。"
    )
    assert "\n" not in text
    report = parse_text(text)

    assert report["active_disclosure"] == {
        **ACTIVE_2021_VALUES,
        "normative_documents": {"issued": 2, "repealed": 1, "in_force": 5},
    }
    assert table_values(report) == APPS
    assert report["reviews_and_lawsuits"]["litigation_direct"]["total"] == 12
    assert report["sections"]["overview"] == "本机关认真贯彻落实《条例》。"
    assert report["sections"]["other_matters"] == "无。"


def test_opening_sentence_naming_every_section_does_not_switch_sections() -> None:
    # tokens._HEADINGS require the numeral (一、 二、 …): a sentence of section names is prose.
    opening = (
        "本报告包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
        "政府信息公开行政复议、行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项"
        "等六个部分。"
    )
    report = parse_text(report_text(opening=opening))

    assert report["active_disclosure"] == ACTIVE_2021_VALUES
    assert table_values(report) == APPS
    assert report["reviews_and_lawsuits"] == REVIEWS_VALUES
    assert report["sections"] == parse_text(report_text())["sections"]


def test_opening_sentence_listing_numbered_section_names_does_not_switch_sections() -> None:
    # tokens._headings_in: three or more headings within LIST_GAP characters are a list.
    # Failed before 7e24791: the opening jumped to section 六 and every table was lost.
    opening = (
        "本报告由一、总体情况；二、主动公开政府信息情况；三、收到和处理政府信息公开申请情况；"
        "四、政府信息公开行政复议、行政诉讼情况；五、存在的主要问题及改进情况；"
        "六、其他需要报告的事项六个部分组成。"
    )
    report = parse_text(report_text(opening=opening))

    assert table_values(report) == APPS


def test_section_five_heading_is_dropped_whole_from_its_prose() -> None:
    # sections._HEADING.  Failed before 7e24791: the lazy match left 及改进情况.
    report = parse_text(report_text())

    assert report["sections"]["problems_and_improvements"] == "政策解读形式不够丰富。"


def test_prose_keeps_its_full_width_punctuation() -> None:
    # numbers._FULLWIDTH maps digits and signs only.  Failed before 7e24791: ，became ,.
    report = parse_text(report_text())

    assert report["sections"]["overview"] == "本机关认真贯彻落实《条例》，全面推进政务公开。"


def test_prose_run_into_its_heading_keeps_its_first_words() -> None:
    text = (
        f"{TITLE}\n五、存在的主要问题及改进情况（一）存在的主要问题：政策解读形式不够丰富。"
        "（二）改进措施：加强解读。"
    )
    report = parse_text(text)

    assert report["sections"]["problems_and_improvements"] == (
        "（一）存在的主要问题：政策解读形式不够丰富。（二）改进措施：加强解读。"
    )


def test_short_closing_sections_on_one_line_are_still_headings() -> None:
    text = (
        f"{TITLE} 三、收到和处理政府信息公开申请情况 一、本年新收政府信息公开申请数量640020470"
        " 四、政府信息公开行政复议、行政诉讼情况 本年度未发生行政复议、行政诉讼。"
        "五、存在的主要问题及改进情况 宣传不够。六、其他需要报告的事项 无。"
    )
    report = parse_text(text)

    assert report["sections"]["problems_and_improvements"] == "宣传不够。"
    assert report["sections"]["other_matters"] == "无。"


@pytest.mark.parametrize(
    "reviews",
    [
        pytest.param(REVIEWS.splitlines()[-1], id="values-row-only"),
        pytest.param("\n".join(REVIEWS.splitlines()[1:]), id="header-rows-and-values"),
    ],
)
def test_reviews_table_with_its_heading_missing(reviews: str) -> None:
    # application_rows._looks_like_review_row: a label-less 15-value row inside section 三.
    report = parse_text(report_text(reviews=reviews))

    assert report["reviews_and_lawsuits"] == REVIEWS_VALUES
    assert table_values(report) == APPS
    assert report["inferred"] == []


def test_prose_mentioning_a_row_before_the_active_table_does_not_claim_it() -> None:
    # active_table.read_active: a row label that got no values can be claimed again by the table.
    # Failed before 7e24791: 规章 and 规范性文件 both came out null.
    active = ACTIVE_2021.replace(
        "二、主动公开政府信息情况\n", "二、主动公开政府信息情况\n本年度制发行政规范性文件2件。\n"
    )
    report = parse_text(report_text(active=active))

    assert report["active_disclosure"] == ACTIVE_2021_VALUES


# ---------------------------------------------------------------- titles

TITLES = {
    "agency-line-then-year-line": (
        "郑州市二七区市场监督管理局\n2020年政府信息公开工作年度报告",
        "郑州市二七区市场监督管理局",
        2020,
    ),
    "year-line-then-agency-line": (
        "2020年长海县人民政府\n政府信息公开工作年度报告",
        "长海县人民政府",
        2020,
    ),
    "agency-and-year-line-then-report-line": (
        "长海县人民政府2023年度\n政府信息公开工作年度报告",
        "长海县人民政府",
        2023,
    ),
    "three-lines": ("长海县人民政府\n2023年度\n政府信息公开工作年度报告", "长海县人民政府", 2023),
    "repeated-two-line-title": (
        "某某市某某局\n2021年政府信息公开工作年度报告\n某某市某某局\n2021年政府信息公开工作年度报告",
        "某某市某某局",
        2021,
    ),
    "spaces-inside-words": (
        "某 某 市 某 某 局 2021 年政府信息公开工作年度报告",
        "某某市某某局",
        2021,
    ),
    "breadcrumb-line-before-title": (
        f"首页 > 信息公开 > 政府信息公开工作年度报告\n{TITLE}",
        "某某市某某局",
        2021,
    ),
    "breadcrumb-on-the-title-line": (
        f"当前位置：首页 > 政务公开 > 政府信息公开年报 > {TITLE}",
        "某某市某某局",
        2021,
    ),
    "title-field-prefix": (
        "标题: 某某市某某局2021年度政府信息公开工作年度报告",
        "某某市某某局",
        2021,
    ),
    "guanyu-before-the-agency": (f"关于{TITLE}", "某某市某某局", 2021),
}


@pytest.mark.parametrize(("title", "agency", "year"), TITLES.values(), ids=TITLES.keys())
def test_title(title: str, agency: str, year: int) -> None:
    # title.find_title: windows of up to three joined rows, spaces removed (_SPACE), text up
    # to the last breadcrumb mark or colon cut off (_BREADCRUMB), a leading 关于 (_NOISE).
    report = parse_text(report_text(title=title))

    assert (report["agency"], report["year"]) == (agency, year)


def test_breadcrumb_ending_in_a_year_before_the_title() -> None:
    # title._BREADCRUMB cuts at a year, title._TITLE's agency part holds no digits.
    # Failed before 7e24791: the agency was 某某市某某局2021年.
    report = parse_text(report_text(title=f"首页 > 信息公开 > 年报 > 2021年\n{TITLE}"))

    assert report["agency"] == "某某市某某局"


@pytest.mark.parametrize(
    "banner", ["某某市人民政府门户网站", "政府信息公开"], ids=["site-banner", "column-name"]
)
def test_banner_line_above_a_one_line_title_is_not_part_of_the_agency(banner: str) -> None:
    # title.find_title prefers a complete one-line title to a window joined with the line
    # above.  Failed before 9579a76: 某某市人民政府门户网站某某市某某局.
    report = parse_text(report_text(title=f"{banner}\n{TITLE}"))

    assert report["agency"] == "某某市某某局"


# ---------------------------------------------------------------- what is not a (whole) report

PRE_2019 = """某某县人民政府2017年政府信息公开工作年度报告
一、概述
2017年，我县认真贯彻落实《中华人民共和国政府信息公开条例》。
二、主动公开政府信息情况
全年主动公开政府信息1234条。
三、依申请公开政府信息情况
全年共受理政府信息公开申请15件，已全部办结。
四、政府信息公开的收费及减免情况
未收取任何费用。
五、因政府信息公开申请提起行政复议、行政诉讼的情况
全年未发生行政复议和行政诉讼。
六、存在的主要问题及改进措施
公开内容还不够全面。"""


def test_pre_2019_format_report() -> None:
    # report.parse_document: no table found and report._is_pre_2019 (year, or the old
    # 依申请公开/收费及减免 headings) → edition pre2019; rules.check_rules → failed `format`.
    report = parse_text(PRE_2019)

    assert (report["agency"], report["year"], report["edition"]) == (
        "某某县人民政府",
        2017,
        "pre2019",
    )
    assert report["active_disclosure"] == report["applications"] == {}
    assert report["reviews_and_lawsuits"] == {}
    assert [(c["rule"], c["ok"]) for c in report["checks"]] == [("format", False)]
    assert report["inferred"] == []


def test_fragment_with_only_the_applications_table() -> None:
    # report.parse_document reads section 0 (before any heading) when 三 is absent;
    # no title → agency and year null.
    report = parse_text(apps_table())

    assert (report["agency"], report["year"]) == (None, None)
    assert report["edition"] == "2021"
    assert table_values(report) == APPS
    assert report["active_disclosure"] == {}
    assert report["reviews_and_lawsuits"] == {}


@pytest.mark.parametrize(
    "text",
    [
        "今天天气很好，我们去公园散步。\n公园里有很多人。",
        "关于印发2021年政务公开工作要点的通知\n一、总体要求\n二、主要任务\n三、保障措施",
        "某某市2021年国民经济和社会发展统计公报\n一、综合\n全年地区生产总值1234亿元。",
    ],
    ids=["prose", "work-plan-notice", "statistics-bulletin"],
)
def test_text_that_is_not_a_report(text: str) -> None:
    # report.parse_document: no title and none of the tables → NotAReport.
    with pytest.raises(NotAReport):
        parse_text(text)


# ---------------------------------------------------------------- checks and provenance


def test_every_rule_is_reported() -> None:
    # rules.check_rules: one check per evaluable instance.
    report = parse_text(report_text())

    counts = {rule: 0 for rule in ("rule1", "rule2", "rule3", "rule4")}
    for check in report["checks"]:
        counts[check["rule"]] += 1
        assert check["ok"], check
    assert counts == {"rule1": 25, "rule2": 7, "rule3": 7, "rule4": 3}


def test_inconsistent_table_keeps_its_printed_numbers_and_reports_the_failed_rule() -> None:
    # A full row has one reading (solver.candidates), kept whatever the arithmetic says;
    # rules.check_rules reports rule 1 for the row and rule 3 for its columns.
    apps = {**APPS, "granted": (20, 3, 1, 1, 1, 1, 28)}
    report = parse_text(report_text(apps=apps_table(apps)))

    assert table_values(report)["granted"] == (20, 3, 1, 1, 1, 1, 28)
    assert report["inferred"] == []
    failed = {(c["rule"], c["detail"].split(":")[0]) for c in report["checks"] if c["ok"] is False}
    assert failed == {("rule1", "granted"), ("rule3", "total")}


def _numbers(report: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{section}/{row}/{column}": value
        for section in ("active_disclosure", "applications", "reviews_and_lawsuits")
        for row, cells in report[section].items()
        for column, value in cells.items()
        if value is not None
    }


def test_provenance_of_every_number_in_plain_text() -> None:
    # TableRead.put records each value's token; report._report writes page/bbox/method.
    report = parse_text(report_text())

    numbers = _numbers(report)
    assert len(numbers) == 10 + 25 * 7 + 15
    assert set(number_provenance(report)) == set(numbers)
    for entry in number_provenance(report).values():
        assert entry == {"page": 1, "bbox": None, "method": "plain", "confidence": None}


def test_provenance_of_every_number_in_pdf_rows_has_its_page_and_box() -> None:
    apps = {**APPS, "unable_not_held": (6, 2, 0, None, 0, 0, 8)}
    report = parse_pages([prose("第一页", 60.0)], pdf_applications(apps))

    numbers = _numbers(report)
    read = {path for path in numbers if path not in report["inferred"]}
    assert len(read) == 25 * 7 - 1
    assert set(number_provenance(report)) == read
    top = 120.0 + ROW_HEIGHT * list(APPS).index("unable_not_held")
    assert report["provenance"]["applications/unable_not_held/total"] == {
        "page": 2,
        "bbox": [485.0, top, 520.0, top + ROW_HEIGHT],
        "method": "text",
        "confidence": None,
    }
    assert all(entry["page"] == 2 and entry["bbox"] for entry in number_provenance(report).values())


# ---------------------------------------------------------------- OCR garbles found on scans


def test_garbled_first_active_row_label_is_still_that_row() -> None:
    # active_table._garbled_next_row: OCR read 规章 as 规剖 on a scan
    active = ACTIVE_2021.replace("规章\t", "规剖\t")
    report = parse_text(report_text(active=active))

    assert (
        report["active_disclosure"]["regulations"]
        == parse_text(report_text())["active_disclosure"]["regulations"]
    )


def test_title_with_its_last_character_garbled_still_gives_agency_and_year() -> None:
    # title._TITLE accepts 报 and any character: OCR read 报告 as 报千
    report = parse_text(report_text(title="某某市某某局2021年政府信息公开工作年度报千"))

    assert (report["agency"], report["year"]) == ("某某市某某局", 2021)


def test_group_label_repeated_in_every_sub_row_as_converters_print_it() -> None:
    # labels.APPLICATION_LABELS other_misc: （六）其他处理3.其他 is the 3.其他 row, not the
    # 2019 edition's single （六）其他处理 row (which would clash with the other two).
    groups = {"（三）不予公开": range(4, 12), "（四）无法提供": range(12, 15)}
    groups |= {"（五）不予处理": range(15, 20), "（六）其他处理": range(20, 23)}
    labels = dict(LABELS)
    keys = list(APPS)
    for group, rows in groups.items():
        for index in rows:
            labels[keys[index]] = group + LABELS[keys[index]].split("\t")[-1]
    report = parse_text(report_text(apps=apps_table(labels=labels)))

    assert table_values(report) == APPS
    assert "other_processing" not in report["applications"]

    # labels.label_pieces keeps the group label with its sub-row's: else each row's
    # （六）其他处理 would open the 2019 row, which would take the values of a row below
    # whose label was lost.
    report = parse_text(report_text(apps=apps_table(labels={**labels, "total_processed": ""})))

    assert table_values(report) == APPS


def test_a_blank_rows_label_run_into_the_next_rows_label_gets_no_values() -> None:
    # labels.label_pieces: crawled text prints a blank row as its label alone, run into
    # the next label; each label is matched, and the digits after them go to the second.
    apps = {**APPS, "other_overdue_fee": (None,) * 7}
    text = report_text(apps=apps_table(apps).replace("\t", "").replace("\n", ""))

    report = parse_text(text)

    assert report["applications"]["other_overdue_fee"] == dict.fromkeys(
        report["applications"]["other_overdue_fee"], 0
    )  # forced to 0 by rule 3 (its other rows add up), and listed as inferred
    assert "applications/other_overdue_fee/total" in report["inferred"]
    assert table_values(report)["other_misc"] == APPS["other_misc"]


def test_a_blank_active_row_run_into_the_next_sub_tables_header_and_label() -> None:
    # labels.match_active_row: of several labels in one text, the last takes the values.
    text = ACTIVE_2019.replace("其他对外管理服务事项\t21\t+1\t2610", "其他对外管理服务事项")
    text = text.replace("\t", " ").replace("\n", " ")
    report = parse_text(report_text(active=text))

    active = report["active_disclosure"]
    assert active["other_external_services"] == dict.fromkeys(active["other_external_services"])
    assert active["administrative_punishment"] == {
        "previous_items": 2,
        "change": 1,
        "decisions": 30,
    }


def test_a_row_whose_label_was_lost_is_the_one_row_its_neighbours_leave_out() -> None:
    # application_rows._RowCollector.finish / _rows_between: converters drop label cells; a
    # whole row of values between 8.属于行政查询事项 and 2.没有现成信息 can only be 1.本机关不掌握.
    labels = {**LABELS, "unable_not_held": ""}
    report = parse_text(report_text(apps=apps_table(labels=labels)))

    assert table_values(report) == APPS
    assert report["inferred"] == []


def test_two_rows_whose_labels_were_lost_side_by_side_are_not_guessed() -> None:
    labels = {**LABELS, "unable_not_held": "", "unable_needs_creation": ""}
    report = parse_text(report_text(apps=apps_table(labels=labels)))

    for row in ("unable_not_held", "unable_needs_creation"):
        for column, value in report["applications"][row].items():
            assert value in (None, APPS[row][list(report["applications"][row]).index(column)])


def test_the_2021_sub_rows_follow_their_group_label_whose_item_number_lost_its_point() -> None:
    # Seen on a one-page image of table 三: OCR read `1.申请人…` as `1申请人…`.
    # numbers.embedded_values: a lone digit opening a cell, run into words, is an item
    # number, not a value; labels.match_application_row: after （六）其他处理 its 2021
    # sub-rows may still come.
    labels = {
        **LABELS,
        "other_overdue_correction": "（六）其他处理\t1申请人无正当理由逾期不补正、行政机关不",
    }
    report = parse_text(report_text(apps=apps_table(labels=labels)))

    assert report["edition"] == "2021"
    assert "other_processing" not in report["applications"]
    assert table_values(report) == APPS


def test_values_beside_the_group_label_are_its_one_unrecognised_sub_row() -> None:
    # application_rows._drop_superseded: （六）其他处理 holding values beside the 2021 sub-rows
    # heads them; the values are the sub-row whose label could not be read, if only one is missing.
    labels = {**LABELS, "other_overdue_correction": "（六）其他处理\t■■■"}
    report = parse_text(report_text(apps=apps_table(labels=labels)))

    assert report["edition"] == "2021"
    assert table_values(report) == APPS
