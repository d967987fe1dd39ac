"""Receiving an upload: the cap, the sniffed type, the client's name, and a broker away."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
from kombu.exceptions import OperationalError

from extract.errors import EmptyFile, LimitExceeded, UnsupportedInput
from worker import settings, tasks, uploads
from worker.spool import Folders

TEXT = "某市某局2021年政府信息公开工作年度报告\n".encode()


@pytest.fixture
def with_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> settings.Settings:
    """Settings with a broker that refuses every message."""

    def refused(spooled: Path) -> str:
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks, "enqueue", refused)
    loaded = settings.load(
        {"GONGKAI_BROKER_URL": "redis://127.0.0.1:1/0", "GONGKAI_DATA_DIR": str(tmp_path)}
    )
    return loaded.model_copy(update={"max_upload_mb": len(TEXT) / 1048576})  # exactly TEXT


def test_a_refused_publish_leaves_the_file_spooled_under_its_job(
    with_broker: settings.Settings,
) -> None:
    accepted = uploads.receive(io.BytesIO(TEXT), "C:\\Users\\me\\报告.txt", with_broker)
    assert accepted.state == "spooled" and accepted.filename == "报告.txt"
    spooled = with_broker.data_dir / "spool" / accepted.sha256 / "报告.txt"
    assert spooled.read_bytes() == TEXT
    assert accepted.job == Folders(with_broker.data_dir).job(spooled)  # what a sweep queues


def test_the_cap_is_exact_and_refusals_leave_nothing_behind(
    with_broker: settings.Settings,
) -> None:
    refusals = {
        TEXT + b"x": LimitExceeded,
        b"": EmptyFile,
        b"\x00\x01\x02\x03" * 8: UnsupportedInput,
    }
    for data, error in refusals.items():
        with pytest.raises(error):
            uploads.receive(io.BytesIO(data), "a.txt", with_broker)
    leftovers = [p for p in with_broker.data_dir.rglob("*") if p.is_file()]
    assert leftovers == []
    assert uploads.receive(io.BytesIO(TEXT), None, with_broker).filename == "upload"


def test_every_input_type_the_reader_reads_is_taken(with_broker: settings.Settings) -> None:
    """The uploads ask the reader registry, so a markdown export (refused by an older list
    of its own) is spooled like a PDF."""
    markdown = "# 某局2021年政府信息公开工作年度报告\n\n| 项目 | 数 |\n|---|---|\n| 1 | 2 |\n"
    roomy = with_broker.model_copy(update={"max_upload_mb": 1.0})
    accepted = uploads.receive(io.BytesIO(markdown.encode()), "report.md", roomy)
    assert accepted.state == "spooled"
    assert (roomy.data_dir / "spool" / accepted.sha256 / "report.md").is_file()


def test_a_server_with_a_broker_queues_again_what_its_spool_holds_unqueued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[Path] = []
    monkeypatch.setattr(tasks, "enqueue", queued.append)
    loaded = settings.load(
        {"GONGKAI_BROKER_URL": "redis://127.0.0.1:1/0", "GONGKAI_DATA_DIR": str(tmp_path)}
    )
    left = Folders(tmp_path).spooled("e" * 64, "报告.txt")  # a server died before queueing it
    left.parent.mkdir(parents=True)
    left.write_bytes(TEXT)

    stop = threading.Event()
    uploads.resume(loaded, stop)

    deadline = time.monotonic() + 10
    while not queued and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    assert queued == [left]
