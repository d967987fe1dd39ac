"""The job ledger: one durable row per task, written from Celery's signals.

Flower forgets on restart and the Redis result backend expires; the ledger is in the
store's database, so `gongkai jobs` can say what happened to a file weeks later: queued
(before_task_publish, in whichever process enqueued; spooled if the broker then refused
it), started (task_prerun, with worker
and pid), progress (from the task), retrying, succeeded (with the stored document),
duplicate (its bytes were stored from another file: the stored document's agency, year and
version) or failed (task_failure, with the same kind, exit code and message as
`failed/<name>.error.json`).  A job's id is its spooled file's (`worker.spool`), so a
redelivered or re-enqueued document updates its row instead of adding one.  Embedded mode
fires the same signals, except publishing, which `worker.tasks.enqueue` records directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from celery import Task, signals
from sqlalchemy import DateTime, Engine, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from worker import db, settings
from worker.failure import describe

FINAL = ("succeeded", "duplicate", "failed")
STATES = ("spooled", "queued", "started", "progress", "retrying", *FINAL)


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


class Ledger:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, task_id: str, state: str, count_attempt: bool = False, **values: Any) -> None:
        """Insert or update one job's row in one statement (workers race on it)."""
        values.update(state=state, updated_at=datetime.now(UTC))
        update = dict(values)
        if count_attempt:
            update["attempts"] = Job.__table__.c.attempts + 1
        insert = (postgresql if self._engine.dialect.name == "postgresql" else sqlite).insert
        statement = (
            insert(Job)
            .values(task_id=task_id, attempts=int(count_attempt), **values)
            .on_conflict_do_update(index_elements=[Job.task_id], set_=update)
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def jobs(
        self, state: str | None = None, sha256: str | None = None, limit: int | None = 50
    ) -> list[JobView]:
        """The most recently updated jobs first."""
        query = select(Job).order_by(Job.updated_at.desc(), Job.task_id).limit(limit)
        if state:
            query = query.where(Job.state == state)
        if sha256:
            query = query.where(Job.sha256.startswith(sha256, autoescape=True))
        with Session(self._engine) as session:
            return [_view(row) for row in session.scalars(query)]

    def queued(self, task_id: str, task: str, kwargs: dict[str, Any], retries: int = 0) -> None:
        self.record(
            task_id,
            "retrying" if retries else "queued",
            task=task,
            sha256=kwargs.get("sha256"),
            filename=kwargs.get("filename"),
            retries=retries,
            queued_at=datetime.now(UTC),
        )

    def progress(self, task_id: str, stage: str, page: int | None, pages: int | None) -> None:
        self.record(task_id, "progress", stage=stage, page=page, pages=pages)

    def job(self, task_id: str) -> JobView | None:
        with Session(self._engine) as session:
            row = session.get(Job, task_id)
            return None if row is None else _view(row)


def of(given: settings.Settings) -> Ledger:
    """The ledger of the database the settings name."""
    return Ledger(db.engine(given.database_url))


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
    current().queued(headers["id"], sender, kwargs, int(headers.get("retries") or 0))


def _started(task_id: str, task: Task, kwargs: dict[str, Any], **_: Any) -> None:
    current().record(
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


def _retrying(request: Any, reason: Any, **_: Any) -> None:
    current().record(request.id, "retrying", error_message=str(reason)[:2000])


def record_finished(task_id: str, result: dict[str, Any], exception: BaseException | None) -> None:
    """The job's end: succeeded with the document it stored, duplicate with the document
    stored before from the same bytes, or failed with the kind and code."""
    if exception is None:
        current().record(
            task_id,
            "duplicate" if result.get("duplicate") else "succeeded",
            agency=result.get("agency"),
            year=result.get("year"),
            version=result.get("version"),
            finished_at=datetime.now(UTC),
        )
        return
    failure = describe(exception)
    current().record(
        task_id,
        "failed",
        error_kind=failure.kind,
        error_message=failure.message[:2000],
        exit_code=failure.exit_code,
        finished_at=datetime.now(UTC),
    )


def _view(row: Job) -> JobView:
    values = {field.name: getattr(row, field.name) for field in fields(JobView)}
    for name, value in values.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            values[name] = value.replace(tzinfo=UTC)  # SQLite drops the zone; all are UTC
    return JobView(**values)
