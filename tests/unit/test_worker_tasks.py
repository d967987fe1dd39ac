"""The task's pure parts: ids, failure descriptions, OCR page jobs, backoff, progress."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest
from billiard.exceptions import WorkerLostError
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from extract.errors import CorruptFile, ExitCode
from worker import failure, ledger, settings, tasks
from worker.failure import describe
from worker.settings import load
from worker.spool import Folders, new_job_id


def test_a_job_id_starts_with_its_file_name_and_is_new_for_every_file() -> None:
    sha = "a" * 64
    job = new_job_id(sha, "长沙市 2021年报告.pdf")
    assert job.startswith(f"process-长沙市_2021年报告.pdf-{sha[:12]}-")
    assert new_job_id(sha, "长沙市 2021年报告.pdf") != job  # the same bytes dropped again
    assert new_job_id(sha, "../..").startswith("process-file-")
    assert len(new_job_id(sha, "很长的名字" * 50)) < 100  # the ledger's column


@pytest.mark.parametrize(
    ("exception", "kind", "code", "start"),
    [
        (
            CorruptFile("not a readable PDF:\n  bad xref"),
            "corrupt_file",
            4,
            "not a readable PDF: bad",
        ),
        (SoftTimeLimitExceeded(), "limit_exceeded", 9, "processing took longer"),
        (TimeLimitExceeded(660), "limit_exceeded", 9, "processing took longer"),
        (WorkerLostError("signal 9"), "internal", 15, "the worker process died"),
        (KeyError("total"), "internal", 15, "internal error: KeyError: 'total'"),
    ],
)
def test_failures_are_described_in_the_clis_terms(
    exception: BaseException, kind: str, code: int, start: str
) -> None:
    failure = describe(exception)
    assert (failure.kind, failure.exit_code) == (kind, code)
    assert failure.message.startswith(start) and "\n" not in failure.message
    assert ExitCode(failure.exit_code)


def test_ocr_page_jobs_share_the_cores_among_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: 4)
    monkeypatch.setitem(tasks._pool, "processes", 2)
    assert tasks.ocr_jobs() == 2
    monkeypatch.setitem(tasks._pool, "processes", 8)
    assert tasks.ocr_jobs() == 1
    assert load({"GONGKAI_OCR_JOBS": "3"}).read_options(tasks.ocr_jobs()).jobs == 3


def test_backoff_grows_with_jitter_and_stays_under_the_visibility_timeout() -> None:
    for waits in (*range(12), 1000):  # an outage of hours must not overflow it
        delay = tasks._backoff(waits)
        assert 1 <= delay <= min(2 ** (min(waits, 30) + 1), tasks.current().max_backoff)


class _Task:
    def __init__(self) -> None:
        self.request = types.SimpleNamespace(id="t1", is_eager=True)
        self.states: list[dict[str, Any]] = []

    def update_state(self, state: str, meta: dict[str, Any]) -> None:
        self.states.append(meta)


def test_progress_is_reported_at_most_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: list[tuple[Any, ...]] = []
    ledger = types.SimpleNamespace(progress=lambda *args: recorded.append(args))
    monkeypatch.setattr(tasks.ledger, "current", lambda: ledger)
    now = [0.0]
    task = _Task()
    report = tasks._Reporter(task, clock=lambda: now[0])  # type: ignore[arg-type]
    report("reading", None, None)  # right after the start: the ledger says "started"
    now[0] = 1.5
    report("parsing", 3, 3)
    now[0] = 1.7
    report("validating", 3, 3)
    assert task.states == [{"stage": "parsing", "page": 3, "pages": 3}]
    assert recorded == [("t1", "parsing", 3, 3)]


def test_a_progress_report_that_fails_does_not_fail_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def down() -> Any:
        raise ConnectionError("database away")

    monkeypatch.setattr(tasks.ledger, "current", down)
    now = [0.0]
    report = tasks._Reporter(_Task(), clock=lambda: now[0])  # type: ignore[arg-type]
    now[0] = 2.0
    report("parsing", 1, 1)  # logged, not raised


def test_a_job_delivered_again_after_it_failed_leaves_its_record_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load({"GONGKAI_DATA_DIR": str(tmp_path)})
    for module in (tasks, failure, settings):
        monkeypatch.setattr(module, "current", lambda: loaded)
    spooled = Folders(tmp_path).spooled("d" * 64, "minutes.txt")
    spooled.parent.mkdir(parents=True)
    spooled.write_text("办公室周例会会议纪要\n本周五下午召开周例会。\n")
    job = tasks.enqueue(spooled)  # embedded: runs now, not a report
    kwargs = {"sha256": "d" * 64, "filename": "minutes.txt"}

    again = tasks.process.apply(kwargs=kwargs, task_id=job)  # a lost acknowledgement

    assert again.state == "IGNORED"
    found = ledger.of(loaded).job(job)
    assert found is not None and (found.state, found.error_kind) == ("failed", "not_a_report")
    assert sorted(path.name for path in (tmp_path / "failed").iterdir()) == [
        "minutes.txt",
        "minutes.txt.error.json",
    ]
