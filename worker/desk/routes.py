"""The desk's pages: log in, the inbox, a report beside its pages (corrected and marked
reviewed there), an agency over the years.

Server-rendered (Jinja2, autoescaped) with one small script of our own for selecting a cell
and its box: nothing is loaded from another site, so the desk works on an intranet.  Every
page but the login form wants a session; every form carries the session's CSRF token.  A
correction or a review is a new revision of the document (`Store.revise`), never an edit.
"""

from __future__ import annotations

import math
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from worker import crossyear, db, events
from worker.api.services import Services, wired
from worker.corrections import InvalidCorrection, conflicts, correct, mark_reviewed
from worker.desk import history, sheet, words, years
from worker.desk.pages import PageImage, original_text, page_image, paged
from worker.desk.session import COOKIE, LIFETIME, Keys, Session
from worker.desk.throttle import Throttle
from worker.errors import NotFound, StoreConflict
from worker.store import STATUSES, UNIDENTIFIED, Selection, Stored
from worker.users import Users, normal_name

LOGIN_COOKIE = "gongkai_login"
PAGE_SIZE = 50
INBOX_ORDER = ("needs_review", "complete", "reviewed", "fragment")
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


def throttle(request: Request) -> Throttle:
    found: Throttle = request.app.state.desk_throttle
    return found


def users(services: Services) -> Users:
    return Users(db.engine(services.settings.database_url))


def session(request: Request, services: Annotated[Services, Depends(wired)]) -> Session:
    """The signed-in reviewer; a user's session ends once the user is removed."""
    found = keys(request).read(request.cookies.get(COOKIE))
    if found is None or (found.user and not users(services).exists(found.who)):
        raise LoginRequired
    return found


Signed = Annotated[Session, Depends(session)]


def checked(request: Request, who: Signed, csrf: Annotated[str, Form()] = "") -> Session:
    """The session of a form that carries its CSRF token."""
    if not keys(request).csrf_ok(who, csrf):
        raise LoginRequired
    return who


Checked = Annotated[Session, Depends(checked)]


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
            "place": lambda path: words.place(path, lang),
            "rule": lambda rule: words.rule(rule, lang),
            "check_text": lambda check: words.check_text(check, lang),
            "quote": quote,
            **context,
        },
    )


def problem_page(request: Request, problem: str, status: int) -> Response:
    """A desk address with nothing behind it (404) or a malformed one (422), as a page in
    the desk's layout: what went wrong and the way back to the inbox."""
    who = keys(request).read(request.cookies.get(COOKIE))
    page = render(request, "error.html", who, problem=problem, address=request.url.path)
    page.status_code = status
    return page


# ---------------------------------------------------------------- logging in


@router.get("/login")
def login_form(request: Request, next: str = "/desk", failed: bool = False) -> Response:
    return _login_page(request, next, "login_failed" if failed else None)


def _login_page(request: Request, next: str, reason: str | None, minutes: int = 0) -> Response:
    """The login form with a fresh nonce, and why the last attempt did not log in."""
    nonce = secrets.token_urlsafe(16)
    page = render(
        request, "login.html", None, next=_local(next), nonce=nonce, reason=reason, minutes=minutes
    )
    page.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", max_age=600)
    return page


def _too_many(request: Request, next: str, wait: float) -> Response:
    """Too many failed logins with this name or from this address: the form again, with
    the reason and when to try again (429), no password looked at."""
    page = _login_page(request, next, "too_many_logins", math.ceil(wait / 60))
    page.status_code = 429
    page.headers["Retry-After"] = str(math.ceil(wait))
    return page


