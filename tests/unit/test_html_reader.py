"""The web-page reader: merged cells stay single, noise is skipped, charsets are honoured,
and pages past the markup limits are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.document import Row
from extract.errors import LimitExceeded
from extract.html import html_rows, read_html
from extract.options import ReadOptions
from extract.read import sniff


def _read(tmp_path: Path, html: str, encoding: str = "utf-8") -> list[Row]:
    path = tmp_path / "page.html"
    path.write_bytes(html.encode(encoding))
    document = read_html(path, "0" * 64)
    assert [page.method for page in document.pages] == ["plain"]
    return document.pages[0].rows


def _cells(rows: list[Row]) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in rows]


def test_rowspan_and_colspan_cells_appear_once(tmp_path: Path) -> None:
    html = """<table>
      <tr><th rowspan="2">信息内容</th><th colspan="3">申请人情况</th></tr>
      <tr><td>自然人</td><td>法人或<br>其他组织</td><td>总计</td></tr>
      <tr><td>一、本年新收政府信息公开申请数量</td><td>64</td><td></td><td>&nbsp;70 </td></tr>
    </table>"""
    rows = _read(tmp_path, html)
    assert _cells(rows) == [
        ["信息内容", "申请人情况"],
        ["自然人", "法人或其他组织", "总计"],
        ["一、本年新收政府信息公开申请数量", "64", "", "70"],
    ]
    assert [row.table for row in rows] == [0, 0, 0]


def test_unclosed_cells_and_rows(tmp_path: Path) -> None:
    rows = _read(tmp_path, "<table><tbody><tr><td>规章<td>0<tr><td>行政许可<td>2293</table>")
    assert _cells(rows) == [["规章", "0"], ["行政许可", "2293"]]


def test_prose_blocks_and_noise(tmp_path: Path) -> None:
    html = """<!DOCTYPE html><html><head><title>页面标题</title>
      <style>p { color: red }</style><script>var t = "<p>脚本</p>";</script></head>
      <body><nav>首页 政务公开</nav>
      <h1>某某局 2021 年政府信息
          公开工作年度报告</h1>
      <p>第一行<br>第二行</p><div>一、<span>总体情况</span></div>
      </body></html>"""
    rows = _read(tmp_path, html)
    assert _cells(rows) == [
        ["某某局 2021 年政府信息公开工作年度报告"],
        ["第一行"],
        ["第二行"],
        ["一、总体情况"],
    ]
    assert all(row.table is None for row in rows)


def test_nested_table_rows_land_in_place(tmp_path: Path) -> None:
    html = """<table><tr><td>
        <p>二、主动公开政府信息情况</p>
        <table><tr><td>规章</td><td>0</td></tr></table>
        <p>三、收到和处理政府信息公开申请情况</p>
        <table><tr><td>一、本年新收政府信息公开申请数量</td><td>3</td></tr></table>
      </td></tr></table>"""
    rows = _read(tmp_path, html)
    assert _cells(rows) == [
        ["二、主动公开政府信息情况"],
        ["规章", "0"],
        ["三、收到和处理政府信息公开申请情况"],
        ["一、本年新收政府信息公开申请数量", "3"],
    ]
    assert [row.table for row in rows] == [None, 0, None, 1]


def test_declared_charset_wins(tmp_path: Path) -> None:
    """Big5 bytes also decode as (wrong) GB18030, so only the declaration gets this right."""
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5">'
        "</head><body><p>政府資訊公開年報</p></body></html>"
    )
    assert _cells(_read(tmp_path, html, "big5")) == [["政府資訊公開年報"]]


def test_mislabelled_gb2312_page_holding_gbk(tmp_path: Path) -> None:
    html = '<meta charset="gb2312"><p>瀘河回族区</p>'  # 瀘 is GBK, outside GB2312
    assert _cells(_read(tmp_path, html, "gbk")) == [["瀘河回族区"]]


def test_undeclared_gbk_falls_back_to_gb18030(tmp_path: Path) -> None:
    assert _cells(_read(tmp_path, "<p>行政处罚</p>", "gbk")) == [["行政处罚"]]


@pytest.mark.parametrize(
    ("start", "page"),
    [
        ('<div class=TRS_Editor><style type="text/css">.TRS_Editor P{}</style><p>规章</p>', True),
        (
            "<p>&nbsp;</p>\n<div class=Custom_UnionStyle><table><tr><td>规章</td></tr></table>",
            True,
        ),
        ("<style>td { border: 1px }</style>\n<div><table></table></div>", True),
        ("<![if !supportEmptyParas]><![endif]><div class=WordSection1><p class=MsoNormal>", True),
        ("\r\n  <tbody><tr><td>规章</td><td>0</td></tr></tbody>", True),
        ("发布时间：2023-01-18　来源：本机关\n<div class=TRS_Editor><p>规章</p>", True),
        # markdown may open with a tag too; its headings and pipe tables keep it text
        ('<div align="center">\n\n# 某某局2021年政府信息公开工作年度报告\n\n</div>\n', False),
        ('<p align="center">规章</p>\n\n| 信息内容 | 本年制发件数 |\n| --- | --- |\n', False),
        ("<b>一、</b>总体情况", False),
    ],
)
def test_an_article_excerpt_is_a_page(start: str, page: bool) -> None:
    """A saved article's own markup, with no <html> or <body> around it, is a web page."""
    assert (sniff(start.encode()) == "html") is page
    assert (sniff(start.encode("gbk")) == "html") is page


