"""The schema as `create_all` made it before migrations: report_versions and jobs.

A database made by that code has these tables but no alembic_version; the upgrade stamps
it with this revision instead of running it (see `worker.migrations`).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("task_id", sa.String(100), nullable=False),
        sa.Column("task", sa.String(100)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("filename", sa.String(1000)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(20)),
        sa.Column("page", sa.Integer()),
        sa.Column("pages", sa.Integer()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(200)),
        sa.Column("pid", sa.Integer()),
        sa.Column("agency", sa.String(400)),
        sa.Column("year", sa.Integer()),
        sa.Column("version", sa.Integer()),
        sa.Column("error_kind", sa.String(40)),
        sa.Column("error_message", sa.String(2000)),
        sa.Column("exit_code", sa.Integer()),
        sa.Column("queued_at", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    op.create_index("ix_jobs_updated_at", "jobs", ["updated_at"])
    op.create_index("ix_jobs_sha256", "jobs", ["sha256"])
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_key", sa.String(400), nullable=False),
        sa.Column("year_key", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(400)),
        sa.Column("year", sa.Integer()),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(1000), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("pages", sa.Integer()),
        sa.Column("original", sa.String(200), nullable=False),
        sa.Column("timings", _JSON, nullable=False),
        sa.Column("report", _JSON, nullable=False),
        sa.Column("task_id", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_key", "year_key", "version"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_index("ix_report_versions_agency_year", "report_versions", ["agency", "year"])


def downgrade() -> None:
    op.drop_table("report_versions")
    op.drop_table("jobs")
