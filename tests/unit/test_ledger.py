"""The job ledger while its database is away: what must not be lost waits in the backlog."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from worker import db, ledger
from worker.ledger import Backlog, Ledger


@pytest.fixture
def backlog(tmp_path: Path) -> Backlog:
    return Backlog(tmp_path / "data" / "ledger-backlog")


@pytest.fixture
def away(tmp_path: Path, backlog: Backlog) -> Ledger:
    """A ledger whose database cannot be opened."""
    return Ledger(create_engine(f"sqlite:///{tmp_path / 'missing' / 'gongkai.sqlite3'}"), backlog)


@pytest.fixture
def back(tmp_path: Path, backlog: Backlog) -> Ledger:
    """The same ledger once its database answers again."""
    return Ledger(db.engine(f"sqlite:///{tmp_path / 'gongkai.sqlite3'}"), backlog)


def test_a_job_that_ends_while_the_database_is_away_is_written_once_it_is_back(
    away: Ledger, back: Ledger, backlog: Backlog
) -> None:
    away.queued("job-1", "gongkai.process", {"sha256": "a" * 64, "filename": "a.pdf"})
    away.keep("job-1", "succeeded", agency="某市某局", year=2021, version=3)
    assert len(list(backlog.folder.iterdir())) == 2

    found = back.job("job-1")  # reading catches up first

    assert found is not None
    assert (found.state, found.filename, found.agency, found.version) == (
        "succeeded",
        "a.pdf",
        "某市某局",
        3,
    )
    assert list(backlog.folder.iterdir()) == []


def test_a_kept_write_does_not_overwrite_what_was_written_after_it(
    away: Ledger, back: Ledger
) -> None:
    away.queued("job-2", "gongkai.process", {"sha256": "b" * 64, "filename": "b.pdf"})
    back.record("job-2", "started", count_attempt=True)  # the worker got through first
    assert [(job.task_id, job.state) for job in back.jobs()] == [("job-2", "started")]


def test_states_that_a_later_write_replaces_are_not_kept(away: Ledger) -> None:
    with pytest.raises(OperationalError):
        away.record("job-3", "progress", stage="ocr")


def test_the_end_of_a_duplicate_points_at_the_stored_document(
    monkeypatch: pytest.MonkeyPatch, back: Ledger
) -> None:
    monkeypatch.setattr(ledger, "current", lambda: back)
    stored = {"agency": "某市某局", "year": 2021, "version": 1, "sha256": "c" * 64}
    ledger.record_finished("job-4", {**stored, "duplicate": True}, None)
    ledger.record_finished("job-5", {**stored, "duplicate": False}, None)
    found = {job.task_id: job for job in back.jobs()}
    assert found["job-4"].state == "duplicate" and found["job-5"].state == "succeeded"
    assert (found["job-4"].agency, found["job-4"].year, found["job-4"].version) == (
        "某市某局",
        2021,
        1,
    )
    assert found["job-4"].finished_at is not None
    assert found["job-4"].finished_at <= datetime.now(UTC)


def test_a_job_that_ended_is_not_reopened_by_a_late_delivery(back: Ledger) -> None:
    back.record("job-6", "failed", error_kind="not_a_report", exit_code=7)
    back.record("job-6", "started", count_attempt=True)
    found = back.job("job-6")
    assert found is not None and (found.state, found.error_kind) == ("failed", "not_a_report")
