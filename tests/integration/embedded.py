"""`gongkai` commands in embedded mode on one data folder, with its SQLite file or a
PostgreSQL database (the `env` fixture of conftest.py gives both)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from live import GONGKAI
from sqlalchemy import text

from worker import db
from worker.store import Store


def database_url(env: dict[str, str]) -> str:
    """The database the commands run with `env` use."""
    return env.get("GONGKAI_DATABASE_URL") or f"sqlite:///{env['GONGKAI_DATA_DIR']}/gongkai.sqlite3"


def store_of(env: dict[str, str]) -> Store:
    return Store(db.engine(database_url(env)))


def gongkai_ok(env: dict[str, str], *args: object) -> subprocess.CompletedProcess[bytes]:
    """Run a command that must succeed."""
    done = subprocess.run([GONGKAI, *map(str, args)], env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    return done


def watch_once(env: dict[str, str], inbox: Path, files: dict[str, bytes]) -> None:
    """Drop `files` (name: bytes) into `inbox` and let `gongkai watch --once` store them."""
    inbox.mkdir(exist_ok=True)
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    gongkai_ok(env, "watch", "--once", inbox)


def as_if_an_older_parser_wrote(env: dict[str, str], filename: str, **cells: Any) -> None:
    """Make the newest stored result of `filename` what an older parser wrote: `cells`
    (path: value) read otherwise, and no parser version recorded."""
    newest = "SELECT id, report_text FROM documents WHERE filename = :name ORDER BY revision DESC"
    older = "UPDATE documents SET report_text = :text, parser_version = NULL WHERE id = :id"
    with db.engine(database_url(env)).begin() as connection:
        row_id, stored = connection.execute(text(newest), {"name": filename}).first() or ()
        report = json.loads(stored)
        for path, value in cells.items():
            table, row, column = path.split("/")
            report[table][row][column] = value
        written = json.dumps(report, ensure_ascii=False)
        connection.execute(text(older), {"text": written, "id": row_id})
