"""The API's endpoints: upload, follow the job, fetch reports, sources, exports.

Each takes the app's settings and the store and ledger they name from `Services` (built
once by `create_app`), so nothing here reads the environment.  Every endpoint but `/health`
wants `Authorization: Bearer <token>` when the settings have a token, compared in constant
time.  Reports are served with rule 5 (across years), as `gongkai results show` prints them.

Every stored document is addressed by its SHA-256 (`/documents/{sha256}`), the links the
answers give: that works for unidentified documents and for any agency name.  The paths by
agency and year (`/reports/{agency}/{year}`) are there for names without a `/`, which no
router can take in a path segment.
"""

from __future__ import annotations

import hmac
import tempfile
from http import HTTPStatus
from importlib.metadata import version as package_version
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.background import BackgroundTask

from schemas.validate import load_schema
from worker import crossyear, exports, uploads
from worker.api import models
from worker.api.errors import ApiError
from worker.api.services import Services, wired
from worker.links import reprocess_url
from worker.media import media_type
from worker.store import Stored

Agency = Annotated[
    str, Path(pattern=r"^[^\x00-\x1f/]{1,400}$", description="as stored (with `/`: by sha256)")
]
Year = Annotated[int, Path(ge=1000, le=9999, examples=[2021])]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="of the source file")]
Version = Annotated[int | None, Query(ge=1, le=2**31, description="default: the latest")]
YearFilter = Annotated[int | None, Query(ge=1000, le=9999)]
AgencyFilter = Annotated[
    str | None, Query(max_length=400, pattern=r"^[^\x00]*$", description="name contains")
]
StatusFilter = Annotated[
    Literal["complete", "needs_review", "fragment", "reviewed", "unidentified"] | None,
    Query(description="the review verdict, or unidentified (agency or year not read)"),
]

Wired = Annotated[Services, Depends(wired)]
_bearer = HTTPBearer(auto_error=False, description="GONGKAI_API_TOKEN")


def _authorized(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    services: Wired,
) -> None:
    expected = services.settings.api_token
    if expected is None:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "a valid 'Authorization: Bearer <token>' is needed")


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": models.ErrorBody, "description": HTTPStatus(status).phrase}
    for status in (401, 404, 422, 503)
}
open_routes = APIRouter()
router = APIRouter(dependencies=[Depends(_authorized)], responses=_ERRORS)


@open_routes.get("/health", response_model=models.Health, tags=["service"])
def health(services: Wired) -> models.Health:
    """Up, and able to reach its database (503 otherwise); no token needed."""
    services.ledger.jobs(limit=1)
    mode: Literal["embedded", "broker"] = "embedded" if services.settings.embedded else "broker"
    return models.Health(status="ok", version=package_version("gongkai"), mode=mode)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.post(
    "/documents",
    status_code=202,
    response_model=models.Accepted,
    tags=["jobs"],
    responses={status: {"model": models.ErrorBody} for status in (413, 415)},
)
async def upload(
    file: Annotated[UploadFile, File(description="a report file")], services: Wired
) -> JSONResponse:
    """Queue a report file; the answer names its job (`GET /jobs/{id}`).

    The type is read from the bytes (PDF, Word .docx, web page, text, image), never the
    name; the name is kept only as a label, made safe.
    """
    accepted = await run_in_threadpool(uploads.receive, file.file, file.filename, services.settings)
    body = models.accepted(accepted.job, accepted.sha256, accepted.filename, accepted.state)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": body.url})


@router.get("/jobs/{job_id}", response_model=models.Job, tags=["jobs"])
def job(job_id: Annotated[str, Path(max_length=200)], services: Wired) -> models.Job:
    """A job's state (queued, started, progress, retrying, succeeded, failed) from the
    durable ledger, with its progress, its error, or the report it stored."""
    found = services.ledger.job(job_id)
    if found is None:
        raise ApiError(404, "not_found", f"no job {job_id}")
    return models.job(found)


@router.post(
    "/reprocess",
    status_code=202,
    response_model=models.ReprocessAccepted,
    tags=["jobs"],
)
def start_reprocessing(request: models.ReprocessRequest, services: Wired) -> JSONResponse:
    """Parse the stored originals of the current documents again with this parser (as
    `gongkai reprocess` does): a new version only where the result differs, reviewers'
    corrections carried forward.  The answer names the run (`GET /reprocess/{id}`)."""
    from worker import reprocess_runs

    settings = services.settings
    wanted = reprocess_runs.Wanted(request.agency, request.year, request.older_than, request.all)
    runs = reprocess_runs.Runs(settings.data_dir)
    run, documents = runs.create(services.store, wanted, here=settings.embedded)
    if settings.embedded:
        store = services.store
        uploads.in_background(lambda: reprocess_runs.run_here(settings, store, run, documents))
    else:
        from worker.tasks import queue_reprocessing

        queue_reprocessing(run, documents)
    body = models.ReprocessAccepted(id=run, total=len(documents), url=reprocess_url(run))
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": body.url})