@router.post("/login")
def login(
    request: Request,
    services: Wired,
    password: Annotated[str, Form(max_length=1000)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    nonce: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/desk",
) -> Response:
    """A user's name and password, or a reviewer's name and the API token, for a session.
    A user's name needs that user's password (the token cannot speak for them).  The login
    form's own nonce (a cookie and a field that must match) keeps another site from logging
    a browser in."""
    who = normal_name(name)
    address = request.client.host if request.client else ""
    wait = throttle(request).wait(who, address)
    if wait > 0:
        return _too_many(request, next, wait)
    expected = request.cookies.get(LOGIN_COOKIE)
    good_nonce = expected is not None and secrets.compare_digest(expected, nonce)
    people = users(services)
    user = bool(who) and people.verify(who, password)
    allowed = services.settings.api_token
    good_token = allowed is None or secrets.compare_digest(password.encode(), allowed.encode())
    by_token = good_token and bool(who) and not user and not people.exists(who)
    if not (good_nonce and (user or by_token)):
        throttle(request).failed(who, address)
        target = f"/login?failed=1&next={quote(_local(next))}"
        return RedirectResponse(target, status_code=303)
    throttle(request).succeeded(who)
    answer = RedirectResponse(_local(next), status_code=303)
    answer.set_cookie(
        COOKIE,
        keys(request).issue(who, user=user),
        max_age=LIFETIME,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    answer.delete_cookie(LOGIN_COOKIE)
    return answer


@router.post("/logout")
def logout(who: Checked) -> Response:
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

    counts = {state: store.page(chosen(state), 0)[0] for state in (*INBOX_ORDER, UNIDENTIFIED)}
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
    return _report_page(request, who, services, sha256)


@router.post("/desk/documents/{sha256}/corrections")
def submit_correction(
    request: Request,
    who: Checked,
    services: Wired,
    sha256: Sha256,
    path: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    revision: Annotated[str, Form()] = "",
) -> Response:
    """Correct one value of the current report: a new revision, then back to the report.
    A correction the contract does not allow comes back in its form with the reason (400);
    one made on a revision that is no longer the current one is refused (409)."""
    form = {"path": path, "value": value, "note": note}
    try:
        report = _current_report(services, sha256, revision)
        corrected = correct(report, path, value, who.who, note)
        events.dispatch(events.revised(services.store.revise(sha256, corrected, "corrected")))
    except (InvalidCorrection, StoreConflict, _Stale) as exc:
        return _refused(request, who, services, sha256, exc, form)
    return RedirectResponse(f"/desk/documents/{sha256}#cell-{quote(path)}", status_code=303)


@router.post("/desk/documents/{sha256}/reviewed")
def submit_reviewed(
    request: Request,
    who: Checked,
    services: Wired,
    sha256: Sha256,
    revision: Annotated[str, Form()] = "",
) -> Response:
    """Mark the current report reviewed by this reviewer, now: a new revision."""
    try:
        report = _current_report(services, sha256, revision)
        reviewed = mark_reviewed(report, who.who)
        events.dispatch(events.revised(services.store.revise(sha256, reviewed, "reviewed")))
    except (InvalidCorrection, StoreConflict, _Stale) as exc:
        return _refused(request, who, services, sha256, exc)
    return RedirectResponse(f"/desk/documents/{sha256}", status_code=303)


@router.get("/desk/documents/{sha256}/revisions/{revision}")
def revision_view(
    request: Request,
    who: Signed,
    services: Wired,
    sha256: Sha256,
    revision: Annotated[int, PathParam(ge=1, le=2**31)],
) -> Response:
    """An earlier revision of a document, read only: its tables as stored, what it changed,
    no form.  The newest revision is the report view itself."""
    older, current = history.revision(services.store, sha256, revision)
    if older.revision == current.revision:
        return RedirectResponse(f"/desk/documents/{sha256}", status_code=303)
    return _report_page(request, who, services, sha256, older=older)


@router.get("/desk/documents/{sha256}/{form}")
def form_address(
    who: Signed, sha256: Sha256, form: Annotated[str, PathParam(pattern="^(corrections|reviewed)$")]
) -> Response:
    """A refused form's page reloaded, or its language switched: back to the report."""
    return RedirectResponse(f"/desk/documents/{sha256}", status_code=303)


class _Stale(Exception):
    """The form was made from a revision that is no longer the current one."""


def _current_report(services: Services, sha256: str, revision: str) -> dict[str, Any]:
    """The report the form was made from, when it is still the current revision."""
    stored = services.store.document(sha256)
    if revision.strip() != str(stored.revision):
        raise _Stale
    return services.store.report_by_sha(sha256)


def _refused(
    request: Request,
    who: Session,
    services: Services,
    sha256: str,
    exc: Exception,
    form: dict[str, str] | None = None,
) -> Response:
    """The report view again with why a form was not saved: a correction the contract does
    not allow (400), or a report that changed meanwhile (409)."""
    lang = language(request)
    if isinstance(exc, InvalidCorrection):
        why = words.refusal(exc.message, lang)
        return _report_page(request, who, services, sha256, 400, why, form)
    why = words.word("busy" if isinstance(exc, StoreConflict) else "stale", lang)
    return _report_page(request, who, services, sha256, 409, why, form)


def _report_page(
    request: Request,
    who: Session,
    services: Services,
    sha256: str,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    older: Stored | None = None,
) -> Response:
    """The report view; after a refused form, with the form, its values and the reason;
    or an `older` revision of the document, read only."""
    current = services.store.document(sha256)
    stored = older or current
    if older is None:
        report = crossyear.served_document(services.store, sha256)
    else:
        report = history.report_of(services.store, older)
    versions = history.versions(services.store, current, stored)
    original = services.settings.data_dir / stored.original
    found = original.is_file()
    sizes: list[tuple[int, tuple[float, float] | None]] = []
    text = None
    if found and not paged(original):  # a text file, a web page, markdown, a .docx
        text = original_text(original, stored.sha256, services.settings.read_options())
    else:
        for number in range(1, (stored.pages or 1) + 1):
            picture = _picture(services, stored, number) if found else None
            sizes.append((number, None if picture is None else (picture.width, picture.height)))
    identity, tables = sheet.identity(report), sheet.tables(report)
    page = render(
        request,
        "report.html",
        who,
        stored=stored,
        report=report,
        identity=identity,
        tables=tables,
        boxed=[*identity, *(cell for table in tables for row in table.rows for cell in row.cells)],
        broken=sheet.broken_checks(report),
        conflicts=conflicts(report),
        pages=sizes,
        text=text,
        original=found,
        versions=versions,
        shown=next((entry for entry in versions if entry.viewed), None),
        readonly=older is not None,
        shown_changes=history.SHOWN_CHANGES,
        error=error,
        form=form,
    )
    page.status_code = status
    return page


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
    if not original.is_file() or not 1 <= number <= (stored.pages or 1) or not paged(original):
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
    links = {item.year: f"/desk/documents/{item.sha256}" for item in stored}
    return render(
        request, "agency.html", who, name=name, years=found, chart=years.chart(found), links=links
    )


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
