"""The row catalogue is the one list of rows and columns: the schema file holds what it
generates, and each entry is recognised by its own words."""

from __future__ import annotations

import re

import pytest

from extract.report.labels import ACTIVE_HEADER_WORDS, match_application_row
from schemas import catalogue
from schemas.catalogue import Column
from schemas.rules import (
    APPLICATION_ROWS_2019,
    APPLICATION_ROWS_2021,
    RESULT_ROWS_2019,
    RESULT_ROWS_2021,
)
from schemas.schema_tables import SCHEMA_PATH, render_schema, schema_text
from schemas.validate import load_schema

ACTIVE_COLUMNS = [
    (edition, row, column)
    for edition in catalogue.EDITIONS
    for row, column in catalogue.active_columns(edition)
]


def test_the_schema_file_holds_the_tables_the_catalogue_generates() -> None:
    expected = schema_text(render_schema(load_schema()))
    assert SCHEMA_PATH.read_text(encoding="utf-8") == expected, (
        "report.schema.json differs from the catalogue: .venv/bin/python -m schemas.schema_tables"
    )


def test_the_schema_lists_every_catalogue_row_in_order() -> None:
    defs = load_schema()["$defs"]
    assert list(defs["applications"]["properties"]) == [
        row.key for row in catalogue.APPLICATION_ROWS
    ]
    for edition in catalogue.EDITIONS:
        assert list(defs[f"active_disclosure_{edition}"]["properties"]) == [
            row.key for row in catalogue.active_rows(edition)
        ]
    groups = defs["reviews_and_lawsuits"]["oneOf"][0]["properties"]
    assert list(groups) == [group.key for group in catalogue.REVIEW_GROUPS]


def test_keys_are_unique_within_each_list() -> None:
    for items in (
        catalogue.ACTIVE_ROWS,
        catalogue.APPLICATION_ROWS,
        catalogue.APPLICATION_COLUMNS,
        catalogue.REVIEW_GROUPS,
        catalogue.REVIEW_COLUMNS,
    ):
        keys = [item.key for item in items]
        assert len(keys) == len(set(keys)), keys


def test_an_active_row_has_a_name_and_columns_in_the_same_editions() -> None:
    for row in catalogue.ACTIVE_ROWS:
        assert set(row.names) == set(row.shapes), row.key


def test_an_edition_prints_received_rows_then_results_then_closing_rows() -> None:
    for edition, rows, results in (
        ("2019", APPLICATION_ROWS_2019, RESULT_ROWS_2019),
        ("2021", APPLICATION_ROWS_2021, RESULT_ROWS_2021),
    ):
        roles = [row.role for row in catalogue.application_rows(edition)]
        assert roles == sorted(roles, key=["received", "result", "closing"].index), edition
        assert [key for key in rows if key in results] == list(results)


def test_every_printed_row_label_is_recognised_by_its_own_words() -> None:
    for row in catalogue.APPLICATION_ROWS:
        assert re.search(row.words, row.printed), row.key
    for row in catalogue.ACTIVE_ROWS:
        for name in row.names.values():
            assert re.search(row.words, name), row.key


@pytest.mark.parametrize("edition", catalogue.EDITIONS)
def test_the_matcher_reads_an_editions_printed_labels_as_its_rows_in_order(edition: str) -> None:
    rows = [row for row in catalogue.APPLICATION_ROWS if edition in row.editions]
    found: list[str | None] = []
    for row in rows:
        found.append(match_application_row(row.printed, found[-1] if found else None))
    assert found == [row.key for row in rows]


def test_every_column_header_is_recognised_by_its_own_words() -> None:
    columns: list[Column] = [column for _, _, column in ACTIVE_COLUMNS]
    for column in (*columns, *catalogue.REVIEW_COLUMNS):
        assert re.search(column.words, column.header), column.key


def test_one_column_key_has_one_set_of_header_words() -> None:
    # The active table's reader finds a column header by key, whatever the row or edition.
    for _, _, column in ACTIVE_COLUMNS:
        assert ACTIVE_HEADER_WORDS[column.key].pattern == column.words, column.key


def test_the_words_that_decide_the_edition_are_printed_by_that_edition_only() -> None:
    for edition, row, column in ACTIVE_COLUMNS:
        if not column.edition_words:
            continue
        assert re.search(column.edition_words, column.header), (row.key, column.key)
        for other, _, other_column in ACTIVE_COLUMNS:
            if other != edition:
                assert not re.search(column.edition_words, other_column.header), column.key
