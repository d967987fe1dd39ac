"""The HTTP API for archive systems (`gongkai serve`): the app, and serving it.

`create_app(settings)` is the edge: the settings are read once by the caller and handed
down to the endpoints (`routes`) through `Services`.  Errors are JSON (`errors`), answers
are modelled in `models`.  The OpenAPI document is at `/openapi.json`, behind the token;
`serve` refuses to listen beyond loopback without a token, and takes up the uploads a
stopped server left in the spool before it listens.
"""

from __future__ import annotations

import ipaddress
from importlib.metadata import version as package_version

from fastapi import FastAPI

from worker import desk, uploads
from worker.api import errors
from worker.api.errors import BodyLimit
from worker.api.routes import open_routes, router
from worker.api.services import Services
from worker.errors import InvalidSetting
from worker.settings import Settings

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file itself
MIN_TOKEN_LENGTH = 16
"""Shortest GONGKAI_API_TOKEN `serve` accepts beyond loopback."""


def create_app(settings: Settings) -> FastAPI:
    """The application under `settings`, with their upload cap."""
    cap = int(settings.max_upload_mb * 1024 * 1024) + MULTIPART_SLACK
    app = FastAPI(
        title="gongkai",
        summary="政府信息公开工作年度报告 as validated JSON: upload, jobs, reports, exports",
        version=package_version("gongkai"),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by `routes.openapi`, behind the token
    )
    app.add_middleware(BodyLimit, limit=cap)
    app.include_router(open_routes)
    app.include_router(router)
    errors.install(app)
    app.state.services = Services.of(settings)
    desk.install(app, settings)
    return app


def check_exposure(host: str, settings: Settings) -> None:
    """Beyond loopback the token is all that keeps the reports private: refuse to listen
    without one, or with one short enough to guess (a one-character token was accepted on
    0.0.0.0).  Loopback takes any token, or none."""
    if is_loopback(host):
        return
    if settings.api_token is None:
        raise InvalidSetting(
            f"refusing to listen on {host} without GONGKAI_API_TOKEN: anyone who can reach "
            "it could read every report; set a token, or listen on 127.0.0.1"
        )
    if len(settings.api_token) < MIN_TOKEN_LENGTH:
        raise InvalidSetting(
            f"refusing to listen on {host} with a GONGKAI_API_TOKEN of "
            f"{len(settings.api_token)} characters: beyond loopback it needs at least "
            f"{MIN_TOKEN_LENGTH} (e.g. openssl rand -hex 32), or listen on 127.0.0.1"
        )


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address; any other name counts as reachable from outside."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int, settings: Settings) -> None:
    """Run the API with uvicorn until interrupted; raises InvalidSetting when a public
    address has no token, or too short a one, to protect it."""
    import uvicorn  # only for this command

    check_exposure(host, settings)
    app = create_app(settings)
    uploads.resume(settings)  # uploads a stopped server left in the spool
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
