"""The HTTP API for archive systems: upload, follow the job, fetch reports, sources, exports.

`gongkai serve` runs it with uvicorn; the OpenAPI document is at `/openapi.json`.  Every
endpoint but `/health` wants `Authorization: Bearer $GONGKAI_API_TOKEN` when a token is
set, compared in constant time; `serve` refuses to listen beyond loopback without one.
Errors are JSON (`api_errors`), answers are modelled in `api_models`, and reports are
served with rule 5 (across years), as `gongkai results show` prints them.
"""

from __future__ import annotations

import hmac
import ipaddress
import tempfile
from http import HTTPStatus
from importlib.metadata import version as package_version
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.background import BackgroundTask

from schemas.validate import load_schema
from worker import api_errors, crossyear, exports, ledger, settings, store, uploads
from worker import api_models as models
from worker.api_errors import ApiError, BodyLimit
from worker.errors import InvalidSetting
from worker.media import media_type

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file itself
Agency = Annotated[str, Path(pattern=r"^[^\x00-\x1f/\\]{1,400}$", description="as stored")]
Year = Annotated[str, Path(pattern=r"^([0-9]{4}|unknown-year)$", examples=["2021"])]
Version = Annotated[int | None, Query(ge=1, le=2**31, description="default: the latest")]
YearFilter = Annotated[int | None, Query(ge=1000, le=9999)]

_bearer = HTTPBearer(auto_error=False, description="GONGKAI_API_TOKEN")


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
    status: {"model": models.ErrorBody, "description": HTTPStatus(status).phrase}
    for status in (401, 404, 422, 503)
}
open_routes = APIRouter()
router = APIRouter(dependencies=[Depends(_authorized)], responses=_ERRORS)


@open_routes.get("/health", response_model=models.Health, tags=["service"])
def health() -> models.Health:
    """Up, and able to reach its database (503 otherwise); no token needed."""
    ledger.current().jobs(limit=1)
    mode: Literal["embedded", "broker"] = "embedded" if settings.current().embedded else "broker"
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
async def upload(file: Annotated[UploadFile, File(description="a report file")]) -> JSONResponse:
    """Queue a report file; the answer names its job (`GET /jobs/{id}`).

    The type is read from the bytes (PDF, Word .docx, web page, text, image), never the
    name; the name is kept only as a label, made safe.
    """
    accepted = await run_in_threadpool(
        uploads.receive, file.file, file.filename, settings.current()
    )
    body = models.accepted(accepted.job, accepted.sha256, accepted.filename, accepted.state)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": body.url})


@router.get("/jobs/{job_id}", response_model=models.Job, tags=["jobs"])
def job(job_id: Annotated[str, Path(max_length=200)]) -> models.Job:
    """A job's state (queued, started, progress, retrying, succeeded, failed) from the
    durable ledger, with its progress, its error, or the report it stored."""
    found = ledger.current().job(job_id)
    if found is None:
        raise ApiError(404, "not_found", f"no job {job_id}")
    return models.job(found)


@router.get("/reports", response_model=models.ReportPage, tags=["reports"])
def reports(
    agency: Annotated[str | None, Query(max_length=400, description="name contains")] = None,
    year: YearFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> models.ReportPage:
    """The latest version of each stored report, by agency and year."""
    found = store.current().listing(agency, year)
    page = [models.stored_version(item) for item in found[offset : offset + limit]]
    return models.ReportPage(total=len(found), limit=limit, offset=offset, items=page)


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
    stored = store.current().version(agency, year, version)
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
    "/reports/{agency}/{year}/history",
    response_model=list[models.StoredVersion],
    tags=["reports"],
)
def history(agency: Agency, year: Year) -> list[models.StoredVersion]:
    """Every stored version of one report, oldest first."""
    return [models.stored_version(item) for item in store.current().history(agency, year)]


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
    api_errors.install(app)
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
