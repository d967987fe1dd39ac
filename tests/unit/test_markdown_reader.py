"""The markdown reader's rows: converters' table damage repaired before the parser reads it."""

from __future__ import annotations

from extract.markdown import is_markdown, markdown_rows
from extract.read import sniff

HEADER = "| 项目 | 自然人 | 商业企业 | 总计 |\n|---|---|---|---|\n"


def _cells(text: str) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in markdown_rows(text)]


def _tables(text: str) -> list[int | None]:
    return [row.table for row in markdown_rows(text)]


def test_split_table_is_one_table_and_its_repeated_header_is_dropped() -> None:
    text = HEADER + "| 予以公开 | 1 | 2 | 3 |\n\n" + HEADER + "| 部分公开 | 0 | 1 | 1 |\n\n"
    text += "| 1.属于国家秘密 | 0 | 0 | 0 |\n|---|---|---|---|\n| 2.重复申请 | 1 | 0 | 1 |\n"
    assert _cells(text) == [
        ["项目", "自然人", "商业企业", "总计"],
        ["予以公开", "1", "2", "3"],
        ["部分公开", "0", "1", "1"],
        ["1.属于国家秘密", "0", "0", "0"],
        ["2.重复申请", "1", "0", "1"],
    ]
    assert set(_tables(text)) == {0}


def test_placeholder_header_cells_never_become_values() -> None:
    text = "| 类别 | 数据1 | 数据2 | 总计 |\n|---|---|---|---|\n| 予以公开 | 1 | 2 | 3 |\n"
    text += "\n| Column 1 | col2 | 列3 | 列4 |\n|---|---|---|---|\n| 部分公开 | 0 | 1 | 1 |\n"
    assert _cells(text) == [["予以公开", "1", "2", "3"], ["部分公开", "0", "1", "1"]]


def test_lost_label_keeps_a_blank_label_cell_and_numbers_their_columns() -> None:
    text = HEADER + "| 予以公开 | 1 | 2 | 3 |\n|  | 4 | 5 | 9 |\n| 6 | 7 | 13 |\n| 8 | 8 |\n"
    assert _cells(text)[2:] == [["", "4", "5", "9"], ["", "6", "7", "13"], ["", "8", "8"]]


def test_blank_row_keeps_its_blank_cells() -> None:
    assert _cells(HEADER + "| 3.要求提供公开出版物 |  |  |  |\n")[1] == [
        "3.要求提供公开出版物",
        "",
        "",
        "",
    ]


def test_loose_line_beside_a_label_less_row_is_its_label() -> None:
    text = HEADER + "| 予以公开 | 1 | 2 | 3 |\n\n1.申请人无正当理由逾期不补正\n\n"
    text += "|  | 4 | 5 | 9 |\n|---|---|---|---|\n"
    text += "|  | 1 | 0 | 1 |\n\n3.其他\n"
    assert _cells(text)[2:] == [
        ["1.申请人无正当理由逾期不补正", "4", "5", "9"],
        ["3.其他", "1", "0", "1"],
    ]


def test_heading_over_a_table_of_numbers_is_one_row() -> None:
    text = "### （一）予以公开\n\n| 自然人 | 商业企业 | 总计 |\n|---|---|---|\n| 1 | 2 | 3 |\n"
    text += "\n### （二）部分公开\n\n| 数据1 | 数据2 | 数据3 |\n|---|---|---|\n| 0 | 1 | 1 |\n"
    text += "\n## 四、政府信息公开行政复议、行政诉讼情况\n\n| 维持 | 纠正 |\n|---|---|\n| 1 | 2 |\n"
    assert _cells(text) == [
        ["（一）予以公开", "1", "2", "3"],
        ["（二）部分公开", "0", "1", "1"],
        ["四、政府信息公开行政复议、行政诉讼情况"],
        ["维持", "纠正"],
        ["1", "2"],
    ]
    assert _tables(text) == [0, 0, None, 1, 1]


def test_docling_merged_cells_are_printed_once() -> None:
    text = (
        "| 信息内容 | 本年处理决定数量 | 本年处理决定数量 |\n|---|---|---|\n"
        "| 行政许可 | 212 | 212 |\n\n"
        "| 三、本年度办理结果 | （三）不予公开 | 1.属于国家秘密 | 0 | 1 |\n|---|---|---|---|---|\n"
        "| 三、本年度办理结果 | （三）不予公开 | 2.其他法律行政法规禁止公开 | 2 | 2 |\n"
        "| 三、本年度办理结果 | （七）总计 | （七）总计 | 2 | 3 |\n"
    )
    assert _cells(text) == [
        ["信息内容", "本年处理决定数量"],
        ["行政许可", "212"],
        ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密", "0", "1"],
        ["2.其他法律行政法规禁止公开", "2", "2"],
        ["（七）总计", "2", "3"],
    ]


def test_html_table_block_goes_through_the_html_reader() -> None:
    text = "# 报告\n\n<table><tr><td>规章</td><td>0</td></tr>\n\n"
    text += "<tr><td>行政许可</td><td>5</td></tr></table>\n\n正文。\n"
    rows = markdown_rows(text)
    assert [[c.text for c in row.cells] for row in rows] == [
        ["报告"],
        ["规章", "0"],
        ["行政许可", "5"],
        ["正文。"],
    ]
    assert [row.table for row in rows] == [None, 0, 0, None]


def test_inline_markup_is_not_content() -> None:
    text = "| **1\\.属于<br>国家秘密** | 0<br> | a \\| b |\n|---|---|---|\n"
    assert _cells(text) == [["1.属于国家秘密", "0", "a | b"]]


def test_sniffing_by_content_not_name() -> None:
    assert sniff((HEADER + "| 予以公开 | 1 | 2 | 3 |\n").encode()) == "markdown"
    assert sniff("# 报告\n\n<table><tr><td>1</td></tr></table>\n".encode("gb18030")) == "markdown"
    assert sniff("规章\t0\t0\t0\n行政许可\t1\n".encode()) == "text"
    assert sniff("| 一句话里的竖线 | 不是表格\n".encode()) == "text"
    assert not is_markdown("规章\t0\n| a | b |\n|---|---|\n行政许可\t1\n处罚\t2\n")
