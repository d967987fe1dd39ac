"""The database the store and the ledger share: one engine per URL and process.

SQLite (a file under GONGKAI_DATA_DIR) needs nothing running; PostgreSQL takes many
workers.  The schema is upgraded to the newest migration on first use (`worker.migrations`,
under a lock, so processes starting together do not race); forked Celery pool processes
drop the connections they inherited (SQLAlchemy's multiprocessing guidance) instead of
sharing sockets.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase

from worker import migrations

_engines: dict[str, Engine] = {}
CONNECT_TIMEOUT = 10
"""Seconds to reach a PostgreSQL server: one that accepts but never answers fails instead
of hanging a command."""
STATEMENT_TIMEOUT_MS = 120_000
"""A statement stuck longer (on a lock, a wedged server) is cancelled by the server."""


class Base(DeclarativeBase):
    """The tables of the result store and the job ledger."""


def engine(url: str) -> Engine:
    """The process's engine for `url`, its database upgraded to the newest schema on first
    use."""
    cached = _engines.get(url)
    if cached is None:
        cached = _engines[url] = _create(url)
    return cached


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        created = create_engine(url, connect_args={"timeout": 30})
        event.listen(created, "connect", _sqlite_pragmas)
    else:
        timeouts: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            if "connect_timeout" not in parsed.query:  # in the URL: the migrations' engine too
                parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT)})
            if "options" not in parsed.query:
                timeouts["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
        created = create_engine(
            parsed, pool_pre_ping=True, pool_size=2, max_overflow=4, connect_args=timeouts
        )
    migrations.ensure(created)
    return created


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets the CLI read while the watcher writes; the timeout waits out a writer."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _after_fork() -> None:
    for created in _engines.values():
        created.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork)
