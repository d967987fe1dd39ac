"""The watcher and the spool folders, with a fake queue and a hand-driven clock."""

from __future__ import annotations

import errno
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from worker import db, files, settings
from worker.errors import InvalidSetting
from worker.ledger import Job, Ledger
from worker.spool import Folders
from worker.watch import RESEND_EVERY, Watcher, build, ignored


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Queue:
    """Records what was queued; fails while `down` is set, like a broker that is away."""

    def __init__(self) -> None:
        self.sent: list[Path] = []
        self.down = False

    def __call__(self, spooled: Path) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        self.sent.append(spooled)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    return tmp_path / "inbox"


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path / "data")


def _watcher(inbox: Path, folders: Folders, queue: Queue, clock: Clock) -> Watcher:
    return Watcher(inbox, folders, queue, lambda _: True, interval=1, settle=2, clock=clock)


@pytest.mark.parametrize(
    "name",
    [".hidden.pdf", "~$report.docx", "report.pdf.part", "copy.TMP", "Thumbs.db", "a.crdownload"],
)
def test_temporary_and_system_files_are_ignored(name: str) -> None:
    assert ignored(name)


@pytest.mark.parametrize("name", ["report.pdf", "2021年报告.docx", "part.pdf", "tmp.txt"])
def test_report_names_are_not_ignored(name: str) -> None:
    assert not ignored(name)


def test_a_file_is_taken_only_after_it_stayed_unchanged(inbox: Path, folders: Folders) -> None:
    queue, clock = Queue(), Clock()
    watcher = _watcher(inbox, folders, queue, clock)
    report = inbox / "report.pdf"
    report.write_bytes(b"%PDF-1.4 first half")
    assert watcher.scan() and queue.sent == []  # first sighting
    clock.now = 1.5
    with report.open("ab") as still_writing:
        still_writing.write(b" second half")
    assert watcher.scan() and queue.sent == []  # changed: the wait starts again
    clock.now = 3.0
    assert watcher.scan() and queue.sent == []  # unchanged, but not for 2 s yet
    clock.now = 3.6
    assert not watcher.scan()
    (spooled,) = queue.sent
    assert not report.exists()
    assert spooled.read_bytes() == b"%PDF-1.4 first half second half"
    assert spooled == folders.spooled(files.sha256_of(spooled), "report.pdf")


def test_ignored_names_hidden_folders_and_links_stay_in_the_inbox(
    inbox: Path, folders: Folders
) -> None:
    queue, clock = Queue(), Clock()
    watcher = _watcher(inbox, folders, queue, clock)
    (inbox / "~$lock.docx").write_bytes(b"lock")
    (inbox / ".sync").mkdir()
    (inbox / ".sync" / "state.pdf").write_bytes(b"x")
    (inbox / "link.pdf").symlink_to(inbox / "~$lock.docx")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "deep.txt").write_bytes(b"report")
    for now in (0, 5):
        clock.now = now
        watcher.scan()
    assert [path.name for path in queue.sent] == ["deep.txt"]
    assert sorted(p.name for p in inbox.rglob("*") if p.is_file() or p.is_symlink()) == [
        "link.pdf",
        "state.pdf",
        "~$lock.docx",
    ]


def test_same_names_get_suffixes_and_duplicates_share_a_spool_folder(
    inbox: Path, folders: Folders
) -> None:
    queue, clock = Queue(), Clock()
    watcher = _watcher(inbox, folders, queue, clock)
    (inbox / "a").mkdir()
    (inbox / "b").mkdir()
    (inbox / "a" / "report.pdf").write_bytes(b"same bytes")
    (inbox / "b" / "report.pdf").write_bytes(b"same bytes")
    for now in (0, 5):
        clock.now = now
        watcher.scan()
    assert [path.name for path in queue.sent] == ["report.pdf", "report-1.pdf"]
    assert len({path.parent for path in queue.sent}) == 1


def test_a_file_that_cannot_be_queued_waits_in_the_spool_and_is_queued_later(
    inbox: Path, folders: Folders
) -> None:
    queue, clock = Queue(), Clock()
    watcher = _watcher(inbox, folders, queue, clock)
    (inbox / "report.pdf").write_bytes(b"report")
    queue.down = True
    for now in (0, 5):
        clock.now = now
        watcher.scan()
    assert queue.sent == [] and len(folders.pending()) == 1  # taken, kept, not lost
    queue.down = False
    clock.now = 6
    watcher.scan()
    assert queue.sent == []  # not hammering a broker that was just away
    clock.now = 5 + RESEND_EVERY
    watcher.scan()
    assert queue.sent == folders.pending()


def test_the_sweep_finishes_interrupted_takes_and_requeues_stale_files(
    inbox: Path, folders: Folders
) -> None:
    staged = folders.staging / "interrupted" / "report.pdf"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"moved, never hashed")
    left = folders.spooled("f" * 64, "old.pdf")
    left.parent.mkdir(parents=True)
    left.write_bytes(b"queued long ago, message lost")
    queue = Queue()
    Watcher(inbox, folders, queue, lambda p: p.name == "old.pdf", 1, 2).sweep()
    assert sorted(path.name for path in queue.sent) == ["old.pdf", "report.pdf"]
    assert not (folders.staging / "interrupted").exists()


