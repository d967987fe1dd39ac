"""The HTTP API for archive systems (`gongkai serve`): the app, and serving it.

`create_app(settings)` is the edge: the settings are read once by the caller and handed
down to the endpoints (`routes`) through `Services`.  Errors are JSON (`errors`), answers
are modelled in `models`.  The OpenAPI document is at `/openapi.json`, behind the token;
`serve` refuses to listen beyond loopback without a token.
"""

from __future__ import annotations

import ipaddress
from importlib.metadata import version as package_version

from fastapi import FastAPI

from worker import desk
from worker.api import errors
from worker.api.errors import BodyLimit
from worker.api.routes import open_routes, router
from worker.api.services import Services
from worker.errors import InvalidSetting
from worker.settings import Settings

MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file itself


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
    address has no token to protect it."""
    import uvicorn  # only for this command

    if not is_loopback(host) and settings.api_token is None:
        raise InvalidSetting(
            f"refusing to listen on {host} without GONGKAI_API_TOKEN: anyone who can reach "
            "it could read every report; set a token, or listen on 127.0.0.1"
        )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
