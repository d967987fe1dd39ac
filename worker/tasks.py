"""The one task: a spooled document → extract → parse → validate → store → processed/.

One task per document, named from the SHA-256 of its bytes (`task_id`), so a redelivered
or retried task keeps its ledger row, and running it again is harmless: the store returns
the version already saved for those bytes, and a file already moved is not moved again.
Transient errors (broker, database, disk) are retried with exponential backoff; a file
that cannot be parsed (any GongkaiError) is never retried, it goes to failed/ at once.

With no broker configured (embedded mode) `enqueue` runs the same task in the calling
process through Celery's `apply`, so the ledger signals and the failure handling are the
ones a worker runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Task, signals
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import InterfaceError, OperationalError

from extract.errors import FileAccess, GongkaiError
from worker import db, ledger, pipeline
from worker.celery import app
from worker.errors import StoreConflict
from worker.failure import PROCESS_TASK
from worker.settings import current
from worker.spool import Folders
from worker.store import Store

TRANSIENT = (OSError, OperationalError, InterfaceError, BrokerError, StoreConflict)
"""Errors that a later attempt can get past: connections, locks, a full or busy disk, other
writers of the same report."""

PROGRESS_EVERY = 1.0  # seconds between two progress reports of one task

log = logging.getLogger(__name__)


def task_id(sha256: str, filename: str) -> str:
    """`process-<sha256>-<name digest>`: stable across redeliveries and retries of one
    spooled file; duplicates of the same bytes get a task (and a ledger row) each."""
    return f"process-{sha256}-{hashlib.sha256(filename.encode()).hexdigest()[:12]}"


def enqueue(spooled: Path) -> str:
    """Queue a spooled file (spool/<sha256>/<name>), or process it now in embedded mode."""
    kwargs = {"sha256": spooled.parent.name, "filename": spooled.name}
    job = task_id(**kwargs)
    if current().embedded:
        ledger.current().queued(job, process.name, kwargs)
        result = process.apply(kwargs=kwargs, task_id=job)
        if result.successful():
            log.info("%s: stored, moved to %s", spooled.name, result.result["moved_to"])
        else:
            log.warning("%s: failed, moved to failed/: %s", spooled.name, result.result)
    else:
        try:
            # No limits in the message: the worker's own GONGKAI_*_TIME_LIMIT apply, which
            # its visibility timeout was checked against, not the publisher's.
            process.apply_async(kwargs=kwargs, task_id=job, time_limit=None, soft_time_limit=None)
        except Exception:
            # before_task_publish said "queued"; it was not, and the watcher will retry.
            with contextlib.suppress(Exception):  # the database may be away too
                ledger.current().record(job, "spooled")
            raise
    return job


@app.task(
    bind=True,
    name=PROCESS_TASK,
    max_retries=current().max_retries,
    default_retry_delay=2,  # after a lost worker process; other retries back off
    throws=(GongkaiError,),  # expected failures: logged without a traceback
)
def process(self: Task, sha256: str, filename: str) -> dict[str, Any]:
    """Process spool/<sha256>/<filename>."""
    try:
        return handle(sha256, filename, _Reporter(self))
    except TRANSIENT as exc:
        countdown = _backoff(self.request.retries)
        log.warning("%s: transient error, retry in %.0f s: %s", filename, countdown, exc)
        if self.request.is_eager:
            time.sleep(countdown)  # apply() retries at once; keep the backoff in process too
        raise self.retry(exc=exc, countdown=countdown) from exc
    except GongkaiError:
        raise  # the file itself is the problem: retrying cannot help


def handle(sha256: str, filename: str, progress: pipeline.Progress) -> dict[str, Any]:
    """The task's work, Celery aside; returns what the ledger and Flower show."""
    settings = current()
    folders = Folders(settings.data_dir)
    store = Store(db.engine(settings.database_url))
    path = folders.spooled(sha256, filename)
    stored = store.by_sha(sha256)
    if stored is None:
        if not path.is_file():
            raise FileAccess(f"{filename} is no longer in the spool: handled before, or removed")
        if settings.test_task_delay:
            time.sleep(settings.test_task_delay)
        processed = pipeline.run(path, progress, settings.read_options(ocr_jobs()))
        progress("storing", None, None)
        stored = store.save(
            processed.report,
            filename=filename,
            original=folders.keep_original(path, sha256),
            timings=processed.timings,
            task_id=task_id(sha256, filename),
        )
    moved = folders.finish(path, stored.agency, stored.year)
    return {
        **stored.as_json(),
        "created": stored.created,
        "moved_to": None if moved is None else str(moved.relative_to(folders.root)),
    }


def ocr_jobs() -> int:
    """Pages of a scan one task OCRs at once unless GONGKAI_OCR_JOBS says: the cores shared
    among the pool's processes, so that processes × page jobs ≤ cores."""
    return max(1, (os.cpu_count() or 1) // _pool["processes"])


_pool = {"processes": 1}  # the worker's pool size, set before it forks; 1 when embedded


@signals.worker_init.connect(weak=False)
def _remember_pool_size(sender: Any, **_: Any) -> None:
    if isinstance(sender.concurrency, int) and sender.concurrency > 0:
        _pool["processes"] = sender.concurrency


class _Reporter:
    """Progress to the result backend (AsyncResult, Flower's task page), Flower's event
    stream, and the ledger (`gongkai jobs`).

    At most one report per PROGRESS_EVERY seconds: a text PDF is done in a fraction of a
    second, and three writes per stage would cost more than parsing it; a long OCR job
    still reports as it goes.  Best effort: a report that cannot be sent must not fail the
    document.
    """

    def __init__(self, task: Task, clock: Callable[[], float] = time.monotonic) -> None:
        self._task = task
        self._clock = clock
        self._last = clock()  # the ledger already says "started"

    def __call__(self, stage: str, page: int | None, pages: int | None) -> None:
        if self._clock() - self._last < PROGRESS_EVERY:
            return
        self._last = self._clock()
        meta = {"stage": stage, "page": page, "pages": pages}
        request = self._task.request
        try:
            self._task.update_state(state="PROGRESS", meta=meta)
            if not request.is_eager:
                self._task.send_event("task-progress", **meta)
            ledger.current().progress(request.id, stage, page, pages)
        except Exception as exc:  # any failure here is only logged
            log.warning("progress of %s not recorded: %s", request.id, exc)


def _backoff(retries: int) -> float:
    """2, 4, 8… seconds with full jitter, capped below the visibility timeout."""
    return random.uniform(1, min(current().max_backoff, 2 ** (retries + 1)))
