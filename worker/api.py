"""The HTTP API for archive systems: upload, follow the job, fetch reports, sources, exports.

`gongkai serve` runs it with uvicorn; the OpenAPI document is at `/openapi.json`.  Every
endpoint but `/health` wants `Authorization: Bearer $GONGKAI_API_TOKEN` when a token is
set, compared in constant time; `serve` refuses to listen beyond loopback without one.
Errors are JSON, `{"error": <kind>, "detail": <one line>}`, with the kinds of
`extract.errors` where one fits, so a client branches on `error`, never on wording.
Reports are served with rule 5 (across years) as `gongkai results show` prints them.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import tempfile
from datetime import datetime
from http import HTTPStatus
from importlib.metadata import version as package_version
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from kombu.exceptions import OperationalError as BrokerError
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extract.errors import GongkaiError, InvalidSetting
from schemas.validate import load_schema
from worker import crossyear, exports, ledger, settings, store, uploads
from worker.ledger import JobView
from worker.media import media_type
from worker.store import Stored

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file itself
_STATUS_OF_KIND = {
    "not_found": 404,
    "unsupported_input": 415,
    "encrypted": 415,
    "empty_file": 422,
    "limit_exceeded": 413,
    "invalid_setting": 400,
    "unavailable": 503,
}
_KIND_OF_STATUS = {
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "limit_exceeded",
    415: "unsupported_input",
}
Agency = Annotated[str, Path(pattern=r"^[^\x00-\x1f/\\]{1,400}$", description="as stored")]
Year = Annotated[str, Path(pattern=r"^([0-9]{4}|unknown-year)$", examples=["2021"])]
Version = Annotated[int | None, Query(ge=1, le=2**31, description="default: the latest")]
YearFilter = Annotated[int | None, Query(ge=1000, le=9999)]

log = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False, description="GONGKAI_API_TOKEN")


class ApiError(Exception):
    """An HTTP error with its JSON body."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


class ErrorBody(BaseModel):
    error: str
    detail: str


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    mode: Literal["embedded", "broker"]


class AcceptedBody(BaseModel):
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
    version: int | None
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
    version: int
    sha256: str
    filename: str
    method: str
    pages: int | None
    original: str
    timings: dict[str, float]
    created_at: datetime
    url: str


class ReportPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[StoredVersion]


def _authorized(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = settings.current().api_token
    if expected is None:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "a valid 'Authorization: Bearer <token>' is needed")


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": HTTPStatus(status).phrase}
    for status in (401, 404, 422, 503)
}
open_routes = APIRouter()
router = APIRouter(dependencies=[Depends(_authorized)], responses=_ERRORS)


@open_routes.get("/health", response_model=Health, tags=["service"])
def health() -> Health:
    """Up, and able to reach its database (503 otherwise); no token needed."""
    ledger.current().jobs(limit=1)
    mode: Literal["embedded", "broker"] = "embedded" if settings.current().embedded else "broker"
    return Health(status="ok", version=package_version("gongkai"), mode=mode)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.post(
    "/documents",
    status_code=202,
    response_model=AcceptedBody,
    tags=["jobs"],
    responses={status: {"model": ErrorBody} for status in (413, 415)},
)
async def upload(file: Annotated[UploadFile, File(description="a report file")]) -> JSONResponse:
    """Queue a report file; the answer names its job (`GET /jobs/{id}`).

    The type is read from the bytes (PDF, Word .docx, web page, text, image), never the
    name; the name is kept only as a label, made safe.
    """
    accepted = await run_in_threadpool(
        uploads.receive, file.file, file.filename, settings.current()
    )
    body = AcceptedBody(
        job=accepted.job,
        sha256=accepted.sha256,
        filename=accepted.filename,
        state=accepted.state,
        url=f"/jobs/{accepted.job}",
    )
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": body.url})


@router.get("/jobs/{job_id}", response_model=Job, tags=["jobs"])
def job(job_id: Annotated[str, Path(max_length=200)]) -> Job:
    """A job's state (queued, started, progress, retrying, succeeded, failed) from the
    durable ledger, with its progress, its error, or the report it stored."""
    found = ledger.current().job(job_id)
    if found is None:
        raise ApiError(404, "not_found", f"no job {job_id}")
    return _job(found)