@router.get("/reprocess/{run}", response_model=models.ReprocessRun, tags=["jobs"])
def reprocessing(
    run: Annotated[str, Path(pattern=r"^[0-9T]{15}-[0-9a-f]{8}$")], services: Wired
) -> dict[str, Any]:
    """How far a reprocess run is: counts by result, and each document's outcome (the
    values that changed, conflicts with reviewers' corrections, errors)."""
    from worker import reprocess_runs

    return reprocess_runs.Runs(services.settings.data_dir).summary(run)


@router.get("/reports", response_model=models.ReportPage, tags=["reports"])
def reports(
    services: Wired,
    agency: AgencyFilter = None,
    year: Annotated[int | None, Query(ge=1000, le=9999, description="one year")] = None,
    year_from: YearFilter = None,
    year_to: YearFilter = None,
    status: StatusFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> models.ReportPage:
    """The latest version of each stored report and every unidentified document, by agency,
    year and status, ordered by agency and year (unread ones last); a page of them and how
    many there are.  Each item links to its document by SHA-256."""
    if year is not None:
        year_from = year_to = year
    selection = exports.select(agency, year_from, year_to, status)
    total, found = services.store.page(selection, limit, offset)
    page = [models.stored_version(item) for item in found]
    return models.ReportPage(total=total, limit=limit, offset=offset, items=page)


@router.get("/reports/{agency}/{year}", tags=["reports"])
def report(agency: Agency, year: Year, services: Wired, version: Version = None) -> dict[str, Any]:
    """The report as JSON (see `GET /schema`), with rule 5 when the previous year is stored."""
    return crossyear.served(services.store, agency, year, version)


@router.get(
    "/reports/{agency}/{year}/source",
    tags=["reports"],
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def source(agency: Agency, year: Year, services: Wired, version: Version = None) -> FileResponse:
    """The original file, with its media type (from its bytes) and its name."""
    return _original(services, services.store.version(agency, year, version))


@router.get(
    "/reports/{agency}/{year}/history",
    response_model=list[models.StoredVersion],
    tags=["reports"],
)
def history(agency: Agency, year: Year, services: Wired) -> list[models.StoredVersion]:
    """Every stored version of one report, oldest first."""
    return [models.stored_version(item) for item in services.store.history(agency, year)]


@router.get("/documents/{sha256}", tags=["reports"])
def document(sha256: Sha256, services: Wired) -> dict[str, Any]:
    """The report of the stored document of these bytes (identified or not), with rule 5."""
    return crossyear.served_document(services.store, sha256)


@router.get(
    "/documents/{sha256}/source",
    tags=["reports"],
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def document_source(sha256: Sha256, services: Wired) -> FileResponse:
    """The file of these bytes as received, with its media type and its name."""
    return _original(services, services.store.document(sha256))


@router.get(
    "/documents/{sha256}/history",
    response_model=list[models.StoredVersion],
    tags=["reports"],
)
def document_history(sha256: Sha256, services: Wired) -> list[models.StoredVersion]:
    """Every version of the report this document belongs to, oldest first (an unidentified
    document: itself alone)."""
    return [models.stored_version(item) for item in services.store.record(sha256)]


def _original(services: Services, stored: Stored) -> FileResponse:
    path = services.settings.data_dir / stored.original
    if not path.is_file():
        raise ApiError(404, "not_found", f"the original of {stored.sha256} is missing")
    return FileResponse(
        path,
        media_type=media_type(path),
        filename=stored.filename,
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


@router.get("/schema", tags=["reports"])
def schema() -> JSONResponse:
    """The JSON Schema (2020-12) every report follows."""
    return JSONResponse(load_schema(), media_type="application/schema+json")


@router.get(
    "/exports/reports.{kind}",
    tags=["exports"],
    responses={200: {"content": {kind.media_type: {} for kind in exports.FORMATS.values()}}},
)
async def export(
    services: Wired,
    kind: Annotated[str, Path(pattern=f"^({'|'.join(exports.FORMATS)})$")],
    agency: AgencyFilter = None,
    year_from: YearFilter = None,
    year_to: YearFilter = None,
    status: StatusFilter = None,
    headers: Literal["en", "zh"] = "en",
    bom: bool = False,
) -> StreamingResponse:
    """The latest version of each selected report: CSV or XLSX (a row per report, a column
    per contract cell) or JSON Lines (the reports themselves)."""

    selection = exports.select(agency, year_from, year_to, status)

    def build() -> tempfile.SpooledTemporaryFile[bytes]:
        """The whole export first (in memory up to 8 MB, then on disk), so that a failure
        is an error answer rather than a cut-off file."""
        output = tempfile.SpooledTemporaryFile(8 << 20)  # noqa: SIM115 (closed after the response)
        exports.write(kind, exports.items(services.store, selection), output, headers, bom)
        output.seek(0)
        return output

    output = await run_in_threadpool(build)
    disposition = f'attachment; filename="reports.{kind}"'
    return StreamingResponse(
        iter(lambda: output.read(1 << 16), b""),
        media_type=exports.FORMATS[kind].media_type,
        headers={"Content-Disposition": disposition},
        background=BackgroundTask(output.close),
    )
