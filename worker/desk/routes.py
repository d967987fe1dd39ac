"""The desk's pages: log in, the inbox, a report beside its pages, an agency over the years.

Server-rendered (Jinja2, autoescaped) with one small script of our own for selecting a cell
and its box: nothing is loaded from another site, so the desk works on an intranet.  Every
page but the login form wants a session; every form carries the session's CSRF token.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from worker import crossyear
from worker.api.services import Services, wired
from worker.desk import sheet, words, years
from worker.desk.pages import PageImage, page_image
from worker.desk.session import COOKIE, LIFETIME, Keys, Session
from worker.errors import NotFound
from worker.store import STATUSES, UNIDENTIFIED, Selection, Stored

LOGIN_COOKIE = "gongkai_login"
PAGE_SIZE = 50
INBOX_ORDER = ("needs_review", "complete", "fragment")
"""The inbox's sections, the work first."""

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
router = APIRouter(include_in_schema=False)
Wired = Annotated[Services, Depends(wired)]
Sha256 = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")]


class LoginRequired(Exception):
    """No valid session: a page redirects to the login form, a form is refused."""


def keys(request: Request) -> Keys:
    found: Keys = request.app.state.desk_keys
    return found


def session(request: Request) -> Session:
    found = keys(request).read(request.cookies.get(COOKIE))
    if found is None:
        raise LoginRequired
    return found


Signed = Annotated[Session, Depends(session)]


def checked(request: Request, who: Signed, csrf: Annotated[str, Form()] = "") -> Session:
    """The session of a form that carries its CSRF token."""
    if not keys(request).csrf_ok(who, csrf):
        raise LoginRequired
    return who


def language(request: Request) -> str:
    chosen = request.cookies.get(words.COOKIE, "zh")
    return chosen if chosen in words.LANGUAGES else "zh"


def render(request: Request, template: str, who: Session | None, **context: Any) -> Response:
    lang = language(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "who": who,
            "csrf": keys(request).csrf(who) if who else "",
            "lang": lang,
            "t": lambda key: words.word(key, lang),
            "quote": quote,
            **context,
        },
    )


# ---------------------------------------------------------------- logging in


@router.get("/login")
def login_form(request: Request, next: str = "/desk", failed: bool = False) -> Response:
    nonce = secrets.token_urlsafe(16)
    page = render(request, "login.html", None, next=_local(next), nonce=nonce, failed=failed)
    page.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", max_age=600)
    return page