@router.get("/reports", response_model=ReportPage, tags=["reports"])
def reports(
    agency: Annotated[str | None, Query(max_length=400, description="name contains")] = None,
    year: YearFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> ReportPage:
    """The latest version of each stored report, by agency and year."""
    found = store.current().listing(agency, year)
    page = [_version(item) for item in found[offset : offset + limit]]
    return ReportPage(total=len(found), limit=limit, offset=offset, items=page)


@router.get("/reports/{agency}/{year}", tags=["reports"])
def report(agency: Agency, year: Year, version: Version = None) -> dict[str, Any]:
    """The report as JSON (see `GET /schema`), with rule 5 when the previous year is stored."""
    return crossyear.served(store.current(), agency, year, version)


@router.get(
    "/reports/{agency}/{year}/source",
    tags=["reports"],
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def source(agency: Agency, year: Year, version: Version = None) -> FileResponse:
    """The original file, with its media type (from its bytes) and its name."""
    stored = _pick(agency, year, version)
    path = settings.current().data_dir / stored.original
    if not path.is_file():
        raise ApiError(404, "not_found", f"the original of {agency} {year} is missing")
    return FileResponse(
        path,
        media_type=media_type(path),
        filename=stored.filename,
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


@router.get(
    "/reports/{agency}/{year}/history", response_model=list[StoredVersion], tags=["reports"]
)
def history(agency: Agency, year: Year) -> list[StoredVersion]:
    """Every stored version of one report, oldest first."""
    return [_version(item) for item in store.current().history(agency, year)]


@router.get("/schema", tags=["reports"])
def schema() -> JSONResponse:
    """The JSON Schema (2020-12) every report follows."""
    return JSONResponse(load_schema(), media_type="application/schema+json")


@router.get(
    "/exports/reports.{kind}",
    tags=["exports"],
    responses={200: {"content": {media: {} for media in exports.FORMATS.values()}}},
)
async def export(
    kind: Literal["csv", "xlsx", "jsonl"],
    agency: Annotated[str | None, Query(max_length=400, description="name contains")] = None,
    year_from: YearFilter = None,
    year_to: YearFilter = None,
    headers: Literal["en", "zh"] = "en",
    bom: bool = False,
) -> StreamingResponse:
    """The latest version of each selected report: CSV or XLSX (a row per report, a column
    per contract cell) or JSON Lines (the reports themselves)."""

    def build() -> tempfile.SpooledTemporaryFile[bytes]:
        found = store.current()
        selected = exports.select(found, agency, year_from, year_to)
        output = tempfile.SpooledTemporaryFile(8 << 20)  # noqa: SIM115 (closed after the response)
        exports.write(kind, exports.items(found, selected), output, headers, bom)
        output.seek(0)
        return output

    output = await run_in_threadpool(build)
    disposition = f'attachment; filename="reports.{kind}"'
    return StreamingResponse(
        iter(lambda: output.read(1 << 16), b""),
        media_type=exports.FORMATS[kind],
        headers={"Content-Disposition": disposition},
        background=BackgroundTask(output.close),
    )


class BodyLimit:
    """Refuse a request body over `limit` bytes with the API's JSON 413: at once when its
    Content-Length says so (a client sending `Expect: 100-continue` then sends nothing),
    else as soon as the bytes read pass it, so no more than that is ever spooled."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refusal()(scope, receive, send)
            return
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.limit:
                raise HTTPException(413, self._detail())  # handled as the route's error
            return message

        await self.app(scope, counted, send)

    def _refusal(self) -> JSONResponse:
        return _body(413, "limit_exceeded", self._detail(), Connection="close")

    def _detail(self) -> str:
        return (
            f"the request is over {self.limit / 1048576:.3g} MB "
            "(GONGKAI_MAX_UPLOAD_MB, plus room for the form's own bytes)"
        )


def create_app() -> FastAPI:
    """The application, with the upload cap of the current settings."""
    cap = int(settings.current().max_upload_mb * 1024 * 1024) + MULTIPART_SLACK
    app = FastAPI(
        title="gongkai",
        summary="政府信息公开工作年度报告 as validated JSON: upload, jobs, reports, exports",
        version=package_version("gongkai"),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by `openapi` above, behind the token
    )
    app.add_middleware(BodyLimit, limit=cap)
    app.include_router(open_routes)
    app.include_router(router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(GongkaiError, _gongkai_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for unavailable in (OperationalError, InterfaceError, BrokerError):
        app.add_exception_handler(unavailable, _unavailable)
    app.add_exception_handler(Exception, _internal)
    return app


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address; any other name counts as reachable from outside."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int) -> None:
    """Run the API with uvicorn until interrupted; raises InvalidSetting when a public
    address has no token to protect it."""
    import uvicorn  # only for this command

    if not is_loopback(host) and settings.current().api_token is None:
        raise InvalidSetting(
            f"refusing to listen on {host} without GONGKAI_API_TOKEN: anyone who can reach "
            "it could read every report; set a token, or listen on 127.0.0.1"
        )
    uvicorn.run(create_app(), host=host, port=port, log_level="info", proxy_headers=False)


def _pick(agency: str, year: str, version: int | None) -> Stored:
    versions = store.current().history(agency, year)
    if version is None:
        return versions[-1]
    for stored in versions:
        if stored.version == version:
            return stored
    raise ApiError(404, "not_found", f"no stored report for {agency} {year} (version {version})")


def _version(stored: Stored) -> StoredVersion:
    agency, year = store.keys(stored.agency, stored.year)
    return StoredVersion(
        **stored.as_json(), url=f"/reports/{agency}/{year}?version={stored.version}"
    )


def _job(found: JobView) -> Job:
    error = None
    if found.error_kind:
        error = JobError(
            kind=found.error_kind, exit_code=found.exit_code, message=found.error_message
        )
    stored = None
    if found.state == "succeeded" and found.version is not None:
        agency, year = store.keys(found.agency, found.year)
        stored = ReportRef(
            agency=found.agency,
            year=found.year,
            version=found.version,
            url=f"/reports/{agency}/{year}?version={found.version}",
        )
    return Job(
        id=found.task_id,
        state=found.state,
        filename=found.filename,
        sha256=found.sha256,
        progress=Progress(stage=found.stage, page=found.page, pages=found.pages),
        error=error,
        report=stored,
        attempts=found.attempts,
        retries=found.retries,
        queued_at=found.queued_at,
        started_at=found.started_at,
        finished_at=found.finished_at,
        updated_at=found.updated_at,
    )


def _body(status: int, error: str, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": " ".join(detail.split())}, status_code=status, headers=headers
    )


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    extra = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return _body(exc.status, exc.error, exc.detail, **extra)


async def _gongkai_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GongkaiError)
    return _body(_STATUS_OF_KIND.get(exc.kind, 422), exc.kind, exc.message)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = _KIND_OF_STATUS.get(exc.status_code, "http_error")
    return _body(exc.status_code, kind, str(exc.detail), **(exc.headers or {}))


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    ]
    return _body(422, "invalid_request", "; ".join(problems))


async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("service unavailable: %s", exc)
    return _body(503, "unavailable", "the database or the broker cannot be reached")


async def _internal(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return _body(500, "internal", "internal error: a bug of ours, see the server's log")
