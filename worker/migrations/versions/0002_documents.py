"""Documents by SHA-256: report_versions → documents, keeping every row.

- Identified reports (agency and year both read) keep their versions; a document missing
  either stops being a version of `_unknown-agency/unknown-year` and becomes a record of
  its own (version NULL, status `unidentified`).
- The report is kept as JSON text (`report_text`), taken from the stored JSON; on
  PostgreSQL, whose jsonb had lost the parser's key order, the keys are put back in the
  order of the report's JSON Schema, which is the order the parser writes them in (keys
  the schema does not name stay as stored), and the map of cell paths (`provenance`) in
  the order of the form's cells, close to but not always the parser's.  On PostgreSQL `report`
  stays beside the text as jsonb, generated from it, for queries.
- New columns: `latest` (the latest version of its report, or an unidentified record),
  `status` (the review verdict, or `unidentified`), `parser_version` and
  `gongkai_version` (NULL: stored before they were recorded).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_BATCH = 500

_OLD = sa.table(
    "report_versions",
    sa.column("id", sa.Integer()),
    sa.column("version", sa.Integer()),
    sa.column("agency", sa.String()),
    sa.column("year", sa.Integer()),
    sa.column("sha256", sa.String()),
    sa.column("filename", sa.String()),
    sa.column("method", sa.String()),
    sa.column("pages", sa.Integer()),
    sa.column("original", sa.String()),
    sa.column("timings", _JSON),
    sa.column("report", _JSON),
    sa.column("task_id", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    generated = [sa.Column("report", JSONB(), sa.Computed("report_text::jsonb", persisted=True))]
    documents = op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(400)),
        sa.Column("year", sa.Integer()),
        sa.Column("version", sa.Integer()),
        sa.Column("latest", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filename", sa.String(1000), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("pages", sa.Integer()),
        sa.Column("original", sa.String(200), nullable=False),
        sa.Column("timings", _JSON, nullable=False),
        sa.Column("report_text", sa.Text(), nullable=False),
        *(generated if postgres else []),
        sa.Column("parser_version", sa.Integer()),
        sa.Column("gongkai_version", sa.String(40)),
        sa.Column("task_id", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="uq_documents_sha256"),
        sa.UniqueConstraint("agency", "year", "version", name="uq_documents_agency_year_version"),
    )
    op.create_index(
        "ix_documents_latest",
        "documents",
        ["agency", "year", "id"],
        postgresql_where=sa.text("latest"),
        sqlite_where=sa.text("latest"),
    )
    op.create_index("ix_documents_year", "documents", ["year"])
    op.create_index("ix_documents_status", "documents", ["status"])
    assert documents is not None
    _copy(documents, postgres)
    op.drop_table("report_versions")
    if postgres:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('documents', 'id'), "
            "COALESCE((SELECT max(id) FROM documents), 0) + 1, false)"
        )


def downgrade() -> None:
    raise NotImplementedError("documents cannot go back to report_versions: restore a backup")


def _copy(documents: sa.Table, postgres: bool) -> None:
    """Every row of report_versions into documents, a batch at a time, ids kept."""
    bind = op.get_bind()
    identified = sa.and_(_OLD.c.agency.is_not(None), _OLD.c.agency != "", _OLD.c.year.is_not(None))
    newest = {
        (agency, year): version
        for agency, year, version in bind.execute(
            sa.select(_OLD.c.agency, _OLD.c.year, sa.func.max(_OLD.c.version))
            .where(identified)
            .group_by(_OLD.c.agency, _OLD.c.year)
        )
    }
    order = _schema_order() if postgres else None
    last = 0
    while True:
        rows = bind.execute(
            sa.select(_OLD).where(_OLD.c.id > last).order_by(_OLD.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        bind.execute(documents.insert(), [_document(row, newest, order) for row in rows])
        last = rows[-1].id


def _document(row: Any, newest: dict[tuple[str, int], int], order: Any) -> dict[str, Any]:
    report = row.report if order is None else _ordered(row.report, order)
    known = bool(row.agency) and row.year is not None
    version = row.version if known else None
    status = (report.get("review") or {}).get("status") or "needs_review"
    return {
        "id": row.id,
        "sha256": row.sha256,
        "agency": row.agency or None,
        "year": row.year,
        "version": version,
        "latest": not known or version == newest[(row.agency, row.year)],
        "status": status if known else "unidentified",
        "filename": row.filename,
        "method": row.method,
        "pages": row.pages,
        "original": row.original,
        "timings": row.timings,
        "report_text": json.dumps(report, ensure_ascii=False, separators=(",", ":")),
        "parser_version": None,
        "gongkai_version": None,
        "task_id": row.task_id,
        "created_at": row.created_at,
    }


def _schema_order() -> Any:
    """The report's JSON Schema with its definitions, to order keys by, and the order of
    the maps keyed by path (`provenance`): agency, year, then the cells as the form prints
    them, which is the order the parser adds them in."""
    from schemas.fields import catalogue
    from schemas.validate import load_schema

    schema = load_schema()
    paths = ["agency", "year", *(field.path for field in catalogue())]
    return schema, schema.get("$defs", {}), {path: rank for rank, path in enumerate(paths)}


def _ordered(value: Any, order: Any, node: Any = None) -> Any:
    """`value` with each object's keys in the order its schema lists them (those it does not
    list after them, as they came); of alternatives (`oneOf`: the two editions), the one
    that names most of the keys; a map keyed by path in the order of the form's cells."""
    schema, definitions, paths = order
    node = _resolved(schema if node is None else node, definitions)
    alternatives = node.get("oneOf") or node.get("anyOf")
    if alternatives and isinstance(value, dict):
        resolved = [_resolved(alternative, definitions) for alternative in alternatives]
        node = max(resolved, key=lambda option: _fit(value, option.get("properties", {})))
    if isinstance(value, list):
        return [_ordered(item, order, node.get("items")) for item in value]
    if not isinstance(value, dict):
        return value
    properties = node.get("properties", {})
    rank = {key: index for index, key in enumerate(properties)} if properties else paths
    keys = sorted(value, key=lambda key: rank.get(key, len(rank)))
    extra = node.get("additionalProperties")
    return {key: _ordered(value[key], order, properties.get(key, extra)) for key in keys}


def _fit(value: dict[str, Any], properties: dict[str, Any]) -> tuple[int, int]:
    """How well an alternative names an object's keys: most named, then fewest unused."""
    named = len(value.keys() & properties.keys())
    return named, named - len(properties)


def _resolved(node: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node:
        node = definitions[node["$ref"].rsplit("/", 1)[-1]]
    return node if isinstance(node, dict) else {}
