"""Revisions of one document's bytes, and the desk's users.

- `documents.sha256` is no longer unique: the same bytes may be stored again, parsed by a
  newer parser (`gongkai reprocess`) or corrected and reviewed at the desk.  `revision`
  counts the results stored for one document (1: the file as first parsed) and is unique
  with the SHA-256; `origin` says what made the row (parsed, reprocessed, corrected,
  reviewed); `edition` is the report's form edition, for listings.  Rows stored before are
  revision 1, parsed, with the edition their report gives.
- `users`: the people who log in to the review desk, each with a salted password hash.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("documents") as documents:
        documents.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default="1")
        )
        documents.add_column(
            sa.Column("origin", sa.String(20), nullable=False, server_default="parsed")
        )
        documents.add_column(sa.Column("edition", sa.String(10)))
        documents.drop_constraint("uq_documents_sha256", type_="unique")
        documents.create_unique_constraint("uq_documents_sha256_revision", ["sha256", "revision"])
    with op.batch_alter_table("documents") as documents:
        documents.alter_column("revision", server_default=None)
        documents.alter_column("origin", server_default=None)
    edition = "report ->> 'edition'" if postgres else "json_extract(report_text, '$.edition')"
    op.execute(f"UPDATE documents SET edition = {edition}")
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )


def downgrade() -> None:
    raise NotImplementedError("revisions cannot be folded back into one row: restore a backup")
