"""The schema's migrations: a fresh database, one made before migrations, and processes
that start together on a fresh data folder."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from live import GONGKAI, base_env
from sqlalchemy import create_engine, text

from worker import db, migrations
from worker.ledger import Ledger

STARTER = textwrap.dedent(
    """
    import os, sys, time
    from worker import db, ledger
    go = sys.argv[2]
    while not os.path.exists(go):
        time.sleep(0.001)
    ledger.Ledger(db.engine(sys.argv[1])).jobs(limit=1)
    """
)


def test_head_is_the_newest_revision() -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    assert ScriptDirectory.from_config(config).get_heads() == [migrations.HEAD]


def test_two_processes_starting_on_a_fresh_sqlite_folder_both_succeed(tmp_path: Path) -> None:
    for attempt in range(10):
        folder = tmp_path / f"data-{attempt}"
        url = f"sqlite:///{folder / 'gongkai.sqlite3'}"
        go = tmp_path / f"go-{attempt}"
        starters = [
            subprocess.Popen(
                [sys.executable, "-c", STARTER, url, str(go)],
                stderr=subprocess.PIPE,
                encoding="utf-8",
            )
            for _ in range(2)
        ]
        time.sleep(1.5)  # both imported and waiting
        go.touch()
        for starter in starters:
            _, errors = starter.communicate(timeout=60)
            assert starter.returncode == 0, f"attempt {attempt}: {errors}"
        assert migrations.revision(create_engine(url)) == migrations.HEAD


def test_a_database_made_before_migrations_is_stamped_and_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    _schema_as_create_all_made_it(url)
    with create_engine(url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO jobs (task_id, state, attempts, retries, updated_at) "
                "VALUES ('t1', 'succeeded', 1, 0, '2026-01-01 00:00:00')"
            )
        )
    (job,) = Ledger(db.engine(url)).jobs()
    assert job.task_id == "t1" and job.state == "succeeded"
    assert migrations.revision(create_engine(url)) == migrations.HEAD


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_db_upgrade_exits_0_and_again_when_at_head(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = base_env(tmp_path / "data")
    if backend == "postgresql":
        env["GONGKAI_DATABASE_URL"] = request.getfixturevalue("database")
    first = subprocess.run([GONGKAI, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert f"upgraded from revision none to {migrations.HEAD} (head)" in first.stdout
    again = subprocess.run([GONGKAI, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"at revision {migrations.HEAD} (head), nothing to do" in again.stdout


def _schema_as_create_all_made_it(url: str) -> None:
    """The tables of revision 0001 without alembic_version: what the code before
    migrations left."""
    migrations.upgrade(url, migrations.FIRST)
    with create_engine(url).begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
