"""The PDF reader's geometry on hand-made words and rules: grids, merged and blank cells,
wrapped and vertical labels, the unruled fallback, rule extraction and the OCR decision."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from extract.document import Row
from extract.layout import (
    Rule,
    Word,
    find_grids,
    group_lines,
    join_tokens,
    layout_rows,
    split_cells,
)
from extract.pdf import page_needs_ocr, page_rules

CHAR = 10.0  # font size of the hand-made words: a CJK character is CHAR wide and high


def word(text: str, x0: float, top: float) -> Word:
    """A word set in CHAR-point type; ASCII characters are half as wide as CJK ones."""
    width = sum(CHAR / 2 if ch.isascii() else CHAR for ch in text)
    return Word(text, x0, top, x0 + width, top + CHAR)


def hrule(y: float, x0: float, x1: float) -> Rule:
    return Rule(True, y, x0, x1)


def vrule(x: float, top: float, bottom: float) -> Rule:
    return Rule(False, x, top, bottom)


def box_grid(xs: list[float], ys: list[float]) -> list[Rule]:
    """Rules of a full grid: every row and column boundary drawn across the whole table."""
    return [hrule(y, xs[0], xs[-1]) for y in ys] + [vrule(x, ys[0], ys[-1]) for x in xs]


def texts(row: Row) -> list[str]:
    return [cell.text for cell in row.cells]


def test_wrapped_label_is_one_cell_of_the_row_holding_its_numbers() -> None:
    # Label column 0-200, two number columns 200-240 and 240-280; the second row's label
    # wraps onto two lines and its number sits vertically centred between them.
    rules = box_grid([0, 200, 240, 280], [0, 20, 60])
    words = [
        word("项目", 5, 5),
        word("甲", 215, 5),
        word("乙", 255, 5),
        word("（二）部分公开（区分处理的，", 5, 23),
        word("只计这一情形）", 5, 40),
        word("1", 218, 32),
        word("0", 258, 32),
    ]
    rows = layout_rows(words, rules)
    assert [texts(row) for row in rows] == [
        ["项目", "甲", "乙"],
        ["（二）部分公开（区分处理的，只计这一情形）", "1", "0"],
    ]
    assert {row.table for row in rows} == {0}
    assert [cell.bbox for cell in rows[1].cells] == [
        (0, 20, 200, 60),
        (200, 20, 240, 60),
        (240, 20, 280, 60),
    ]


def test_vertical_one_character_per_line_header_is_joined() -> None:
    rules = box_grid([0, 20, 60], [0, 50, 70])
    words = [word(ch, 5, 2 + 12 * k) for k, ch in enumerate("结果维持")]
    words += [word("总计", 30, 20), word("3", 38, 55), word("4", 8, 55)]
    rows = layout_rows(words, rules)
    assert [texts(row) for row in rows] == [["结果维持", "总计"], ["4", "3"]]


def test_blank_grid_cell_is_an_empty_cell_at_its_column() -> None:
    rules = box_grid([0, 100, 140, 180, 220], [0, 20, 40])
    words = [word("标签", 5, 5), word("7", 155, 5), word("空行", 5, 25)]
    first, second = layout_rows(words, rules)
    assert texts(first) == ["标签", "", "7", ""]
    assert texts(second) == ["空行", "", "", ""]
    assert [cell.x_center for cell in second.cells[1:]] == [120, 160, 200]


def test_merged_cell_appears_once_in_the_first_row_it_spans() -> None:
    # Column 0 spans rows 1-2 (no rule across it at y=40); column 1 is split.
    rules = [
        hrule(0, 0, 200),
        hrule(20, 0, 200),
        hrule(40, 60, 200),
        hrule(60, 0, 200),
        vrule(0, 0, 60),
        vrule(60, 20, 60),
        vrule(200, 0, 60),
    ]
    words = [
        word("表头", 5, 5),
        word("三、", 5, 25),
        word("结果", 5, 40),
        word("（一）予以公开", 65, 25),
        word("（二）部分公开", 65, 45),
    ]
    rows = layout_rows(words, rules)
    assert [texts(row) for row in rows] == [
        ["表头"],
        ["三、结果", "（一）予以公开"],
        ["（二）部分公开"],
    ]
    merged = rows[1].cells[0]
    assert merged.bbox == (0, 20, 60, 60)


def test_rows_without_any_text_are_left_out_but_blank_cells_are_kept() -> None:
    rules = box_grid([0, 50, 100], [0, 20, 40, 60])
    words = [word("甲", 5, 5), word("乙", 5, 45)]
    rows = layout_rows(words, rules)
    assert [texts(row) for row in rows] == [["甲", ""], ["乙", ""]]


def test_prose_and_tables_in_reading_order_with_table_numbers() -> None:
    table_a = box_grid([50, 150, 200], [100, 120, 140])
    table_b = box_grid([50, 150, 200], [300, 320, 340])
    words = [
        word("一、总体情况", 50, 50),
        word("规章", 55, 105),
        word("0", 170, 105),
        word("行政许可", 55, 125),
        word("12", 170, 125),
        word("中间一段说明文字", 50, 200),
        word("行政处罚", 55, 305),
        word("3", 170, 305),
        word("行政强制", 55, 325),
        word("1", 170, 325),
    ]
    rows = layout_rows(words, table_a + table_b)
    assert [(row.text, row.table) for row in rows] == [
        ("一、总体情况", None),
        ("规章0", 0),
        ("行政许可12", 0),
        ("中间一段说明文字", None),
        ("行政处罚3", 1),
        ("行政强制1", 1),
    ]
    prose = rows[0].cells[0]
    assert prose.bbox == (50, 50, 110, 60)


def test_unruled_fallback_groups_lines_and_splits_cells_at_wide_gaps() -> None:
    words = [
        word("二、主动公开政府信息情况", 40, 10),
        word("信息内容", 40, 40),
        word("本年制发件数", 160, 41),
        word("规章", 40, 60),
        word("5", 180, 62),  # slightly off the label's baseline: still the same line
        word("行政规范性文件", 40, 80),
        word("12", 178, 79),
        word("以上数据截至", 40, 110),
        word("2021", 105, 110),  # a normal word gap: not a new cell
        word("年底", 127, 110),
    ]
    rows = layout_rows(words, [])
    assert [(texts(row), row.table) for row in rows] == [
        (["二、主动公开政府信息情况"], None),
        (["信息内容", "本年制发件数"], 0),
        (["规章", "5"], 0),
        (["行政规范性文件", "12"], 0),
        (["以上数据截至2021年底"], None),
    ]


def test_number_centred_between_wrapped_label_lines_is_its_own_line() -> None:
    words = [word("（二）部分公开", 0, 0), word("1", 150, 6.5), word("不计其他情形）", 0, 13)]
    assert [[w.text for w in line] for line in group_lines(words)] == [
        ["（二）部分公开"],
        ["1"],
        ["不计其他情形）"],
    ]


def test_split_cells_uses_one_and_a_half_character_gaps() -> None:
    line = [word("甲", 0, 0), word("乙", 14, 0), word("丙", 40, 0)]
    assert [[w.text for w in cell] for cell in split_cells(line)] == [["甲", "乙"], ["丙"]]


def test_join_tokens_spaces_only_between_ascii_tokens() -> None:
    assert join_tokens(["1.", "属于国家秘密"]) == "1.属于国家秘密"
    assert join_tokens(["截至", "2021", "年"]) == "截至2021年"
    assert join_tokens(["http://a.gov.cn", "index.html"]) == "http://a.gov.cn index.html"
    assert join_tokens(["Section", "4"]) == "Section 4"


def test_lone_box_underline_and_page_frame_are_not_tables() -> None:
    assert find_grids(box_grid([50, 500], [700, 720])) == []
    assert find_grids([hrule(100, 50, 500)]) == []


def test_double_lines_and_thin_bars_snap_to_one_boundary() -> None:
    rules = box_grid([0, 100, 200], [0, 20, 40])
    rules += [hrule(20.4, 0, 200), vrule(100.5, 0, 40)]
    (grid,) = find_grids(rules)
    assert len(grid.xs) == 3
    assert len(grid.ys) == 3
    assert len(grid.regions) == 4


def _page(**objects: list[dict[str, Any]]) -> Any:
    """Stand-in for a pdfplumber page: only the drawing objects page_rules reads."""
    return SimpleNamespace(
        lines=objects.get("lines", []),
        rects=objects.get("rects", []),
        curves=objects.get("curves", []),
    )


def _obj(x0: float, top: float, x1: float, bottom: float, **style: Any) -> dict[str, Any]:
    return {"x0": x0, "top": top, "x1": x1, "bottom": bottom, **style}


def test_page_rules_keeps_visible_lines_only() -> None:
    black, white, blue = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.78, 0.85, 0.95)
    page = _page(
        lines=[
            _obj(10, 100, 300, 100, stroke=True, stroking_color=black),
            _obj(10, 100, 300, 200, stroke=True, stroking_color=black),  # diagonal
            _obj(10, 120, 300, 120, stroke=True, stroking_color=white),
        ],
        rects=[
            _obj(10, 200, 300, 230, fill=True, stroke=False, non_stroking_color=white),
            _obj(10, 240, 300, 270, fill=True, stroke=False, non_stroking_color=blue),
            _obj(10, 280, 300, 280.5, fill=True, stroke=False, non_stroking_color=black),
            _obj(10, 300, 100, 330, fill=False, stroke=True, stroking_color=black),
        ],
        curves=[
            {"pts": [(10, 400), (300, 400), (300, 450)], "stroke": True, "stroking_color": black}
        ],
    )
    rules = page_rules(page)
    assert sorted((r.horizontal, r.pos) for r in rules) == [
        (False, 10),
        (False, 100),
        (False, 300),
        (True, 100),
        (True, 280.25),
        (True, 300),
        (True, 330),
        (True, 400),
    ]


@pytest.mark.parametrize(
    ("chars", "needs_ocr"),
    [
        ([], True),
        (list("  \n "), True),
        (list("第1页"), True),
        (list("本报告由淮安市人民政府办公室根据条例规定编制"), False),
        (list("一二三四五六七八九十") + ["(cid:12)"] * 5, True),
        (list("一二三四五六七八九十") + ["\ufffd"] * 5, True),
        (list("一二三四五六七八九十\ue001\ue002\ue003\ue004"), True),
        (list("ÀÏÉÖÜ÷ØÙÚÛÝÞßàáâãäå政府"), True),
        (list("3001 53 0 0 61 4 3119 1288 21 0"), False),
    ],
)
def test_page_needs_ocr(chars: list[str], needs_ocr: bool) -> None:
    assert page_needs_ocr(chars) is needs_ocr


def test_scan_with_a_stamped_text_line_needs_ocr() -> None:
    stamp = list("淮安市人民政府办公室二〇二四年政府信息公开工作年度报告")
    assert page_needs_ocr(stamp, image_cover=0.95)
    assert not page_needs_ocr(stamp, image_cover=0.0)
    assert not page_needs_ocr(stamp * 3, image_cover=0.95)  # text over a letterhead image
