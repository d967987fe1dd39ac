"""`gongkai watch INBOX`: take settled files from a folder and queue them; nothing more.

The paperless-ngx consumer's pattern: a file is taken only once its size and mtime have
stayed the same for GONGKAI_WATCH_SETTLE seconds (a copy in progress, a browser download, a
scanner still writing are left alone); editor and download temporaries are ignored; a
taken file is first moved into the spool, so the inbox only ever holds what has not been
seen yet, and then queued.  The task moves it on to processed/ or failed/.

It polls: one scan every GONGKAI_WATCH_INTERVAL seconds.  That works the same on local
disks and on network shares (SMB, NFS), where inotify sees nothing, and a folder that is
emptied as it is read stays cheap to scan.  A sweep at start and every minute queues again
what a crash or a lost broker left in the spool, and retries files whose queueing failed.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from worker.errors import InvalidSetting
from worker.settings import Settings
from worker.spool import Folders

SWEEP_EVERY = 60.0  # seconds between two looks at the spool for stranded files
RESEND_EVERY = 10.0  # seconds between two attempts to queue while the broker is away
_IGNORED_PREFIXES = (".", "~$")  # hidden files, Office lock files
_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload")  # downloads and copies in progress
_IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini"})

log = logging.getLogger(__name__)


def ignored(name: str) -> bool:
    """Names that are never reports, or not finished yet."""
    lower = name.lower()
    return (
        name.startswith(_IGNORED_PREFIXES)
        or lower.endswith(_IGNORED_SUFFIXES)
        or lower in _IGNORED_NAMES
    )


@dataclass(slots=True)
class _Sighting:
    signature: tuple[int, int]  # size, mtime in ns
    since: float


class Watcher:
    """The inbox loop, with what it calls injected: the tests run it with fakes."""

    def __init__(
        self,
        inbox: Path,
        folders: Folders,
        enqueue: Callable[[Path], object],
        is_stale: Callable[[Path], bool],
        interval: float,
        settle: float,
        clock: Callable[[], float] = time.monotonic,
        catch_up: Callable[[], object] = lambda: None,
        heartbeat: Path | None = None,
    ) -> None:
        self.inbox = inbox
        self.folders = folders
        self._enqueue = enqueue
        self._is_stale = is_stale
        self._interval = interval
        self._settle = settle
        self._clock = clock
        self._heartbeat = heartbeat  # touched every round, for a health check to read
        self._catch_up = catch_up  # the ledger's backlog, written once the database is back
        self._seen: dict[Path, _Sighting] = {}
        self._refused: dict[Path, tuple[int, int]] = {}  # could not be moved; until changed
        self._unsent: list[Path] = []  # spooled, but queueing failed
        self._resend_at = 0.0

    def run(self, stop: threading.Event, once: bool = False) -> list[Path]:
        """Watch until `stop` is set; with `once`, until the inbox holds no unsettled file.

        Returns the files left in the spool unqueued (the broker was unreachable)."""
        last_sweep = -SWEEP_EVERY
        while not stop.is_set():
            self._beat()
            if self._clock() - last_sweep >= SWEEP_EVERY:
                try:
                    self.sweep()
                except Exception as exc:  # the ledger's database is away: next time
                    log.warning("cannot look for stranded files in the spool: %s", exc)
                last_sweep = self._clock()
            if not self.scan() and once:
                break
            stop.wait(self._interval)
        return list(self._unsent)

    def _beat(self) -> None:
        """Touch the heartbeat file: its age tells a health check (docker compose's) that
        this loop still goes round, which the process merely running does not."""
        if self._heartbeat is not None:
            try:
                self._heartbeat.touch()
            except OSError as exc:
                log.warning("cannot touch the heartbeat file %s: %s", self._heartbeat, exc)

    def scan(self) -> bool:
        """Look at the inbox once, take what has settled; True while files are settling."""
        now = self._clock()
        present = dict(self._files())
        for path in self._seen.keys() - present.keys():
            del self._seen[path]
        for path in self._refused.keys() - present.keys():
            del self._refused[path]
        for path, signature in present.items():
            if self._refused.get(path) == signature:
                continue
            seen = self._seen.get(path)
            if seen is None or seen.signature != signature:
                self._seen[path] = _Sighting(signature, now)
            elif now - seen.since >= self._settle:
                del self._seen[path]
                self._take(path, signature)
        self._resend()
        return bool(self._seen)

    def sweep(self) -> None:
        """Queue again what was left in the spool: interrupted takes, lost messages."""
        self._catch_up()
        for spooled in stranded(self.folders, self._is_stale, skip=self._unsent):
            self._queue(spooled)

    def _files(self) -> Iterator[tuple[Path, tuple[int, int]]]:
        for folder, subfolders, names in os.walk(self.inbox):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in sorted(names):
                if ignored(name):
                    continue
                path = Path(folder, name)
                try:
                    status = path.lstat()
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(status.st_mode):  # not links, sockets, fifos
                    yield path, (status.st_size, status.st_mtime_ns)

    def _take(self, path: Path, signature: tuple[int, int]) -> None:
        try:
            _, spooled = self.folders.take(path)
        except FileNotFoundError:
            return  # removed by its owner while settling
        except OSError as exc:
            log.error("cannot take %s (left in place until it changes): %s", path, exc)
            self._refused[path] = signature
            return
        log.info("took %s", path.relative_to(self.inbox))
        self._queue(spooled)

    def _queue(self, spooled: Path) -> None:
        if spooled not in self._unsent and not self._send(spooled):
            self._unsent.append(spooled)

    def _send(self, spooled: Path) -> bool:
        try:
            self._enqueue(spooled)
        except Exception as exc:  # broker or database down: keep it, try again later
            log.warning("cannot queue %s yet (next try in %.0f s): %s", spooled.name,
                        RESEND_EVERY, exc)  # fmt: skip
            self._resend_at = self._clock() + RESEND_EVERY
            return False
        return True

    def _resend(self) -> None:
        """Queue what could not be queued, oldest first, stopping at the first failure so
        that an unreachable broker costs one attempt and one log line every RESEND_EVERY."""
        if self._clock() < self._resend_at:
            return
        while self._unsent:
            if self._unsent[0].exists() and not self._send(self._unsent[0]):
                return
            self._unsent.pop(0)


def stranded(
    folders: Folders, is_stale: Callable[[Path], bool], skip: Collection[Path] = ()
) -> Iterator[Path]:
    """What a crash or a lost message left in the spool, to be queued again: takes that
    were interrupted (finished here), then the files whose job `is_stale`."""
    for _, spooled in folders.recover_staged():
        yield spooled
    for spooled in folders.pending():
        if spooled not in skip and is_stale(spooled):
            yield spooled


def stale_check(settings: Settings) -> Callable[[Path], bool]:
    """Whether a spooled file must be queued again: its job was never queued (or refused
    by the broker), or silent for longer than Redis waits before redelivering (a lost
    message, a failed move).  Embedded: anything left, since nothing else runs it."""
    from worker import ledger  # SQLAlchemy: only for the commands that queue

    jobs = ledger.of(settings)
    folders = Folders(settings.data_dir)
    stale_after = timedelta(seconds=settings.visibility_timeout)

    def is_stale(spooled: Path) -> bool:
        if settings.embedded:
            return True
        job = jobs.job(folders.job(spooled))
        return (
            job is None
            or job.state == "spooled"
            or datetime.now(UTC) - job.updated_at > stale_after
        )

    return is_stale


def build(inbox: Path, settings: Settings) -> Watcher:
    """A watcher for `inbox` wired to the real queue (or in-process tasks) and ledger."""
    from worker import ledger, tasks  # Celery and SQLAlchemy: only for this command

    inbox = inbox.absolute()
    if not inbox.is_dir():
        raise InvalidSetting(f"{inbox} is not a folder")
    if settings.data_dir.resolve().is_relative_to(inbox.resolve()):
        raise InvalidSetting(
            f"GONGKAI_DATA_DIR ({settings.data_dir}) is inside the watched folder {inbox}: "
            "processed files would be taken again"
        )
    jobs = ledger.of(settings)  # connects: a database that is away fails here
    if not settings.embedded:
        # The watcher never reads task results: without a result backend, publishing does
        # not subscribe to each task's result channel, nor hang on it while Redis is away.
        tasks.app.conf.result_backend = None
    return Watcher(
        inbox,
        Folders(settings.data_dir),
        tasks.enqueue,
        stale_check(settings),
        interval=settings.watch_interval,
        settle=settings.watch_settle,
        catch_up=jobs.catch_up,
        heartbeat=settings.watch_heartbeat,
    )
