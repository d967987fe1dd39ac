"""The plain-text reader: cells from tabs, pipes and space runs; decoding; the seed texts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from paths import SEED_TEXTS

from extract.document import Document, Row
from extract.errors import UnsupportedInput
from extract.text import read_text

NEW_RECEIVED = "一、本年新收政府信息公开申请数量"


def _read(tmp_path: Path, content: str | bytes, name: str = "report.txt") -> list[Row]:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    document = read_text(path, "0" * 64)
    assert [page.method for page in document.pages] == ["plain"]
    return document.pages[0].rows


def _cells(rows: list[Row]) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in rows]


def test_tab_rows_keep_blank_cells(tmp_path: Path) -> None:
    rows = _read(tmp_path, "行政许可\t0\t\t\n\t\t3. 危及“三安全一稳定”\t0\t\t5\n")
    assert _cells(rows) == [
        ["行政许可", "0", "", ""],
        ["", "", "3. 危及“三安全一稳定”", "0", "", "5"],
    ]
    assert all(cell.bbox is None for row in rows for cell in row.cells)


def test_table_numbers_follow_runs_of_table_rows(tmp_path: Path) -> None:
    text = "标题\n\n规章\t0\n\n行政许可\t1\n三、收到和处理政府信息公开申请情况\na\tb\n"
    rows = _read(tmp_path, text)
    assert [row.table for row in rows] == [None, 0, 0, None, 1]


def test_markdown_pipe_table(tmp_path: Path) -> None:
    text = (
        "| 信息内容 | 本年制发件数 | 本年废止件数 |\n"
        "| --- | :---: | ---: |\n"
        "| **规章** | 0<br>  | |\n"
    )
    rows = _read(tmp_path, text)
    assert _cells(rows) == [["信息内容", "本年制发件数", "本年废止件数"], ["规章", "0", ""]]
    assert {row.table for row in rows} == {0}


def test_layout_text_splits_on_space_runs_only(tmp_path: Path) -> None:
    rows = _read(tmp_path, "行政处罚     1282   42\n2021 年 的 报告\n")
    assert _cells(rows) == [["行政处罚", "1282", "42"], ["2021 年 的 报告"]]
    assert [row.table for row in rows] == [0, None]


def test_markdown_decoration_is_dropped(tmp_path: Path) -> None:
    text = (
        "### 一、总体情况\n- (二)建立健全保障机制\n**六、其他需要报告的事项** 无。\n"
        "<b>—</b> ,\t一、本年新收\n---\t---\t---\n---\n"
    )
    assert _cells(_read(tmp_path, text)) == [
        ["一、总体情况"],
        ["(二)建立健全保障机制"],
        ["六、其他需要报告的事项 无。"],
        ["— ,", "一、本年新收"],
    ]


def test_cell_per_line_blocks_become_one_row(tmp_path: Path) -> None:
    text = (
        "四、政府信息公开行政复议、行政诉讼情况\n\t行政复议\n\t行政诉讼\n\n"
        "\t\n\t社会\n公益\n组织\n\t结\n果\n维\n持\n\n"
        "\t一、本年新收政府信息公开申请数量\n\t0\n\t3\n"
    )
    rows = _read(tmp_path, text)
    assert _cells(rows) == [
        ["四、政府信息公开行政复议、行政诉讼情况"],
        ["行政复议", "行政诉讼"],
        ["", "社会公益组织", "结果维持"],
        [NEW_RECEIVED, "0", "3"],
    ]
    assert [row.table for row in rows] == [None, 0, 0, 0]


def test_gb18030_and_bom(tmp_path: Path) -> None:
    text = "规范性文件\t69\t3\t665\n"
    assert _cells(_read(tmp_path, text.encode("gb18030"))) == [["规范性文件", "69", "3", "665"]]
    assert _cells(_read(tmp_path, b"\xef\xbb\xbf" + text.encode())) == [
        ["规范性文件", "69", "3", "665"]
    ]


@pytest.mark.parametrize(
    "content",
    [b"abc\x00def", bytes(range(256)) * 4, "行政".encode() + b"\x80"],  # last: UTF-8 nor GB18030
)
def test_binary_is_refused(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(UnsupportedInput):
        _read(tmp_path, content)


@pytest.mark.parametrize("path", SEED_TEXTS, ids=lambda path: path.stem)
def test_seed_has_new_received_row_with_values(path: Path) -> None:
    rows = read_text(path, "0" * 64).pages[0].rows
    matches = [
        row
        for row in rows
        if row.table is not None and re.sub(r"\s", "", row.text).find(NEW_RECEIVED) >= 0
    ]
    assert len(matches) == 1, [row.text for row in rows if "本年新收" in row.text]
    values = [cell.text for cell in matches[0].cells if re.fullmatch(r"\d+", cell.text)]
    assert len(values) >= 5  # 002's source lost two of its seven cells


def test_run_together_web_text_stays_one_row(pingtan: Path) -> None:
    document: Document = read_text(pingtan, "0" * 64)
    rows = document.pages[0].rows
    body = [row for row in rows if NEW_RECEIVED in row.text]
    assert len(body) == 1 and len(body[0].cells) == 1 and body[0].table is None
    assert "规章 000行政规范性文件693665" in body[0].text
