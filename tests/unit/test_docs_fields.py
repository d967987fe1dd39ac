"""The field tables of docs/report-fields.md say what the row catalogue says.

The docs are read as people write them: a label cut short with `…`, `same as above` for a
row with the previous row's columns, an English remark naming the edition of a row only one
edition prints.  The contract they copy (../shared/spec/report-fields.md) is held to the
same tables where it is checked out beside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from paths import ROOT

from schemas import catalogue
from schemas.catalogue import Column

DOCS = [
    pytest.param(ROOT / "docs" / "report-fields.md", id="docs"),
    pytest.param(ROOT.parent / "shared" / "spec" / "report-fields.md", id="shared-spec"),
]
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_KEY = re.compile(r"^`(\w+)`$")
_KEYED_TEXT = re.compile(r"`(\w+)`([^`]*)")
# 三（六）1. 申请人无正当理由逾期不补正… (2021 edition): the label, a cut, an English remark.
_LABEL = re.compile(r"^(?P<label>[^,(]+?)(?P<cut>…)?(?P<remark>(?:, | \()[A-Za-z0-9].*)?$")


def _section(path: Path, heading: str) -> str:
    """The text under a `## heading`, up to the next one."""
    if not path.exists():
        pytest.skip(f"{path} is not checked out")
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _table(text: str) -> list[list[str]]:
    """The body rows of the first markdown table in `text`, cell by cell."""
    lines = text[text.index("\n|") :].strip().splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in _CELL_SPLIT.split(line.strip())[1:-1]])
    return rows


def _key(cell: str) -> str:
    match = _KEY.match(cell)
    assert match, f"not a key: {cell}"
    return match[1]


def _columns(cell: str) -> list[tuple[str, str]]:
    """(key, the text after it) for each `key` in a cell of column keys."""
    return [(key, text.strip(" ,.")) for key, text in _KEYED_TEXT.findall(cell)]


def _assert_headers(found: list[tuple[str, str]], columns: tuple[Column, ...], where: str) -> None:
    """The keys in order; each text the docs give starts with the column's printed header."""
    assert [key for key, _ in found] == [column.key for column in columns], where
    for (key, text), column in zip(found, columns, strict=True):
        if text:
            assert text.startswith(column.header), f"{where} {key}: {text}"


@pytest.mark.parametrize("path", DOCS)
@pytest.mark.parametrize("edition", catalogue.EDITIONS)
def test_the_docs_active_table_lists_an_editions_rows_names_and_columns(
    path: Path, edition: catalogue.Edition
) -> None:
    section = _section(path, "`active_disclosure`")
    rows = _table(section[section.index(f"{edition} edition:") :])
    expected = catalogue.active_rows(edition)
    assert [_key(row[0]) for row in rows] == [row.key for row in expected]
    previous: list[tuple[str, str]] = []
    for (_, name, cell), row in zip(rows, expected, strict=True):
        assert name == row.names[edition], row.key
        found = previous if cell == "same as above" else _columns(cell)
        _assert_headers(found, row.shapes[edition].columns, f"{edition} {row.key}")
        previous = found


@pytest.mark.parametrize("path", DOCS)
def test_the_docs_list_every_application_row_in_catalogue_order(path: Path) -> None:
    rows = _table(_section(path, "`applications`"))
    assert [_key(row[0]) for row in rows] == [row.key for row in catalogue.APPLICATION_ROWS]


@pytest.mark.parametrize("path", DOCS)
def test_the_docs_print_each_application_row_label_as_the_catalogue(path: Path) -> None:
    rows = _table(_section(path, "`applications`"))
    for (_, cell), row in zip(rows, catalogue.APPLICATION_ROWS, strict=True):
        match = _LABEL.match(cell)
        assert match, cell
        if match["cut"]:
            assert row.reference.startswith(match["label"]), row.key
        else:
            assert match["label"] == row.reference, row.key


@pytest.mark.parametrize("path", DOCS)
def test_the_docs_name_the_edition_of_each_row_only_one_edition_prints(path: Path) -> None:
    rows = _table(_section(path, "`applications`"))
    for (_, cell), row in zip(rows, catalogue.APPLICATION_ROWS, strict=True):
        named = re.findall(r"(\d{4}) edition", cell)
        if len(row.editions) == 1:
            assert named[:1] == list(row.editions), row.key
        else:
            assert not named, row.key


@pytest.mark.parametrize("path", DOCS)
def test_the_docs_list_the_applicant_columns_with_their_headers(path: Path) -> None:
    section = _section(path, "`applications`")
    paragraph = section[section.index("`natural_person`") : section.index("\n\n|")]
    _assert_headers(_columns(paragraph), catalogue.APPLICATION_COLUMNS, "applications")


@pytest.mark.parametrize("path", DOCS)
def test_the_docs_list_the_review_groups_and_their_columns(path: Path) -> None:
    section = _section(path, "`reviews_and_lawsuits`")
    groups = _table(section)
    assert [(_key(key), name) for key, name in groups] == [
        (group.key, group.name) for group in catalogue.REVIEW_GROUPS
    ]
    fields = re.findall(r'"(\w+)" ([^,}]+)', section)
    assert fields == [(column.key, column.header) for column in catalogue.REVIEW_COLUMNS]
