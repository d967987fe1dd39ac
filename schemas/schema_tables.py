"""The JSON Schema's table definitions, generated from the row catalogue.

report.schema.json is a committed file: archive systems and the API read it as it stands,
and its prose (the top level, checks, provenance, review) is written by hand.  Its three
tables are not: every `$defs` entry that lists rows or columns (`active_disclosure_2019`
and its `ad2019_*` shapes, the same for 2021, `application_row`, `applications`,
`review_group`, `reviews_and_lawsuits`) is what `table_defs` makes of `schemas.catalogue`.
A test fails when the file differs; after changing the catalogue, rewrite the file with

    .venv/bin/python -m schemas.schema_tables
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas import catalogue
from schemas.catalogue import Column, Edition
from schemas.validate import load_schema

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")

_APPLICATION_ROW = (
    "一行：申请人情况七列（自然人、法人或其他组织六类、总计）。"
    "One row: the seven applicant columns."
)
_APPLICATIONS = (
    "三、收到和处理政府信息公开申请情况。行按表中顺序；未识读的行可缺省。"
    "三（六）其他处理：2019版为单行 {only_2019}，2021版为三行 {only_2021}；二者不并存。"
    "Rows of the applications table; rows may be absent; {only_2019} and the three 2021 other_* "
    "rows never appear together."
)
_EXCLUSIVE = (
    "{row}（2019版单行）与2021版三行其他处理不可并存。"
    "{row} never appears with the 2021 other_* rows."
)
_REVIEWS = "四、政府信息公开行政复议、行政诉讼情况；不在文件中为 {}。"
_REVIEW_GROUPS = "三组：行政复议、未经复议直接起诉、复议后起诉。"
_OWNED_PREFIXES = ("ad2019_", "ad2021_", "active_disclosure_")
"""`$defs` names only the generator writes: one it no longer makes is dropped."""


def table_defs() -> dict[str, Any]:
    """Every `$defs` entry of the three tables, as the catalogue defines them."""
    defs: dict[str, Any] = {}
    for edition in ("2021", "2019"):
        defs |= _active_defs(edition)
    defs["application_row"] = _object(
        _APPLICATION_ROW, {column.key: _cell(column) for column in catalogue.APPLICATION_COLUMNS}
    )
    defs["applications"] = _applications()
    group_columns = catalogue.REVIEW_COLUMNS
    defs["review_group"] = _object(
        "一组：" + "、".join(column.header for column in group_columns) + "。",
        {column.key: _cell(column) for column in group_columns},
    )
    groups = {
        group.key: {"$ref": "#/$defs/review_group", "description": group.name}
        for group in catalogue.REVIEW_GROUPS
    }
    defs["reviews_and_lawsuits"] = {
        "description": _REVIEWS,
        "oneOf": [_object(_REVIEW_GROUPS, groups), {"$ref": "#/$defs/empty"}],
    }
    return defs


def render_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its table definitions replaced by the generated ones, in place where
    they stand; new ones at the end."""
    generated = table_defs()
    defs: dict[str, Any] = {}
    for name, definition in schema["$defs"].items():
        if name in generated:
            defs[name] = generated[name]
        elif not name.startswith(_OWNED_PREFIXES):
            defs[name] = definition
    return {**schema, "$defs": defs | generated}


def schema_text(schema: dict[str, Any]) -> str:
    """The schema as report.schema.json holds it."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def _active_defs(edition: Edition) -> dict[str, Any]:
    """`active_disclosure_<edition>` and the `ad<edition>_*` shapes its rows share."""
    rows = catalogue.active_rows(edition)
    defs: dict[str, Any] = {}
    for row in rows:
        shape = row.shapes[edition]
        name = f"ad{edition}_{shape.name}"
        if name not in defs:
            sharing = [other.names[edition] for other in rows if other.shapes[edition] == shape]
            defs[name] = _object(
                f"{' / '.join(sharing)}（{edition}版）",
                {column.key: _cell(column) for column in shape.columns},
            )
    defs[f"active_disclosure_{edition}"] = _object(
        f"二、主动公开政府信息情况（{edition}版，{catalogue.NOTICES[edition]}）",
        {
            row.key: {
                "$ref": f"#/$defs/ad{edition}_{row.shapes[edition].name}",
                "description": row.names[edition],
            }
            for row in rows
        },
    )
    return defs


def _applications() -> dict[str, Any]:
    """The applications rows, and the rule that the two editions' （六） rows never mix."""
    only = {
        edition: [row.key for row in catalogue.APPLICATION_ROWS if row.editions == (edition,)]
        for edition in catalogue.EDITIONS
    }
    description = _APPLICATIONS.format(
        only_2019="、".join(only["2019"]), only_2021="、".join(only["2021"])
    )
    rows = {
        row.key: {"$ref": "#/$defs/application_row", "description": row.described}
        for row in catalogue.APPLICATION_ROWS
    }
    definition = _object(description, rows, required=False)
    definition["dependentSchemas"] = {
        row: {
            "description": _EXCLUSIVE.format(row=row),
            "not": {"anyOf": [{"required": [other]} for other in only["2021"]]},
        }
        for row in only["2019"]
    }
    return definition


def _object(
    description: str, properties: dict[str, Any], *, required: bool = True
) -> dict[str, Any]:
    """A closed object: these properties (all of them required, unless not) and no other."""
    definition: dict[str, Any] = {
        "type": "object",
        "description": description,
        "properties": properties,
    }
    if required:
        definition["required"] = list(properties)
    definition["additionalProperties"] = False
    return definition


def _cell(column: Column) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{column.kind}", "description": column.described}


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(render_schema(load_schema())), encoding="utf-8")
