"""The worker as deployed: `celery -A worker worker` processes, the watcher, real Redis and
PostgreSQL.

Each test gets its own PostgreSQL database, data folder and inbox, and its own worker
processes (started here, always stopped here).  Redis is a private redis-server per test
run, not the machine's: two runs of the suite at once on one machine (CI and a developer)
must not consume each other's tasks.  The restart test runs its own with an append-only
file, like docker compose's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from celery.result import AsyncResult
from deployment import BIN, Cluster, files_in, listening, redis_server, wait_for
from embedded import as_if_an_older_parser_wrote
from live import free_port
from paths import DEVSET, PINGTAN, SEED_TEXTS, TEXT_PDFS
from proxy import Proxy

from worker import db
from worker.ledger import JobView, Ledger
from worker.store import Selection, Store

pytestmark = pytest.mark.slow

TEXT_REPORTS = [*TEXT_PDFS, PINGTAN, *SEED_TEXTS]
DEVSET_SCAN = DEVSET / "dev-14.png"  # one page, OCR'd in a few seconds
GRANTED = "applications/granted/total"
MINUTES = "办公室周例会会议纪要\n本周五下午召开周例会，部署下一阶段工作。\n".encode()


@pytest.fixture
def cluster(tmp_path: Path, database: str, redis_url: str) -> Iterator[Cluster]:
    redis.Redis.from_url(redis_url).flushall()
    running = Cluster(tmp_path, database, redis_url)
    yield running
    running.close()


def _drop(inbox: Path, name: str, data: bytes) -> Path:
    """Put a file in the inbox the way a copy does: written, then renamed into place."""
    partial = inbox / f"{name}.part"
    partial.write_bytes(data)
    return partial.rename(inbox / name)


def _variant(path: Path, number: int) -> bytes:
    """Other bytes, the same report: a PDF comment after %%EOF, or blank lines after a text."""
    data = path.read_bytes()
    if number == 0:
        return data
    return data + (b"\n%% variant %d\n" % number if path.suffix == ".pdf" else b"\n" * number)


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _stored_shas(store: Store) -> list[str]:
    return [version.sha256 for version in store.listing(Selection(all_versions=True))]


def test_hundred_files_dropped_at_once_are_each_stored_once_and_the_rest_are_duplicates(
    cluster: Cluster,
) -> None:
    cluster.start_worker("worker-1", concurrency=2)
    cluster.start_watcher()
    batch: dict[str, bytes] = {}
    for number in range(3):  # three versions of each report, all distinct
        for path in TEXT_REPORTS:
            batch[f"v{number}-{path.name}"] = _variant(path, number)
    distinct = list(batch.items())
    for copy in range(100 - len(batch)):  # the rest: the same bytes under other names
        name, data = distinct[copy * 5 % len(distinct)]
        batch[f"copy{copy}-{name}"] = data
    assert len(batch) == 100
    for name, data in batch.items():
        _drop(cluster.inbox, name, data)

    cluster.wait_for_files(100, timeout=150)

    stored = _stored_shas(cluster.store)
    assert sorted(stored) == sorted({_sha256(data) for data in batch.values()})  # once each
    assert len(cluster.out("processed")) == len(distinct)  # each stored file once
    assert len(cluster.out("duplicates")) == 100 - len(distinct)
    assert cluster.out("failed") == []
    assert files_in(cluster.inbox) == [] and cluster.spooled() == []
    jobs = cluster.jobs()
    states = [job.state for job in jobs]
    assert len(jobs) == 100
    assert states.count("succeeded") == len(distinct)
    assert states.count("duplicate") == 100 - len(distinct)
    for job in jobs:  # a duplicate points at the document stored from its bytes
        stored = cluster.store.by_sha(job.sha256 or "")
        assert stored is not None
        assert (job.agency, job.year, job.version) == (stored.agency, stored.year, stored.version)
    versions = cluster.store.history("长沙市市场监督管理局", "2021")
    assert [version.version for version in versions] == [1, 2, 3]

    listed = cluster.gongkai("results", "list", "--json", "--year", "2021")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows and all(row["year"] == 2021 and row["version"] == 3 for row in rows)
    assert {"agency", "year", "version", "sha256", "filename"} <= rows[0].keys()
    shown = cluster.gongkai("results", "show", "长沙市市场监督管理局", "2021", "--version", "1")
    assert json.loads(shown.stdout)["source"]["sha256"] == versions[0].sha256
    original = cluster.data / versions[0].original
    assert _sha256(original.read_bytes()) == versions[0].sha256


def _encrypted_pdf() -> bytes:
    """A PDF whose Standard security handler wants a user password (/U matches no key)."""
    return (
        b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
        b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>> endobj\n"
        b"4 0 obj <</Filter/Standard/V 1/R 2/O<"
        + b"11" * 32
        + b">/U<"
        + b"22" * 32
        + b">/P -4>> endobj\ntrailer <</Size 5/Root 1 0 R/Encrypt 4 0 R>>\n%%EOF\n"
    )


def test_bad_files_fail_with_a_readable_reason_and_the_next_files_still_run(
    cluster: Cluster,
) -> None:
    good = TEXT_REPORTS[0].read_bytes()
    bad = {
        "1-truncated.pdf": (good[: len(good) // 2], "corrupt_file", 4),
        "2-locked.pdf": (_encrypted_pdf(), "encrypted", 5),
        "3-empty.pdf": (b"", "empty_file", 6),
        "4-minutes.txt": (MINUTES, "not_a_report", 7),
        "5-noise.bin": (bytes(range(256)) * 16, "unsupported_input", 3),
    }
    cluster.start_worker("worker-1", concurrency=1)  # one at a time: the good file comes last
    for name, (data, _, _) in bad.items():
        _drop(cluster.inbox, name, data)
    _drop(cluster.inbox, "6-good.pdf", good)
    subprocess.run([BIN / "gongkai", "watch", "--once", cluster.inbox], env=cluster.env, check=True)

    cluster.wait_for_files(6, timeout=60)

    assert [path.name for path in cluster.out("processed")] == ["6-good.pdf"]
    assert [path.name for path in cluster.out("failed")] == sorted(bad)
    for name, (_, kind, code) in bad.items():
        record = json.loads((cluster.data / "failed" / f"{name}.error.json").read_text())
        assert (record["file"], record["kind"], record["exit_code"]) == (name, kind, code)
        assert record["reason"] and record["time"]
    failed = {job.filename: job for job in cluster.jobs() if job.state == "failed"}
    assert {name: job.error_kind for name, job in failed.items()} == {
        name: kind for name, (_, kind, _) in bad.items()
    }
    assert all(job.attempts == 1 for job in failed.values())  # never retried
    results = Celery(backend=cluster.env["GONGKAI_BROKER_URL"])
    for name, job in failed.items():  # what Flower and AsyncResult show: no traceback
        assert job.task_id.startswith(f"process-{name}-")
        result = AsyncResult(job.task_id, app=results)
        assert (result.state, result.traceback) == ("FAILURE", None)
        assert (result.result.kind, " ".join(str(result.result).split())) == (
            job.error_kind,
            job.error_message,
        )
    assert "Traceback" not in (cluster.root / "worker-1.log").read_text()
    listed = cluster.gongkai("jobs", "--state", "failed", "--json")
    assert {row["filename"] for row in json.loads(listed.stdout)} == set(bad)


def test_a_document_past_the_time_limit_fails_and_is_not_retried(cluster: Cluster) -> None:
    limits = {
        "GONGKAI_SOFT_TIME_LIMIT": "2",
        "GONGKAI_TIME_LIMIT": "3",
        "GONGKAI_VISIBILITY_TIMEOUT": "5",
    }
    cluster.start_worker("worker-1", concurrency=1, GONGKAI_TEST_TASK_DELAY="4", **limits)
    _drop(cluster.inbox, "slow.pdf", TEXT_REPORTS[0].read_bytes())
    subprocess.run([BIN / "gongkai", "watch", "--once", cluster.inbox], env=cluster.env, check=True)

    cluster.wait_for_files(1, timeout=30)

    assert [path.name for path in cluster.out("failed")] == ["slow.pdf"]
    record = json.loads((cluster.data / "failed" / "slow.pdf.error.json").read_text())
    assert (record["kind"], record["exit_code"]) == ("limit_exceeded", 9)
    (job,) = cluster.jobs()
    assert (job.state, job.error_kind, job.attempts) == ("failed", "limit_exceeded", 1)
    assert _stored_shas(cluster.store) == []


def _running_job(cluster: Cluster) -> JobView:
    found: list[JobView] = []

    def started() -> bool:
        found[:] = [job for job in cluster.jobs() if job.state in ("started", "progress")]
        return bool(found)

    wait_for(started, 30, "a task to start", cluster.root / "worker-1.log")
    return found[0]


def test_pool_process_killed_mid_task_is_retried_and_stored_once(cluster: Cluster) -> None:
    cluster.start_worker("worker-1", concurrency=1, GONGKAI_TEST_TASK_DELAY="4")
    for path in TEXT_REPORTS[:2]:
        _drop(cluster.inbox, path.name, path.read_bytes())
    cluster.start_watcher()
    victim = _running_job(cluster)
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)

    cluster.wait_for_files(2, timeout=60)

    assert len(_stored_shas(cluster.store)) == 2
    assert len(cluster.out("processed")) == 2
    job = cluster.ledger.job(victim.task_id)
    assert job is not None and job.state == "succeeded"
    assert job.attempts == 2 and job.pid != victim.pid


def test_worker_killed_mid_task_is_redelivered_to_a_new_worker(cluster: Cluster) -> None:
    limits = {
        "GONGKAI_SOFT_TIME_LIMIT": "6",
        "GONGKAI_TIME_LIMIT": "7",
        "GONGKAI_VISIBILITY_TIMEOUT": "8",
    }
    first = cluster.start_worker("worker-1", concurrency=1, GONGKAI_TEST_TASK_DELAY="4", **limits)
    path = TEXT_REPORTS[0]
    _drop(cluster.inbox, path.name, path.read_bytes())
    cluster.start_watcher()
    victim = _running_job(cluster)
    cluster.kill(first, signal.SIGKILL)  # the main process and its pool, no goodbye
    assert cluster.spooled()  # the file waits in the spool, not lost

    cluster.start_worker("worker-2", concurrency=1, **limits)
    cluster.wait_for_files(1, timeout=60)

    assert _stored_shas(cluster.store) == [_sha256(path.read_bytes())]
    assert [p.name for p in cluster.out("processed")] == [path.name]
    job = cluster.ledger.job(victim.task_id)
    assert job is not None and job.state == "succeeded"
    assert job.attempts == 2 and job.worker is not None and job.worker.startswith("worker-2@")


def test_redis_restarted_while_files_are_queued_the_queue_drains(
    tmp_path: Path, database: str
) -> None:
    port = free_port()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    server = redis_server(port, redis_dir, persistent=True)  # the queue survives a crash
    limits = {
        "GONGKAI_SOFT_TIME_LIMIT": "6",
        "GONGKAI_TIME_LIMIT": "7",
        "GONGKAI_VISIBILITY_TIMEOUT": "8",
    }
    cluster = Cluster(tmp_path, database, f"redis://127.0.0.1:{port}/0", **limits)
    broker = cluster._start(server, tmp_path / "redis-1.log", {})
    try:
        wait_for(lambda: listening(port), 10, "redis-server", None)
        cluster.start_worker("worker-1", concurrency=1, GONGKAI_TEST_TASK_DELAY="1")
        reports = TEXT_REPORTS[:6]
        for path in reports:
            _drop(cluster.inbox, path.name, path.read_bytes())
        subprocess.run([BIN / "gongkai", "watch", "--once", cluster.inbox], env=cluster.env)
        wait_for(
            lambda: any(job.state == "succeeded" for job in cluster.jobs()),
            30,
            "a first document",
            tmp_path / "worker-1.log",
        )
        queued = redis.Redis(port=port).llen("celery")
        assert queued >= 2  # the restart happens with files still queued

        cluster.kill(broker, signal.SIGKILL)  # a crash; the append-only file has the queue
        broker = cluster._start(server, tmp_path / "redis-2.log", {})

        cluster.wait_for_files(len(reports), timeout=90)
    finally:
        cluster.close()

    assert sorted(_stored_shas(cluster.store)) == sorted(
        _sha256(path.read_bytes()) for path in reports
    )
    assert len(cluster.out("processed")) == len(reports)


def test_a_database_outage_while_files_are_queued_costs_time_not_files(
    tmp_path: Path, database: str, redis_url: str
) -> None:
    redis.Redis.from_url(redis_url).flushall()
    proxy = Proxy(5432)
    proxy.start()
    limits = {  # waits back off up to 30 s (half the visibility timeout)
        "GONGKAI_SOFT_TIME_LIMIT": "20",
        "GONGKAI_TIME_LIMIT": "30",
        "GONGKAI_VISIBILITY_TIMEOUT": "60",
        "GONGKAI_MAX_RETRIES": "1",  # the outage must not spend them
    }
    through_proxy = database.replace(":5432/", f":{proxy.port}/")
    cluster = Cluster(tmp_path, through_proxy, redis_url, **limits)
    cluster.ledger, cluster.store = Ledger(db.engine(database)), Store(db.engine(database))
    try:
        cluster.start_worker("worker-1", concurrency=2, GONGKAI_TEST_TASK_DELAY="1")
        reports = TEXT_REPORTS[:10]
        for path in reports:
            _drop(cluster.inbox, path.name, path.read_bytes())
        cluster.start_watcher()
        wait_for(
            lambda: any(job.state == "succeeded" for job in cluster.jobs()),
            30,
            "a first document",
            tmp_path / "worker-1.log",
        )

        proxy.stop()  # PostgreSQL goes away for 40 s, with files still queued
        time.sleep(40)
        proxy.start()

        cluster.wait_for_files(len(reports), timeout=180)
        listed = json.loads(cluster.gongkai("jobs", "--json").stdout)
    finally:
        cluster.close()
        proxy.stop()

    assert len(cluster.out("processed")) == len(reports)
    assert cluster.out("failed") == []
    assert sorted(_stored_shas(cluster.store)) == sorted(
        _sha256(path.read_bytes()) for path in reports
    )
    assert [job["state"] for job in listed] == ["succeeded"] * len(reports)
    log = (tmp_path / "worker-1.log").read_text()
    assert "waiting" in log  # the outage was met, and waited out


KILLING_TESSERACT = """#!/bin/sh
# Tesseract that kills the process which runs it (the worker's pool process) when asked
# to read an image: a file whose processing kills every attempt.
case "$1" in -*) exec tesseract "$@" ;; esac
kill -9 "$PPID"
sleep 30
"""


def test_a_file_that_kills_every_attempt_ends_in_failed_after_the_retries(
    cluster: Cluster,
) -> None:
    killer = cluster.root / "tesseract"
    killer.write_text(KILLING_TESSERACT)
    killer.chmod(0o755)
    cluster.start_worker(
        "worker-1", concurrency=1, GONGKAI_TESSERACT=str(killer), GONGKAI_MAX_RETRIES="2"
    )
    _drop(cluster.inbox, "scan.png", DEVSET_SCAN.read_bytes())
    subprocess.run([BIN / "gongkai", "watch", "--once", cluster.inbox], env=cluster.env, check=True)

    cluster.wait_for_files(1, timeout=90)

    assert [path.name for path in cluster.out("failed")] == ["scan.png"]
    record = json.loads((cluster.data / "failed" / "scan.png.error.json").read_text())
    assert (record["kind"], record["exit_code"]) == ("internal", 15)
    assert record["reason"].startswith("the worker process died while processing this file")
    (job,) = cluster.jobs()
    assert (job.state, job.attempts) == ("failed", 3)  # the first attempt and two retries
    assert job.error_message == record["reason"]


def _tesseract_of(pid: int) -> bool:
    """Whether the process `pid` has a Tesseract running for it (it is OCRing)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, _, rest = stat.read_text().rpartition(")")
        except OSError:
            continue
        if name.endswith("(tesseract") and int(rest.split()[1]) == pid:
            return True
    return False


