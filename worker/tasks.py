"""The one task: a spooled document → extract → parse → validate → store → processed/.

One task per spooled file, its id the file's job id (`worker.spool`), so a redelivered or
retried task keeps its ledger row, and running it again is harmless: the store returns the
document already saved for those bytes, and a file already moved is not moved again.  The
same bytes from another file are a duplicate: set aside in duplicates/, not stored again.

What a later attempt gets past (TRANSIENT: the database, the broker, the disk) is waited
out, with a growing backoff, for as long as it takes: an outage costs time, never a file
in failed/, and spends none of the job's GONGKAI_MAX_RETRIES (those bound the attempts a
worker process dies in).  A file that cannot be parsed (any GongkaiError) is never retried:
its job ends at once as a clean failure, without a traceback.

With no broker configured (embedded mode) `enqueue` runs the same task in the calling
process through Celery's `apply`, so the ledger signals and the failure handling are the
ones a worker runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Task, signals, states
from celery.exceptions import Ignore, Reject, Retry, SoftTimeLimitExceeded
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from extract.errors import FileAccess, GongkaiError
from worker import db, finished, ledger, pipeline, reprocess_runs
from worker.celery import app
from worker.errors import StoreConflict
from worker.failure import PROCESS_TASK, REPROCESS_TASK, describe
from worker.settings import current
from worker.spool import Folders
from worker.store import Document, Store

TRANSIENT = (OSError, OperationalError, InterfaceError, BrokerError, StoreConflict)
"""Errors that a later attempt can get past: connections, locks, a full or busy disk, other
writers of the same report."""

PROGRESS_EVERY = 1.0  # seconds between two progress reports of one task
_REQUEUE_PAUSE = 5.0  # seconds before a message that could not be queued again goes back

log = logging.getLogger(__name__)


def enqueue(spooled: Path) -> str:
    """Queue a spooled file (spool/<sha256>/<name>) as its job, or process it now in
    embedded mode; returns the job id."""
    settings = current()
    job = Folders(settings.data_dir).job(spooled)
    kwargs = {"sha256": spooled.parent.name, "filename": spooled.name}
    if settings.embedded:
        ledger.current().queued(job, process.name, kwargs)
        result = process.apply(kwargs=kwargs, task_id=job)
        if result.successful():
            log.info("%s: %s, moved to %s", spooled.name,
                     "a duplicate" if result.result.get("duplicate") else "stored",
                     result.result["moved_to"])  # fmt: skip
    else:
        try:
            # No limits in the message: the worker's own GONGKAI_*_TIME_LIMIT apply, which
            # its visibility timeout was checked against, not the publisher's.
            process.apply_async(
                kwargs=kwargs,
                task_id=job,
                kwargsrepr=shown(kwargs),
                time_limit=None,
                soft_time_limit=None,
            )
        except Exception:
            # before_task_publish said "queued"; it was not, and the watcher will retry.
            with contextlib.suppress(Exception):  # the database may be away too
                ledger.current().keep(job, "spooled")
            raise
    return job


def shown(kwargs: dict[str, Any]) -> str:
    """The arguments as Flower and the worker's log show them: the file name first."""
    return repr({"filename": kwargs.get("filename"), "sha256": kwargs.get("sha256")})


@app.task(
    bind=True,
    name=PROCESS_TASK,
    max_retries=current().max_retries,  # after a lost worker process
    default_retry_delay=2,
)
def process(self: Task, sha256: str, filename: str) -> dict[str, Any]:
    """Process spool/<sha256>/<filename>."""
    waits = int(getattr(self.request, ledger.WAITS_HEADER, None) or 0)
    while True:
        try:
            try:
                return handle(sha256, filename, self.request.id, _Reporter(self))
            except TRANSIENT:
                raise
            except (GongkaiError, SoftTimeLimitExceeded) as exc:
                raise _ended_cleanly(self, sha256, filename, exc) from None
        except TRANSIENT as exc:
            countdown = _backoff(waits)
            log.warning("%s: waiting %.0f s for the database, broker or disk (%d so far): %s",
                        filename, countdown, waits, ledger.first_line(exc))  # fmt: skip
            if not self.request.is_eager:
                raise _wait_in_queue(self, exc, countdown, waits + 1) from exc
            message = f"waiting {countdown:.0f} s: {ledger.first_line(exc)}"
            ledger.note(self.request.id, "retrying", error_message=message)
            time.sleep(countdown)  # embedded: this process is the queue
            waits += 1


