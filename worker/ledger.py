"""The job ledger: one durable row per task, written from Celery's signals.

Flower forgets on restart and the Redis result backend expires; the ledger is in the
store's database, so `gongkai jobs` can say what happened to a file weeks later: queued
(before_task_publish, in whichever process enqueued; spooled if the broker then refused
it), started (task_prerun, with worker
and pid), progress (from the task), retrying, succeeded (with the stored document),
duplicate (its bytes were stored from another file: the stored document's agency, year and
version) or failed (with the same kind, exit code and message as
`failed/<name>.error.json`).  A job's id is its spooled file's (`worker.spool`), so a
redelivered or re-enqueued document updates its row instead of adding one.  Embedded mode
fires the same signals, except publishing, which `worker.tasks.enqueue` records directly.

The ledger must stay true while its database is away: a job that is queued or ends then
cannot be written, so that write is kept in the backlog (`Backlog`, files under the data
folder) and written once the database answers again, before the next job starts and
before the ledger is read, unless the row has been written since.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import Task, signals
from sqlalchemy import DateTime, Engine, String, and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from worker import db, settings
from worker.failure import describe
from worker.files import write_atomically

FINAL = ("succeeded", "duplicate", "failed")
STATES = ("spooled", "queued", "started", "progress", "retrying", *FINAL)
UNREACHABLE = (OperationalError, InterfaceError)
"""What a database that is away, wedged or restarting raises."""
_TIMES = ("queued_at", "started_at", "finished_at", "updated_at")
WAITS_HEADER = "gongkai_waits"
"""The message header that counts a job's waits for the database, broker or disk (a retry
that spends none of its GONGKAI_MAX_RETRIES)."""

log = logging.getLogger(__name__)


class Job(db.Base):
    __tablename__ = "jobs"

    task_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    task: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    filename: Mapped[str | None] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(20), index=True)
    stage: Mapped[str | None] = mapped_column(String(20))
    page: Mapped[int | None]
    pages: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    retries: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None]
    agency: Mapped[str | None] = mapped_column(String(400))
    year: Mapped[int | None]
    version: Mapped[int | None]
    error_kind: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(String(2000))
    exit_code: Mapped[int | None]
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True, slots=True)
class JobView:
    """A ledger row as `gongkai jobs` shows it."""

    task_id: str
    task: str | None
    sha256: str | None
    filename: str | None
    state: str
    stage: str | None
    page: int | None
    pages: int | None
    attempts: int
    retries: int
    worker: str | None
    pid: int | None
    agency: str | None
    year: int | None
    version: int | None
    error_kind: str | None
    error_message: str | None
    exit_code: int | None
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            field.name: value.isoformat() if isinstance(value, datetime) else value
            for field in fields(self)
            for value in [getattr(self, field.name)]
        }


class Backlog:
    """Ledger writes made while the database was away, one JSON file each, oldest first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, task_id: str, values: dict[str, Any]) -> None:
        record = {"task_id": task_id, **values}
        for name in _TIMES:
            if isinstance(record.get(name), datetime):
                record[name] = record[name].isoformat()
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        write_atomically(self.folder / name, json.dumps(record, ensure_ascii=False).encode())

    def write_to(self, ledger: Ledger) -> None:
        """Write what was kept, oldest first, each unless its row was written since; stops
        (keeping the rest) when the database is still away."""
        try:
            kept = sorted(self.folder.glob("*.json"))
        except OSError:
            return
        for path in kept:
            try:
                record = json.loads(path.read_text())
            except FileNotFoundError:
                continue  # written by another process just now
            except (OSError, ValueError) as exc:
                log.error("unreadable ledger backlog %s, left aside: %s", path, exc)
                path.rename(path.with_suffix(".unreadable"))
                continue
            for name in _TIMES:
                if isinstance(record.get(name), str):
                    record[name] = datetime.fromisoformat(record[name])
            ledger.upsert(record.pop("task_id"), record, unless_newer=True)
            path.unlink(missing_ok=True)