def test_pool_process_killed_during_ocr_is_retried_and_the_scan_is_stored(
    cluster: Cluster,
) -> None:
    cluster.start_worker("worker-1", concurrency=1)
    _drop(cluster.inbox, "scan.png", DEVSET_SCAN.read_bytes())
    cluster.start_watcher()
    victim = _running_job(cluster)
    assert victim.pid is not None
    wait_for(lambda: _tesseract_of(victim.pid or 0), 30, "OCR", cluster.root / "worker-1.log")
    os.kill(victim.pid, signal.SIGKILL)

    cluster.wait_for_files(1, timeout=90)

    assert [path.name for path in cluster.out("processed")] == ["scan.png"]
    assert _stored_shas(cluster.store) == [_sha256(DEVSET_SCAN.read_bytes())]
    job = cluster.ledger.job(victim.task_id)
    assert job is not None and (job.state, job.attempts) == ("succeeded", 2)
    assert job.pid != victim.pid


def test_reprocess_through_the_queue_stores_what_an_older_parser_read_otherwise(
    cluster: Cluster,
) -> None:
    cluster.start_worker("worker-1")
    for name in ("dev-01.pdf", "dev-02.pdf"):
        _drop(cluster.inbox, name, (DEVSET / name).read_bytes())
    subprocess.run([BIN / "gongkai", "watch", "--once", cluster.inbox], env=cluster.env, check=True)
    cluster.wait_for_files(2, timeout=60)
    as_if_an_older_parser_wrote(cluster.env, "dev-01.pdf", **{GRANTED: 999})

    done = cluster.gongkai("reprocess", "--all", "--json")

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["total"], summary["changed"], summary["unchanged"]) == (2, 1, 1)
    changed = [item for item in summary["documents"] if item["result"] == "changed"]
    assert changed[0]["changes"] == [{"path": GRANTED, "old": 999, "new": 9}]
    reprocessed = [job for job in cluster.jobs() if job.task == "gongkai.reprocess"]
    assert sorted((job.filename, job.state) for job in reprocessed) == [
        ("dev-01.pdf", "succeeded"),
        ("dev-02.pdf", "succeeded"),
    ]
    assert [v.origin for v in cluster.store.history("长沙市市场监督管理局", 2021)] == [
        "parsed",
        "reprocessed",
    ]


def test_a_reprocess_past_the_time_limit_is_a_failed_outcome_and_the_run_ends(
    cluster: Cluster,
) -> None:
    first = cluster.start_worker("worker-1")
    _drop(cluster.inbox, "scan.pdf", (DEVSET / "dev-10.pdf").read_bytes())  # pages of OCR
    subprocess.run([BIN / "gongkai", "watch", "--once", cluster.inbox], env=cluster.env, check=True)
    cluster.wait_for_files(1, timeout=120)
    cluster.kill(first)
    limits = {"GONGKAI_SOFT_TIME_LIMIT": "1", "GONGKAI_TIME_LIMIT": "2"}
    cluster.start_worker("worker-2", concurrency=1, GONGKAI_VISIBILITY_TIMEOUT="5", **limits)

    done = cluster.gongkai("reprocess", "--all", "--json")

    assert done.returncode == 1, done.stderr
    (outcome,) = json.loads(done.stdout)["documents"]
    assert (outcome["filename"], outcome["result"]) == ("scan.pdf", "failed")
    assert outcome["error"].startswith("limit_exceeded: processing took longer")
    assert [v.origin for v in cluster.store.listing()] == ["parsed"]
