"""The shapes of the API's answers, for the OpenAPI document and for clients generated
from it; built from the ledger's and the store's own records.

Reports themselves are not modelled here: their contract is the JSON Schema (`GET
/schema`), which is richer than what OpenAPI models would say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from extract.version import PARSER_VERSION
from schemas.validate import report_years
from worker.ledger import JobView
from worker.links import document_url, job_url
from worker.store import Stored


class ErrorBody(BaseModel):
    error: str
    detail: str


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    mode: Literal["embedded", "broker"]


class Accepted(BaseModel):
    job: str
    sha256: str
    filename: str
    state: str
    url: str


class Progress(BaseModel):
    stage: str | None
    page: int | None
    pages: int | None


class JobError(BaseModel):
    kind: str
    exit_code: int | None
    message: str | None


class ReportRef(BaseModel):
    agency: str | None
    year: int | None
    version: int | None  # None: an unidentified document
    url: str


class Job(BaseModel):
    id: str
    state: str
    filename: str | None
    sha256: str | None
    progress: Progress
    error: JobError | None
    report: ReportRef | None
    attempts: int
    retries: int
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


class StoredVersion(BaseModel):
    agency: str | None
    year: int | None
    version: int | None  # None: an unidentified document, a record of its own
    status: Literal["complete", "needs_review", "fragment", "reviewed", "unidentified"]
    sha256: str
    revision: int  # 1: as first parsed; then reprocessed, corrected, reviewed
    origin: Literal["parsed", "reprocessed", "corrected", "reviewed"]
    edition: str | None
    filename: str
    method: str
    pages: int | None
    original: str
    timings: dict[str, float]
    parser_version: int | None
    gongkai_version: str | None
    created_at: datetime
    url: str


class ReprocessRequest(BaseModel):
    """Which current documents to parse again (the latest version of each report and every
    unidentified document); with none of agency, year, older_than, `all` must be true.
    Unknown fields are refused: a misspelt one beside `"all": true` must not widen a run."""

    model_config = ConfigDict(extra="forbid", strict=True)

    agency: str | None = Field(None, min_length=1, max_length=400, pattern=r"^[^\x00]*$")
    year: int | None = Field(None, ge=report_years()[0], le=report_years()[1])
    older_than: int | None = Field(
        None, ge=1, le=PARSER_VERSION, description="only what older parsers wrote"
    )
    all: bool = False


class ReprocessAccepted(BaseModel):
    id: str
    total: int
    url: str


class Change(BaseModel):
    path: str
    old: Any
    new: Any


class ReprocessOutcome(BaseModel):
    sha256: str
    filename: str
    result: Literal["changed", "unchanged", "failed"]
    agency: str | None
    year: int | None
    version: int | None
    changes: list[Change]
    other_changes: list[str]
    conflicts: list[str]
    error: str | None


class ReprocessRun(BaseModel):
    id: str
    state: Literal["running", "finished", "interrupted"]
    created_at: datetime
    total: int
    done: int
    changed: int
    unchanged: int
    failed: int
    documents: list[ReprocessOutcome]


class ReportPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[StoredVersion]


def accepted(job: str, sha256: str, filename: str, state: str) -> Accepted:
    return Accepted(job=job, sha256=sha256, filename=filename, state=state, url=job_url(job))


def stored_version(stored: Stored) -> StoredVersion:
    return StoredVersion(**stored.as_json(), url=document_url(stored.sha256))


def job(found: JobView) -> Job:
    error = None
    if found.error_kind:
        error = JobError(
            kind=found.error_kind, exit_code=found.exit_code, message=found.error_message
        )
    report = None
    if found.state in ("succeeded", "duplicate") and found.sha256 is not None:
        url = document_url(found.sha256)
        report = ReportRef(agency=found.agency, year=found.year, version=found.version, url=url)
    return Job(
        id=found.task_id,
        state=found.state,
        filename=found.filename,
        sha256=found.sha256,
        progress=Progress(stage=found.stage, page=found.page, pages=found.pages),
        error=error,
        report=report,
        attempts=found.attempts,
        retries=found.retries,
        queued_at=found.queued_at,
        started_at=found.started_at,
        finished_at=found.finished_at,
        updated_at=found.updated_at,
    )
