"""The review desk: web pages where a person checks every number against its page.

Served by `gongkai serve` beside the API (`install`), in the same process: the login form
exchanges a user's password (`worker.users`) or the API token for a session cookie
(`session.py`), failed logins slowed down per name and address (`throttle.py`).  The
pages (`routes.py`) show the inbox, a report beside its page images (`pages.py`) with its
tables as printed (`sheet.py`), corrected and marked reviewed there as new revisions
(`corrections.py`), its earlier versions listed and opened read only (`history.py`), and
an agency over the years (`years.py`), in Chinese or English (`words.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from worker.desk.session import Keys
from worker.desk.throttle import Throttle
from worker.errors import NotFound
from worker.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the desk's pages, its script and style, and its session keys to `app`."""
    from swagger_ui_bundle import swagger_ui_path

    from worker.desk.routes import LoginRequired, router  # Jinja2: only where it is served

    app.state.desk_keys = Keys(settings.data_dir, settings.api_token)
    app.state.desk_throttle = Throttle()
    app.include_router(router)
    static = Path(__file__).with_name("static")
    app.mount("/desk/static", StaticFiles(directory=static), name="desk-static")
    app.mount("/docs/static", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.add_exception_handler(LoginRequired, _login_required)
    _pages_for_errors(app)


def _pages_for_errors(app: FastAPI) -> None:
    """A missing document, revision or page of the desk (and any unknown address under
    /desk or /login) answers with a page in the desk's layout; the API keeps its JSON."""
    from worker.desk.routes import problem_page

    for kind, status in ((NotFound, 404), (HTTPException, 404), (RequestValidationError, 422)):
        before = _handler(app, kind)

        async def handler(
            request: Request,
            exc: Exception,
            before: Handler = before,
            status: int = status,
        ) -> Response:
            code = getattr(exc, "status_code", status)
            if _desk_address(request.url.path) and code == status:
                problem = "not_found" if status == 404 else "bad_address"
                return problem_page(request, problem, status)
            return await before(request, exc)

        app.add_exception_handler(kind, handler)


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _handler(app: FastAPI, kind: type[Exception]) -> Handler:
    """The handler `app` would use for `kind` now (its own, or its nearest base's)."""
    for base in kind.__mro__:
        found = app.exception_handlers.get(base)
        if found is not None:
            return cast(Handler, found)
    raise LookupError(f"no handler for {kind.__name__}")


def _desk_address(path: str) -> bool:
    return path in ("/desk", "/login") or path.startswith(("/desk/", "/login/"))


async def _login_required(request: Request, exc: Exception) -> Response:
    """A page asks for the login form; a form without a session or its token is refused."""
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return JSONResponse(
        {
            "error": "unauthorized",
            "detail": "log in again: the session or its form token is missing",
        },
        status_code=403,
    )
