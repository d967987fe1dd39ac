"""The schema's migrations: a fresh database, one made before migrations, and processes
that start together on a fresh data folder."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from live import GONGKAI, base_env
from sqlalchemy import JSON, column, create_engine, table, text
from sqlalchemy.dialects.postgresql import JSONB

from extract.version import PARSER_VERSION
from worker import db, ledger, migrations, store, users
from worker.crossyear import served
from worker.ledger import Ledger
from worker.status import UNIDENTIFIED
from worker.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "postgresql":
        return str(request.getfixturevalue("database"))
    return f"sqlite:///{tmp_path / 'gongkai.sqlite3'}"


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


def _old_row(report: dict[str, Any], version: int, key: tuple[str, str]) -> dict[str, Any]:
    """A report_versions row as the code before 0002 wrote it."""
    return {
        "agency_key": key[0],
        "year_key": key[1],
        "version": version,
        "agency": report["agency"],
        "year": report["year"],
        "sha256": report["source"]["sha256"],
        "filename": f"{report['source']['sha256'][:4]}.pdf",
        "method": "text",
        "pages": 3,
        "original": f"originals/{report['source']['sha256']}",
        "timings": {"total": 0.5},
        "report": report,
        "task_id": None,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def test_a_database_of_the_previous_schema_upgrades_and_serves_its_reports(
    url: str, backend: str, dev01_report: dict[str, Any]
) -> None:
    migrations.upgrade(url, migrations.FIRST)
    report = dev01_report
    agency = report["agency"]

    def copy(sha: str, **changes: Any) -> dict[str, Any]:
        return {**report, **changes, "source": {**report["source"], "sha256": sha * 64}}

    rows = [
        _old_row(copy("a"), 1, (agency, "2021")),
        _old_row(copy("b"), 2, (agency, "2021")),
        _old_row(copy("c", agency=None, year=None), 1, ("_unknown-agency", "unknown-year")),
        _old_row(copy("d", agency=None, year=None), 2, ("_unknown-agency", "unknown-year")),
        _old_row(copy("e", year=None), 1, (agency, "unknown-year")),
    ]
    json_type = JSON().with_variant(JSONB(), "postgresql")
    old = table(
        "report_versions",
        *(column(name) for name in rows[0] if name not in ("timings", "report")),
        column("timings", json_type),
        column("report", json_type),
    )
    with create_engine(url).begin() as connection:
        connection.execute(old.insert(), rows)

    store = Store(db.engine(url))  # the first use upgrades
    assert migrations.revision(create_engine(url)) == migrations.HEAD
    assert [(v.version, v.sha256[0]) for v in store.history(agency, 2021)] == [(1, "a"), (2, "b")]
    shown, written = served(store, agency, 2021), copy("b")
    assert shown == written
    if backend == "postgresql":  # jsonb lost the order; the schema's order puts it back,
        del shown["provenance"], written["provenance"]  # but for the map of cell paths
    assert _text(shown) == _text(written)
    listed = [(v.agency, v.version, v.status, v.sha256[0]) for v in store.listing()]
    assert listed == [
        (agency, 2, report["review"]["status"], "b"),
        (agency, None, UNIDENTIFIED, "e"),
        (None, None, UNIDENTIFIED, "c"),
        (None, None, UNIDENTIFIED, "d"),
    ]
    for sha in "cde":
        assert store.report_by_sha(sha * 64)["source"]["sha256"] == sha * 64
        assert [v.sha256 for v in store.record(sha * 64)] == [sha * 64]
    old_version = store.history(agency, 2021)[0]
    assert (old_version.parser_version, old_version.gongkai_version) == (None, None)
    assert (old_version.revision, old_version.origin) == (1, "parsed")
    assert old_version.edition == report["edition"]
    newer = store.save(copy("f"), filename="f.pdf", original="o", timings={})
    assert newer.version == 3 and newer.parser_version == PARSER_VERSION


def test_documents_of_schema_0002_become_first_revisions_with_their_edition(
    url: str, dev01_report: dict[str, Any]
) -> None:
    migrations.upgrade(url, "0002")
    report, sha = dev01_report, dev01_report["source"]["sha256"]
    documents = table(
        "documents",
        *(column(name) for name in ("sha256", "agency", "year", "version", "latest", "status")),
        *(column(name) for name in ("filename", "method", "pages", "original", "report_text")),
        column("timings", JSON()),
        column("created_at"),
    )
    with create_engine(url).begin() as connection:
        connection.execute(
            documents.insert(),
            {
                "sha256": sha,
                "agency": report["agency"],
                "year": report["year"],
                "version": 1,
                "latest": True,
                "status": report["review"]["status"],
                "filename": "dev-01.pdf",
                "method": "text",
                "pages": 3,
                "original": f"originals/{sha}",
                "report_text": json.dumps(report, ensure_ascii=False),
                "timings": {"total": 0.5},
                "created_at": datetime(2026, 6, 1, tzinfo=UTC),
            },
        )

    store = Store(db.engine(url))  # the first use upgrades
    stored = store.document(sha)
    assert (stored.revision, stored.origin, stored.edition) == (1, "parsed", report["edition"])
    assert store.report_by_sha(sha) == report
    revised = store.revise(sha, {**report, "corrections": []}, "corrected")  # sha no longer unique
    assert (revised.version, revised.revision) == (2, 2)


def _text(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def _schema_as_create_all_made_it(url: str) -> None:
    """The tables of revision 0001 without alembic_version: what the code before
    migrations left."""
    migrations.upgrade(url, migrations.FIRST)
    with create_engine(url).begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def test_the_tables_the_code_maps_are_the_ones_the_migrations_make(url: str, backend: str) -> None:
    migrations.upgrade(url)
    mapped = {ledger.Job.__tablename__, store.Document.__tablename__, users.User.__tablename__}
    assert mapped <= db.Base.metadata.tables.keys()
    with create_engine(url).connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, db.Base.metadata)
    generated = ("remove_column", None, "documents", "report")  # PostgreSQL's jsonb, unmapped
    assert [d for d in differences if (*d[:3], d[3].name) != generated] == []