@router.post("/login")
def login(
    request: Request,
    services: Wired,
    token: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    nonce: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/desk",
) -> Response:
    """Exchange the API token for a session; the login form's own nonce (a cookie and a
    field that must match) keeps another site from logging a browser in."""
    expected = request.cookies.get(LOGIN_COOKIE)
    allowed = services.settings.api_token
    good_nonce = expected is not None and secrets.compare_digest(expected, nonce)
    good_token = allowed is None or secrets.compare_digest(token.encode(), allowed.encode())
    who = " ".join(name.split())
    if not (good_nonce and good_token and who):
        target = f"/login?failed=1&next={quote(_local(next))}"
        return RedirectResponse(target, status_code=303)
    answer = RedirectResponse(_local(next), status_code=303)
    answer.set_cookie(
        COOKIE,
        keys(request).issue(who),
        max_age=LIFETIME,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    answer.delete_cookie(LOGIN_COOKIE)
    return answer


@router.post("/logout")
def logout(who: Annotated[Session, Depends(checked)]) -> Response:
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(COOKIE)
    return answer


@router.get("/lang/{chosen}")
def switch_language(chosen: str, back: str = "/desk") -> Response:
    answer = RedirectResponse(_local(back), status_code=303)
    if chosen in words.LANGUAGES:
        answer.set_cookie(words.COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    return answer


@router.get("/")
def home() -> Response:
    return RedirectResponse("/desk", status_code=303)


@router.get("/docs")
def api_docs(who: Signed) -> Response:
    """Swagger UI from the swagger-ui-bundle package (served here, not from a CDN)."""
    return get_swagger_ui_html(
        openapi_url="/docs/openapi.json",
        title="gongkai API",
        swagger_js_url="/docs/static/swagger-ui-bundle.js",
        swagger_css_url="/docs/static/swagger-ui.css",
        swagger_favicon_url="/docs/static/favicon-32x32.png",
    )


@router.get("/docs/openapi.json")
def api_document(request: Request, who: Signed) -> JSONResponse:
    return JSONResponse(request.app.openapi())


# ---------------------------------------------------------------- the inbox


@router.get("/desk")
def inbox(
    request: Request,
    who: Signed,
    services: Wired,
    status: Annotated[str | None, Query(max_length=20)] = None,
    agency: Annotated[str | None, Query(max_length=400)] = None,
    year: Annotated[int | None, Query(ge=1000, le=9999)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> Response:
    """Counts per status at the top; the work first (needs_review, then complete…), the
    unidentified documents in a list of their own; or one status, paged."""
    store = services.store
    agency = agency or None
    status = status if status in STATUSES else None

    def chosen(state: str) -> Selection:
        return Selection(agency=agency, year_from=year, year_to=year, status=state)

    counts = {state: store.page(chosen(state), 0)[0] for state in STATUSES}
    states = [status] if status else [*INBOX_ORDER, UNIDENTIFIED]
    sections = []
    for state in states:
        total, items = store.page(chosen(state), PAGE_SIZE, offset if status else 0)
        sections.append({"status": state, "total": total, "items": items})
    filters = {"agency": agency or "", "year": year or "", "status": status or ""}
    return render(
        request,
        "inbox.html",
        who,
        counts=counts,
        sections=sections,
        filters=filters,
        offset=offset,
        page_size=PAGE_SIZE,
    )


# ---------------------------------------------------------------- one report


@router.get("/desk/documents/{sha256}")
def report_view(
    request: Request,
    who: Signed,
    services: Wired,
    sha256: Sha256,
) -> Response:
    stored = services.store.document(sha256)
    report = crossyear.served_document(services.store, sha256)
    original = services.settings.data_dir / stored.original
    sizes: list[tuple[int, tuple[float, float] | None]] = []
    for number in range(1, (stored.pages or 1) + 1):
        picture = _picture(services, stored, number) if original.is_file() else None
        sizes.append((number, None if picture is None else (picture.width, picture.height)))
    return render(
        request,
        "report.html",
        who,
        stored=stored,
        report=report,
        tables=sheet.tables(report),
        broken=sheet.broken_checks(report),
        pages=sizes,
        original=original.is_file(),
    )


@router.get("/desk/documents/{sha256}/pages/{number}")
def page_picture(
    who: Signed,
    services: Wired,
    sha256: Sha256,
    number: int,
) -> Response:
    """Page `number` of the stored original as PNG, with its size in points in headers
    (the boxes are placed by percentages of it)."""
    stored = services.store.document(sha256)
    original = services.settings.data_dir / stored.original
    if not original.is_file() or not 1 <= number <= (stored.pages or 1):
        raise NotFound(f"no page {number} of {sha256}")
    picture = _picture(services, stored, number)
    return FileResponse(
        picture.png,
        media_type="image/png",
        headers={
            "Cache-Control": "private, max-age=86400",
            "X-Page-Size": f"{picture.width:.2f} {picture.height:.2f}",
        },
    )


# ---------------------------------------------------------------- an agency over the years


@router.get("/desk/agency")
def agency_view(
    request: Request,
    who: Signed,
    services: Wired,
    name: Annotated[str, Query(min_length=1, max_length=400)],
) -> Response:
    """The agency's years side by side (the name is a query parameter: names hold `/`)."""
    stored = [
        item
        for item in services.store.listing(Selection(agency=name))
        if item.agency == name and item.year is not None
    ]
    if not stored:
        raise NotFound(f"no stored report for {name}")
    reports = {
        item.year: crossyear.served(services.store, name, str(item.year))
        for item in stored
        if item.year is not None
    }
    found = years.figures(reports)
    return render(request, "agency.html", who, name=name, years=found, chart=years.chart(found))


def _local(target: str) -> str:
    """A redirect target on this site only: a path, never `//host` or a full URL."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/desk"


def _picture(services: Services, stored: Stored, number: int) -> PageImage:
    """Page `number` of a stored original, from the page cache or rendered into it."""
    settings = services.settings
    return page_image(
        settings.data_dir / stored.original,
        stored.sha256,
        number,
        settings.data_dir / "cache" / "pages",
        settings.read_options().max_pixels,
    )