class Ledger:
    def __init__(self, engine: Engine, backlog: Backlog | None = None) -> None:
        self._engine = engine
        self._backlog = backlog

    def record(self, task_id: str, state: str, count_attempt: bool = False, **values: Any) -> None:
        """Insert or update one job's row in one statement (workers race on it)."""
        values.update(state=state, updated_at=datetime.now(UTC))
        self.upsert(task_id, values, count_attempt=count_attempt)

    def keep(self, task_id: str, state: str, **values: Any) -> None:
        """`record`, or when the database cannot be reached, keep the write in the backlog
        (a state that must not be lost: a job queued or ended)."""
        values.update(state=state, updated_at=datetime.now(UTC))
        try:
            self.upsert(task_id, values)
        except UNREACHABLE as exc:
            if self._backlog is None:
                raise
            log.warning("job %s %s: kept until the database is back (%s)", task_id, state,
                        first_line(exc))  # fmt: skip
            self._backlog.keep(task_id, values)

    def catch_up(self) -> None:
        """Write the backlog, if any, before the ledger is read or a job starts."""
        if self._backlog is not None:
            self._backlog.write_to(self)

    def upsert(
        self,
        task_id: str,
        values: dict[str, Any],
        count_attempt: bool = False,
        unless_newer: bool = False,
    ) -> None:
        """One statement.  A job that ended is not reopened (a late delivery of it starts,
        and finds it ended); with `unless_newer`, a row updated after `values` is left alone."""
        update = dict(values)
        if count_attempt:
            update["attempts"] = Job.__table__.c.attempts + 1
        insert = (postgresql if self._engine.dialect.name == "postgresql" else sqlite).insert
        row = Job.__table__.c
        keep = [row.state.not_in(FINAL)] if values.get("state") not in FINAL else []
        if unless_newer:
            keep.append(row.updated_at <= values["updated_at"])
        statement = (
            insert(Job)
            .values(task_id=task_id, attempts=int(count_attempt), **values)
            .on_conflict_do_update(
                index_elements=[Job.task_id], set_=update, where=and_(*keep) if keep else None
            )
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def jobs(
        self, state: str | None = None, sha256: str | None = None, limit: int | None = 50
    ) -> list[JobView]:
        """The most recently updated jobs first."""
        self.catch_up()
        query = select(Job).order_by(Job.updated_at.desc(), Job.task_id).limit(limit)
        if state:
            query = query.where(Job.state == state)
        if sha256:
            query = query.where(Job.sha256.startswith(sha256, autoescape=True))
        with Session(self._engine) as session:
            return [_view(row) for row in session.scalars(query)]

    def queued(self, task_id: str, task: str, kwargs: dict[str, Any], retries: int = 0) -> None:
        state = "retrying" if retries else "queued"
        self.keep(task_id, state, **queued_values(task, kwargs, retries))

    def progress(self, task_id: str, stage: str, page: int | None, pages: int | None) -> None:
        self.record(task_id, "progress", stage=stage, page=page, pages=pages)

    def job(self, task_id: str) -> JobView | None:
        self.catch_up()
        with Session(self._engine) as session:
            row = session.get(Job, task_id)
            return None if row is None else _view(row)


def of(given: settings.Settings) -> Ledger:
    """The ledger of the database the settings name, with the backlog of their data folder."""
    return Ledger(db.engine(given.database_url), backlog_of(given))


def backlog_of(given: settings.Settings) -> Backlog:
    return Backlog(given.data_dir / "ledger-backlog")


def current() -> Ledger:
    """The ledger of this worker process's settings, for the signal receivers."""
    return of(settings.current())


def connect() -> None:
    """Write the ledger from Celery's signals as a task is queued, starts and is retried
    (called where the app is created); its end comes through `worker.finished`."""
    signals.before_task_publish.connect(_published, weak=False)
    signals.task_prerun.connect(_started, weak=False)
    signals.task_retry.connect(_retrying, weak=False)


def _published(sender: str, headers: dict[str, Any], body: Any, **_: Any) -> None:
    kwargs = body[1] if isinstance(body, list | tuple) and len(body) > 1 else {}
    retries = int(headers.get("retries") or 0)
    if retries or headers.get(WAITS_HEADER):  # the task says why, in _retrying
        _best_effort(lambda ledger: ledger.record(headers["id"], "retrying", retries=retries))
    else:
        _keep(headers["id"], "queued", **queued_values(sender, kwargs))


def _started(task_id: str, task: Task, kwargs: dict[str, Any], **_: Any) -> None:
    def started(ledger: Ledger) -> None:
        ledger.catch_up()  # what ended while the database was away, before this job
        ledger.record(
            task_id,
            "started",
            task=task.name,
            sha256=kwargs.get("sha256"),
            filename=kwargs.get("filename"),
            count_attempt=True,
            retries=task.request.retries,
            worker=task.request.hostname,
            pid=os.getpid(),
            started_at=datetime.now(UTC),
            finished_at=None,
            error_kind=None,
            error_message=None,
            exit_code=None,
        )

    _best_effort(started)


def _retrying(request: Any, reason: Any, **_: Any) -> None:
    message = str(reason)[:2000]
    _best_effort(lambda ledger: ledger.record(request.id, "retrying", error_message=message))


def record_finished(task_id: str, result: dict[str, Any], exception: BaseException | None) -> None:
    """The job's end: succeeded with the document it stored, duplicate with the document
    stored before from the same bytes, or failed with the kind and code."""
    if exception is None:
        _keep(
            task_id,
            "duplicate" if result.get("duplicate") else "succeeded",
            agency=result.get("agency"),
            year=result.get("year"),
            version=result.get("version"),
            finished_at=datetime.now(UTC),
        )
        return
    failure = describe(exception)
    _keep(
        task_id,
        "failed",
        error_kind=failure.kind,
        error_message=failure.message[:2000],
        exit_code=failure.exit_code,
        finished_at=datetime.now(UTC),
    )


def queued_values(task: str, kwargs: dict[str, Any], retries: int = 0) -> dict[str, Any]:
    return {
        "task": task,
        "sha256": kwargs.get("sha256"),
        "filename": kwargs.get("filename"),
        "retries": retries,
        "queued_at": datetime.now(UTC),
    }


def _keep(task_id: str, state: str, **values: Any) -> None:
    """`Ledger.keep` in this process's ledger, into the backlog when even the engine could
    not be made (its first use in a process connects, to check the schema)."""
    found = _ledger()
    if found is not None:
        found.keep(task_id, state, **values)
        return
    values.update(state=state, updated_at=datetime.now(UTC))
    log.warning("job %s %s: kept until the database is back", task_id, state)
    backlog_of(settings.current()).keep(task_id, values)


def note(task_id: str, state: str, **values: Any) -> None:
    """Record a state that a later one supersedes, in this process's ledger if it can."""
    _best_effort(lambda ledger: ledger.record(task_id, state, **values))


def _best_effort(write: Callable[[Ledger], None]) -> None:
    """A write that a later one supersedes: while the database is away, one line in the
    log instead of a traceback from every signal."""
    found = _ledger()
    if found is None:
        return
    try:
        write(found)
    except UNREACHABLE as exc:
        log.warning("job ledger not written, the database is away: %s", first_line(exc))


def _ledger() -> Ledger | None:
    try:
        return current()
    except UNREACHABLE as exc:
        log.warning("the job ledger's database cannot be reached: %s", first_line(exc))
        return None


def first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def _view(row: Job) -> JobView:
    values = {field.name: getattr(row, field.name) for field in fields(JobView)}
    for name, value in values.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            values[name] = value.replace(tzinfo=UTC)  # SQLite drops the zone; all are UTC
    return JobView(**values)