def handle(sha256: str, filename: str, job: str, progress: pipeline.Progress) -> dict[str, Any]:
    """The task's work, Celery aside; returns what the ledger and Flower show."""
    settings = current()
    folders = Folders(settings.data_dir)
    engine = db.engine(settings.database_url)
    store = Store(engine)
    path = folders.spooled(sha256, filename)
    stored = store.by_sha(sha256)
    if stored is None:
        if not path.is_file():
            _unless_ended(job)
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
            task_id=job,
        )
    if stored.created or _stored_by(engine, sha256) == job:
        moved = folders.finish(path, stored.agency, stored.year)
        duplicate = False
    else:  # the same bytes, stored from another file before: kept aside, not again
        if not path.is_file():
            _unless_ended(job)
        repeated = {key: getattr(stored, key) for key in ("agency", "year", "version")}
        details = {"sha256": sha256, "task_id": job,
                   "stored": {**repeated, "filename": stored.filename}}  # fmt: skip
        moved = folders.set_aside(path, details)
        duplicate = True
    return {
        **stored.as_json(),
        "created": stored.created,
        "duplicate": duplicate,
        "moved_to": None if moved is None else str(moved.relative_to(folders.root)),
    }


def _stored_by(engine: Any, sha256: str) -> str | None:
    """The job that stored these bytes (the store keeps its id beside the document)."""
    with engine.connect() as connection:
        first = (Document.sha256 == sha256, Document.revision == 1)
        found = connection.scalar(select(Document.task_id).where(*first))
    return None if found is None else str(found)


def _unless_ended(job: str) -> None:
    """A job whose file is gone and whose ledger row says it ended was redelivered after it
    ended (a lost acknowledgement, a second message for one file): nothing to do, and its
    row and events must not be overwritten."""
    found = ledger.current().job(job)
    if found is not None and found.state in ledger.FINAL:
        log.info("%s ended before (%s): nothing more to do", job, found.state)
        raise Ignore()


def _ended_cleanly(task: Task, sha256: str, filename: str, exc: BaseException) -> Ignore:
    """A file that cannot be parsed: failed/, the ledger, the events, then a FAILURE state
    with the error's kind and message for Flower and AsyncResult instead of a traceback.
    Returns the Ignore to raise: the end is recorded, Celery has nothing left to do."""
    arguments = {"sha256": sha256, "filename": filename}
    job = task.request.id
    finished.on_task_finished(finished.Finished(PROCESS_TASK, job, arguments, exception=exc))
    failure = describe(exc)
    log.warning("%s: %s, moved to failed/: %s", filename, failure.kind, failure.message)
    if not task.request.is_eager:
        try:
            task.update_state(state=states.FAILURE, meta=exc)
            task.send_event("task-failed", exception=f"{failure.kind}: {failure.message}")
        except Exception as error:  # Flower's view only: the ledger has the failure
            log.warning("the failure of %s not shown in Flower: %s", job, error)
    return Ignore()


def _wait_in_queue(task: Task, exc: BaseException, countdown: float, waits: int) -> Retry:
    """Celery's `Task.retry` without spending a retry: the same message again in
    `countdown` seconds, with `waits` in its headers for the next backoff.  Returns the
    Retry to raise."""
    request = task.request
    headers = {**(request.headers or {}), ledger.WAITS_HEADER: waits}
    again = task.signature_from_request(
        request, countdown=countdown, headers=headers, kwargsrepr=shown(request.kwargs or {})
    )
    try:
        again.apply_async()
    except Exception as error:  # the broker is away too: the message goes back to it
        log.warning("%s: cannot queue the wait (%s): handed back to the broker", request.id, error)
        time.sleep(_REQUEUE_PAUSE)
        raise Reject(error, requeue=True) from exc
    return Retry(exc=exc, when=countdown, sig=again)


@app.task(bind=True, name=REPROCESS_TASK, max_retries=current().max_retries)
def reprocess(self: Task, run: str, sha256: str, filename: str) -> dict[str, Any]:
    """Parse one stored document of a reprocess run again (`worker.reprocess`).  What the
    database or the disk being away stops is waited out, with the same backoff as a
    document's and without spending a retry (those bound the attempts a worker process
    dies in); any other end is recorded as the document's outcome (`worker.finished`)."""
    settings = current()
    store = Store(db.engine(settings.database_url))
    try:
        return reprocess_runs.handle(settings, store, run, sha256, filename).as_json()
    except TRANSIENT as exc:
        waits = int(getattr(self.request, ledger.WAITS_HEADER, None) or 0)
        raise _wait_in_queue(self, exc, _backoff(waits), waits + 1) from exc


def queue_reprocessing(run: str, documents: list[tuple[str, str]]) -> None:
    """One reprocess task per document of a run, on the broker."""
    for sha256, filename in documents:
        kwargs = {"run": run, "sha256": sha256, "filename": filename}
        reprocess.apply_async(
            kwargs=kwargs, kwargsrepr=shown(kwargs), time_limit=None, soft_time_limit=None
        )  # the worker's own limits, as for a document


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


def _backoff(waits: int) -> float:
    """2, 4, 8… seconds with full jitter, capped below the visibility timeout (minutes)."""
    return random.uniform(1, min(current().max_backoff, 2 ** min(waits + 1, 30)))