def test_finished_files_move_on_without_overwriting(folders: Folders) -> None:
    for name in ("one", "two"):
        spooled = folders.spooled("a" * 64, f"{name}.pdf")
        spooled.parent.mkdir(parents=True, exist_ok=True)
        spooled.write_bytes(name.encode())
    first = folders.finish(folders.spooled("a" * 64, "one.pdf"), "某市/某局", 2021)
    assert first == folders.processed / "某市_某局" / "2021" / "one.pdf"
    (folders.failed).mkdir()
    (folders.failed / "two.pdf.error.json").write_text("{}")  # someone else's record
    failed = folders.fail(folders.spooled("a" * 64, "two.pdf"), {"kind": "corrupt_file"})
    assert failed == folders.failed / "two-1.pdf"
    record = json.loads((folders.failed / "two-1.pdf.error.json").read_text())
    assert record["file"] == "two.pdf" and record["kind"] == "corrupt_file" and record["time"]
    assert folders.pending() == [] and not (folders.spool / ("a" * 64)).exists()
    assert folders.finish(folders.spooled("a" * 64, "one.pdf"), None, None) is None  # redelivery


def test_a_spooled_file_keeps_the_job_id_it_was_given(folders: Folders) -> None:
    spooled = folders.spooled("b" * 64, "report.pdf")
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"report")
    job = folders.job(spooled)
    assert folders.job(spooled) == job  # the watcher, an upload and a sweep agree
    assert folders.pending() == [spooled]  # the id is kept hidden beside it
    folders.finish(spooled, "某局", 2021)
    assert not spooled.parent.exists()  # it went with the file
    spooled.parent.mkdir()
    spooled.write_bytes(b"report")  # the same bytes and name, dropped again later
    assert folders.job(spooled) != job


def test_a_duplicate_is_set_aside_with_what_it_repeats(folders: Folders) -> None:
    spooled = folders.spooled("c" * 64, "again.pdf")
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"report")
    moved = folders.set_aside(spooled, {"sha256": "c" * 64, "stored": {"version": 1}})
    assert moved == folders.duplicates / "again.pdf"
    record = json.loads((folders.duplicates / "again.pdf.duplicate.json").read_text())
    assert record["file"] == "again.pdf" and record["stored"] == {"version": 1}
    assert folders.pending() == []


def test_a_move_to_another_filesystem_copies_then_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "report.pdf"
    source.write_bytes(b"bytes")
    real_replace = os.replace

    def cross_device(src: Path, dst: Path) -> None:
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", cross_device)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.pdf").write_bytes(b"already here")
    moved = files.move_unique(source, tmp_path / "out")
    assert moved.name == "report-1.pdf" and moved.read_bytes() == b"bytes"
    assert not source.exists() and (tmp_path / "out" / "report.pdf").read_bytes() == b"already here"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report-1.pdf", "report.pdf"]


def test_a_spooled_file_is_stale_when_its_job_went_silent(tmp_path: Path, inbox: Path) -> None:
    environ = {
        "GONGKAI_BROKER_URL": "redis://127.0.0.1:1/0",  # never contacted here
        "GONGKAI_DATA_DIR": str(tmp_path / "data"),
        "GONGKAI_SOFT_TIME_LIMIT": "10",
        "GONGKAI_TIME_LIMIT": "20",
        "GONGKAI_VISIBILITY_TIMEOUT": "30",
    }
    loaded = settings.load(environ)
    watcher = build(inbox, loaded)
    spooled = watcher.folders.spooled("a" * 64, "report.pdf")
    spooled.parent.mkdir(parents=True)
    spooled.write_bytes(b"report")
    assert watcher._is_stale(spooled)  # never queued
    jobs = Ledger(db.engine(loaded.database_url))
    job = watcher.folders.job(spooled)
    jobs.queued(job, "gongkai.process", {"sha256": "a" * 64, "filename": "report.pdf"})
    assert not watcher._is_stale(spooled)  # queued just now
    jobs.record(job, "spooled")
    assert watcher._is_stale(spooled)  # the broker refused it
    jobs.record(job, "started")
    with Session(db.engine(loaded.database_url)) as session:
        session.execute(update(Job).values(updated_at=datetime.now(UTC) - timedelta(seconds=31)))
        session.commit()
    assert watcher._is_stale(spooled)  # silent for longer than Redis would wait
    assert build(inbox, settings.load({"GONGKAI_DATA_DIR": str(tmp_path / "data")}))._is_stale(
        spooled
    )  # embedded: anything left in the spool is processed again


def test_a_data_dir_inside_the_inbox_is_refused(inbox: Path) -> None:
    inside = settings.load({"GONGKAI_DATA_DIR": str(inbox / "data")})
    with pytest.raises(InvalidSetting, match="inside the watched folder"):
        build(inbox, inside)
    with pytest.raises(InvalidSetting, match="is not a folder"):
        build(inbox / "missing", inside)
