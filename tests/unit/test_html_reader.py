"""The web-page reader: merged cells stay single, noise is skipped, charsets are honoured."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.document import Row
from extract.html import read_html
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
    ("start", "kind"),
    [
        ('<div class=TRS_Editor><style type="text/css">.TRS_Editor P{}</style><p>规章</p>', "html"),
        (
            "<p>&nbsp;</p>\n<div class=Custom_UnionStyle><table><tr><td>规章</td></tr></table>",
            "html",
        ),
        ("<style>td { border: 1px }</style>\n<div><table></table></div>", "html"),
        ("<![if !supportEmptyParas]><![endif]><div class=WordSection1><p class=MsoNormal>", "html"),
        ("\r\n  <tbody><tr><td>规章</td><td>0</td></tr></tbody>", "html"),
        # markdown may open with a tag too; its headings and pipe tables keep it text
        ('<div align="center">\n\n# 某某局2021年政府信息公开工作年度报告\n\n</div>\n', "text"),
        ('<p align="center">规章</p>\n\n| 信息内容 | 本年制发件数 |\n| --- | --- |\n', "text"),
        ("<b>一、</b>总体情况", "text"),
    ],
)
def test_an_article_excerpt_is_a_page(start: str, kind: str) -> None:
    """A saved article's own markup, with no <html> or <body> around it, is a web page."""
    assert sniff(start.encode()) == kind
    assert sniff(start.encode("gbk")) == kind
