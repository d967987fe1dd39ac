"""A file sent to `POST /documents`: checked, spooled and queued like a file from the inbox.

The client's name is only a label: it is reduced to one safe path component before it
names anything on disk.  The type is sniffed from the bytes, as the reader does, so what
could never be read is refused at once (415) instead of becoming a failed job.  The bytes
are copied in blocks with a running count, so an upload over GONGKAI_MAX_UPLOAD_MB stops
at the cap whatever its Content-Length said.  Once spooled, the file is the worker's: the
task moves it to processed/ or failed/ exactly as for a watched inbox.

With a broker the job is published at once; if the broker refuses it, the file stays in
the spool with the job in state `spooled`, and the next sweep (the server's own, or a
watcher's) queues it (the upload is not lost, and the client keeps its job id).  In
embedded mode it runs in this process's single background thread, one document at a time
like the watcher, so the request returns the job id without waiting for the parse.

A server that stopped with uploads in flight (killed, a crash) finds them in the spool when
it starts again (`resume`): in embedded mode nothing but this server would run them; with a
broker it queues again those whose job is not queued.
"""

from __future__ import annotations

import codecs
import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from kombu.exceptions import OperationalError as BrokerError

from extract.errors import EmptyFile, LimitExceeded
from extract.read import reader_for
from worker.files import safe_component
from worker.settings import Settings
from worker.spool import Folders

DEFAULT_NAME = "upload"
_BLOCK = 1 << 20

log = logging.getLogger(__name__)
_embedded = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gongkai-embedded")


@dataclass(frozen=True, slots=True)
class Accepted:
    job: str
    sha256: str
    filename: str
    state: str  # queued, or spooled when the broker could not take it yet


def receive(stream: BinaryIO, client_name: str | None, settings: Settings) -> Accepted:
    """Spool an uploaded file and queue it; raises LimitExceeded, EmptyFile,
    UnsupportedInput or EncryptedFile for what must not be queued."""
    from worker import ledger, tasks  # Celery: only once a file arrives

    folders = Folders(settings.data_dir)
    incoming = settings.data_dir / "uploads"
    incoming.mkdir(parents=True, exist_ok=True)
    holder = Path(tempfile.mkdtemp(dir=incoming))
    try:
        staged = holder / (safe_component(_last_part(client_name or "")) or DEFAULT_NAME)
        _copy_capped(stream, staged, int(settings.max_upload_mb * 1024 * 1024))
        _check_type(staged)
        sha256, spooled = folders.take(staged)
    finally:
        shutil.rmtree(holder, ignore_errors=True)
    job = folders.job(spooled)
    if settings.embedded:
        kwargs = {"sha256": sha256, "filename": spooled.name}
        ledger.of(settings).queued(job, tasks.process.name, kwargs)  # visible before it runs
        in_background(partial(tasks.enqueue, spooled))
        return Accepted(job, sha256, spooled.name, "queued")
    try:
        tasks.enqueue(spooled)
    except BrokerError as exc:  # kept in the spool: the watcher's sweep queues it again
        log.warning("%s spooled, not queued (the broker refused it): %s", spooled.name, exc)
        return Accepted(job, sha256, spooled.name, "spooled")
    return Accepted(job, sha256, spooled.name, "queued")


def in_background(work: Callable[[], Any]) -> None:
    """Run `work` in embedded mode's background thread, after what is queued there: one
    document at a time, as the embedded store wants."""
    _embedded.submit(work).add_done_callback(_log_failure)


def resume(settings: Settings, stop: threading.Event | None = None) -> None:
    """Take up what the spool holds when the server starts: in embedded mode, every file
    (queued to the background thread now, before any upload comes in); with a broker, the
    files whose job is not queued, now and then every SWEEP_EVERY seconds (until `stop`),
    in a thread."""
    from worker import tasks, watch  # Celery: only for `gongkai serve`

    folders = Folders(settings.data_dir)
    is_stale = watch.stale_check(settings)

    def sweep() -> None:
        try:
            for spooled in watch.stranded(folders, is_stale):
                if settings.embedded:
                    in_background(partial(tasks.enqueue, spooled))
                else:
                    tasks.enqueue(spooled)
                log.info("resumed %s from the spool", spooled.name)
        except Exception as exc:  # the broker or the database is away: the next sweep
            log.warning("cannot resume the spool yet: %s", exc)

    if settings.embedded:
        sweep()
        return

    def sweeping(stop: threading.Event) -> None:
        sweep()
        while not stop.wait(watch.SWEEP_EVERY):
            sweep()

    stop = stop or threading.Event()
    threading.Thread(target=sweeping, args=(stop,), name="gongkai-spool", daemon=True).start()


def _last_part(name: str) -> str:
    """`report.pdf` of `C:\\Users\\me\\report.pdf` or `../../report.pdf`: clients may
    send a whole path; safe_component then makes what is left harmless."""
    return re.split(r"[/\\]", name)[-1]


def _copy_capped(stream: BinaryIO, target: Path, limit: int) -> None:
    size = 0
    with target.open("xb") as output:
        for block in iter(lambda: stream.read(_BLOCK), b""):
            size += len(block)
            if size > limit:
                raise LimitExceeded(
                    f"the file is over the {limit / 1048576:g} MB upload limit "
                    "(GONGKAI_MAX_UPLOAD_MB)"
                )
            output.write(block)


def _check_type(path: Path) -> None:
    data = path.read_bytes()
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise EmptyFile("empty file")
    reader_for(data)  # refused here as the reader would refuse it


def _log_failure(done: Future[str]) -> None:
    error = done.exception()
    if error is not None:
        log.error("embedded processing did not run: %s", error)