def test_cms_and_word_cell_markup(tmp_path: Path) -> None:
    """Padding, per-character spans, Word's <o:p> and <![if]>, hidden copies and zero-width
    spacers: each printed cell is one cell, a blank-looking one a blank cell, in place."""
    html = """<div class=TRS_Editor><table><colgroup><col width="120"><col span="7"></colgroup>
      <tr><td width="0"></td><td><p>申请人</p><p>情况</p></td>
          <td><p>社会</p><p>公益</p><p>组织</p></td><td>法律服务<br>机构</td>
          <td style="width:0pt;border:none">&nbsp;</td></tr>
      <tr><td width="0"></td><td><p>规&nbsp;章</p></td>
          <td><p>&#160;<span>1</span>
              <span>2</span>&#160;<span style="display:none">12</span></p></td>
          <td><p class=MsoNormal><span lang=EN-US>&nbsp;<o:p></o:p></span></p></td>
          <td style="width:0pt">\u3000</td></tr>
      <![if !supportMisalignedColumns]><tr height=0><td width=56></td><td></td></tr><![endif]>
    </table></div>"""
    rows = _read(tmp_path, html)
    assert _cells(rows) == [["申请人情况", "社会公益组织", "法律服务机构"], ["规章", "12", ""]]


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("<span>-</span>\n<span>3</span>", "-3"),
        ("<span>5</span> <span>.</span> <span>2</span>", "5.2"),
        ("<span>1</span> <span>,</span>", ""),
        ("12 4", "12 4"),  # the author's own space: the parser's to read
        # one number or two?  A blank cell, never two values shifting the row
        ("<p>1</p><p>2</p>", ""),
        ("1<br>24", ""),
        ("<span>12</span> <span>4</span>", ""),
    ],
)
def test_only_single_characters_apart_make_one_number(tmp_path: Path, cell: str, text: str) -> None:
    assert _cells(_read(tmp_path, f"<table><tr><td>规章</td><td>{cell}</td></tr></table>")) == [
        ["规章", text]
    ]


def test_nesting_past_the_depth_limit_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    page = "<html><body>" + "<div>" * 100_000 + "申请" + "</div>" * 100_000 + "</body></html>"
    path = tmp_path / "deep.html"
    path.write_text(page, encoding="utf-8")
    with pytest.raises(LimitExceeded, match=r"deeper than 256 levels \(GONGKAI_MAX_DEPTH\)"):
        read_html(path, "0" * 64)


def test_nesting_up_to_the_depth_limit_still_reads(tmp_path: Path) -> None:
    table = "<table><tr><td>予以公开</td><td>5</td></tr></table>"
    nested = (
        "<div>" * 250 + table + "</div>" * 250
    )  # html, body, 250 divs, table, tr, td: 255 levels
    assert _cells(_read(tmp_path, f"<html><body>{nested}</body></html>")) == [["予以公开", "5"]]
    with pytest.raises(LimitExceeded, match="deeper than 100 levels"):
        read_html(tmp_path / "page.html", "0" * 64, ReadOptions(max_depth=100))


def test_embedded_html_is_read_under_the_same_depth_limit() -> None:
    with pytest.raises(LimitExceeded, match="GONGKAI_MAX_DEPTH"):
        html_rows("<table><tr><td>" + "<span>" * 1000 + "1</td></tr></table>")


def test_more_elements_than_the_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dense.html"
    path.write_text("<html><body>" + "<p>1" * 200_000 + "</body></html>", "utf-8")
    with pytest.raises(LimitExceeded, match=r"more than 200000 elements \(GONGKAI_MAX_ELEMENTS\)"):
        read_html(path, "0" * 64)
    assert (
        len(read_html(path, "0" * 64, ReadOptions(max_elements=200_002)).pages[0].rows) == 200_000
    )


def test_a_page_past_the_markup_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_text("<html><body>" + "<p>申请</p>" * 100_000 + "</body></html>", "utf-8")
    with pytest.raises(LimitExceeded, match=r"over the 1 MB limit \(GONGKAI_MAX_MARKUP_MB\)"):
        read_html(path, "0" * 64, ReadOptions(max_markup_bytes=1024 * 1024))
    assert read_html(path, "0" * 64).pages[0].rows
