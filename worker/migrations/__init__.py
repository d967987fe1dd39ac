"""The database's schema, kept by Alembic revisions (`versions/`) instead of `create_all`.

Every process brings its database to HEAD on first use (`worker.db.engine`), and `gongkai
db upgrade` does it on its own (docker compose runs it before the worker starts).  The
upgrade runs in one transaction that first takes a lock, so processes starting together
on a fresh database take turns instead of racing to create the same tables: a PostgreSQL
advisory lock, or SQLite's write lock (`BEGIN IMMEDIATE`), which also makes SQLite's DDL
transactional, so a crash half-way leaves the previous revision, not half of the next.
The one after the lock finds the database at HEAD and does nothing.

A database made before migrations (the tables of revision 0001, no alembic_version) is
stamped 0001 and upgraded from there, keeping its rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, pool, text
from sqlalchemy.exc import OperationalError, ProgrammingError

HEAD = "0003"
"""The newest revision; a test checks it against the revisions in versions/."""

FIRST = "0001"
_LEGACY_TABLES = ("report_versions", "jobs")  # what create_all made before migrations
_LOCK = 0x676F6E676B6169  # "gongkai": the advisory lock key on PostgreSQL


def revision(engine: Engine) -> str | None:
    """The database's revision; None when it has none (fresh, or made before migrations)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None  # no alembic_version table (a database that cannot be reached fails later)


def ensure(engine: Engine) -> None:
    """Upgrade the database of `engine` to HEAD unless it is there already (the usual case:
    one query, without loading Alembic)."""
    if revision(engine) != HEAD:
        upgrade(engine.url.render_as_string(hide_password=False))


def upgrade(url: str, target: str = "head") -> tuple[str | None, str]:
    """Bring the database at `url` to HEAD (or `target`, for tests of an older schema) under
    the lock; returns the revisions before and after."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    locked = _locking_engine(url)
    try:
        with locked.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
            config = Config()
            config.set_main_option("script_location", str(Path(__file__).parent))
            config.attributes["connection"] = connection
            before = MigrationContext.configure(connection).get_current_revision()
            if before is None and _made_before_migrations(connection):
                command.stamp(config, FIRST)
                before = FIRST
            command.upgrade(config, target)
            after = MigrationContext.configure(connection).get_current_revision()
    finally:
        locked.dispose()
    assert after is not None
    return before, after


def _made_before_migrations(connection: Connection) -> bool:
    existing = inspect(connection)
    return all(existing.has_table(table) for table in _LEGACY_TABLES)


def _locking_engine(url: str) -> Engine:
    """An engine of its own for the upgrade: on SQLite, one whose transactions begin with
    BEGIN IMMEDIATE (the write lock, waited for up to 60 s), with pysqlite's own
    transaction handling off so that DDL is inside the transaction too."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, poolclass=pool.NullPool)
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    locked = create_engine(url, poolclass=pool.NullPool, connect_args={"timeout": 60})

    @event.listens_for(locked, "connect")
    def _no_driver_transactions(connection: Any, _record: Any) -> None:
        connection.isolation_level = None

    @event.listens_for(locked, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return locked
