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

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from worker.desk.session import Keys
from worker.desk.throttle import Throttle
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
