"""One exception hierarchy, rendered as RFC 9457 problem+json by one set of handlers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.ids import redact_identity_numbers

PROBLEM_JSON = "application/problem+json"
# Set on the request's state when a database fault was answered 503 (shared.app retries reads).
DB_FAULT = "database_fault"
DATABASE_UNAVAILABLE = "the database is unavailable right now; retry shortly"
DATABASE_RETRY_AFTER_S = 2
FRAMEWORK_UNPARSABLE_BODY = "There was an error parsing the body"
log = logging.getLogger("halsoval.errors")


class HalsovalError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class Unauthorized(HalsovalError):
    status_code = 401
    title = "Unauthorized"

    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(HalsovalError):
    status_code = 403
    title = "Forbidden"


class NotFound(HalsovalError):
    status_code = 404
    title = "Not found"


class Conflict(HalsovalError):
    status_code = 409
    title = "Conflict"


class Unprocessable(HalsovalError):
    status_code = 422
    title = "Unprocessable content"


class PayloadTooLarge(HalsovalError):
    status_code = 413
    title = "Payload too large"


class BadGateway(HalsovalError):
    """A peer answered, but not as its contract says: retrying will not help."""

    status_code = 502
    title = "Bad gateway"


class ServiceUnavailable(HalsovalError):
    """A peer or the database is away for now: the caller may retry after a while."""

    status_code = 503
    title = "Service unavailable"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        retry_after_s: int = 5,
    ) -> None:
        super().__init__(detail, errors=errors, headers={"Retry-After": str(retry_after_s)})


def is_database_unavailable(exc: BaseException) -> bool:
    """A fault of the database's availability, not of the request: a lost or refused
    connection, a pool timeout, SQLite's busy timeout. Answered 503, never 500."""
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...], kind: str = "") -> str:
    if kind == "json_invalid":  # no JSON at all: the body, not a character offset
        return "body"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HalsovalError)
    async def _domain(_req: Request, exc: HalsovalError) -> JSONResponse:
        return problem(
            exc.status_code, exc.title, exc.detail, errors=exc.errors, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                # A body that is no JSON at all is named as the body, not a character offset.
                "field": "body"
                if e.get("type") == "json_invalid"
                else _field(tuple(e.get("loc", ()))),
                "message": redact_identity_numbers(str(e.get("msg", "invalid"))),
            }
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(422, "Unprocessable content", f"invalid request: {fields}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        # HTTPException details are framework texts or our own; redact in case a router
        # put request data into one.
        detail = redact_identity_numbers(str(exc.detail))
        if exc.status_code == 400 and detail == FRAMEWORK_UNPARSABLE_BODY:
            # FastAPI's answer to a body it cannot decode: bad input, answered like any other.
            return problem(
                422,
                "Unprocessable content",
                "invalid request: body",
                errors=[{"field": "body", "message": "the body could not be read as JSON"}],
            )
        return problem(
            exc.status_code,
            detail if exc.status_code != 404 else "Not found",
            detail,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def _database(request: Request, exc: sa_exc.SQLAlchemyError) -> JSONResponse:
        if not is_database_unavailable(exc):
            return await _unexpected(request, exc)
        # The error's text names the host and port: it goes to the log, not to the caller.
        log.error("database unavailable: %s", redact_identity_numbers(str(exc.__cause__ or exc)))
        setattr(request.state, DB_FAULT, True)
        return problem(
            503,
            "Service unavailable",
            DATABASE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        # Never leak stack traces or SQL to the caller. shared.app's middleware normally
        # answers first; this is the fallback when an app is assembled without it.
        log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
        return problem(
            500, "Internal server error", "an unexpected error occurred; it has been logged"
        )
