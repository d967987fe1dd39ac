"""The contract's table cells as a flat catalogue: one path and one Chinese label each.

Spreadsheets and archive packages need a fixed column per number (`applications/granted/
total`), the same for every report whatever its edition, and people reading them want the
row and column names printed on the form.  Both come from report.schema.json, which
already lists every table cell of both editions with its printed label, so the catalogue
cannot drift from the contract.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from schemas.validate import load_schema

TABLES: dict[str, str] = {
    "active_disclosure": "主动公开",
    "applications": "依申请公开",
    "reviews_and_lawsuits": "行政复议行政诉讼",
}
"""The three tables, in report order, with the short Chinese names used in headers."""


@dataclass(frozen=True, slots=True)
class Field:
    """One table cell of the contract: `applications/granted/total` and its labels."""

    path: str
    labels: tuple[str, ...]  # the table's, the row's, the column's

    @property
    def table(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def row(self) -> str:
        return self.path.split("/")[1]

    @property
    def column(self) -> str:
        return self.path.rsplit("/", 1)[1]

    @property
    def label_zh(self) -> str:
        """`依申请公开｜三（一）予以公开｜总计`: a full-width bar, as labels contain `/`."""
        return "｜".join(self.labels)

    def value(self, report: Mapping[str, Any]) -> Any:
        """The cell's value in `report`; None when blank or when the row is absent."""
        return value_at(report, self.path)


def value_at(document: Mapping[str, Any], path: str) -> Any:
    """The value at a slash path of a report (`applications/granted/total`, `agency`); None
    when blank or when a step of the path is absent."""
    node: Any = document
    for key in path.split("/"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def set_value(document: dict[str, Any], path: str, value: Any) -> None:
    """Put `value` at a slash path of a report, making the objects on the way."""
    *parents, last = path.split("/")
    node = document
    for key in parents:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[last] = value


@cache
def catalogue() -> tuple[Field, ...]:
    """Every table cell of both editions, in schema order (2019 cells before 2021's)."""
    schema = load_schema()
    found: dict[str, Field] = {}
    for table, name in TABLES.items():
        for field in _cells(schema, schema["properties"][table], (table,), (name,)):
            found.setdefault(field.path, field)
    return tuple(found.values())


def row_label(table: str, row: str) -> str:
    """The printed label of one row of a table (its key when the schema has none)."""
    for field in catalogue():
        if field.table == table and field.row == row:
            return field.labels[1]
    return row


def _cells(
    schema: dict[str, Any], node: dict[str, Any], path: tuple[str, ...], labels: tuple[str, ...]
) -> Iterator[Field]:
    node = _resolve(schema, node)
    for alternative in node.get("oneOf", []):
        yield from _cells(schema, alternative, path, labels)
    for key, child in node.get("properties", {}).items():
        label = child.get("description") or _resolve(schema, child).get("description") or key
        yield from _cells(schema, child, (*path, key), (*labels, label))
    if "object" not in _types(node) and len(path) > 1:
        yield Field("/".join(path), labels)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else kind
