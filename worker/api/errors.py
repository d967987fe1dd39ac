"""Every error of the API as `{"error": <kind>, "detail": <one line>}`, and the upload cap.

The kinds are those of `extract.errors` where one fits (`not_found`, `limit_exceeded`,
`unsupported_input`…), so a client branches on `error`, never on wording; a bug is a 500
with its traceback in the server's log, not in the answer.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extract.errors import GongkaiError

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

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An HTTP error the API itself decides on, with its JSON body."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


class BodyLimit:
    """Refuse a request body over `limit` bytes with a JSON 413: at once when its
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
            refusal = body(413, "limit_exceeded", self._detail(), Connection="close")
            await refusal(scope, receive, send)
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

    def _detail(self) -> str:
        return (
            f"the request is over {self.limit / 1048576:.3g} MB "
            "(GONGKAI_MAX_UPLOAD_MB, plus room for the form's own bytes)"
        )


def install(app: FastAPI) -> None:
    """Answer every error of `app` in the API's JSON shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(GongkaiError, _gongkai_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for unavailable in (OperationalError, InterfaceError, BrokerError):
        app.add_exception_handler(unavailable, _unavailable)
    app.add_exception_handler(Exception, _internal)


def body(status: int, error: str, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": " ".join(detail.split())}, status_code=status, headers=headers
    )


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    extra = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return body(exc.status, exc.error, exc.detail, **extra)


async def _gongkai_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GongkaiError)
    return body(_STATUS_OF_KIND.get(exc.kind, 422), exc.kind, exc.message)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = _KIND_OF_STATUS.get(exc.status_code, "http_error")
    return body(exc.status_code, kind, str(exc.detail), **(exc.headers or {}))


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    ]
    return body(422, "invalid_request", "; ".join(problems))


async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("service unavailable: %s", exc)
    return body(503, "unavailable", "the database or the broker cannot be reached")


async def _internal(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return body(500, "internal", "internal error: a bug of ours, see the server's log")
