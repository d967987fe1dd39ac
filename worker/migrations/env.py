"""Alembic's environment: run the revisions on the connection `worker.migrations` hands in.

The upgrade is always started from Python (`worker.migrations.upgrade`, behind `gongkai db
upgrade` and a process's first use of a database), which has already opened the
transaction and taken the lock; so this file neither reads an alembic.ini nor makes an
engine.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
