"""Assembles a service's FastAPI app: errors, request ids, security headers, limits, health.

Every service's `main.py` calls `build_service` and nothing else, so logging, the lifespan,
engine disposal, middleware and error handlers cannot drift apart between services again.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from anyio import to_thread
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.audit_api import make_audit_router
from shared.context import ServiceContext
from shared.db import DEFAULT_POOL_SIZE
from shared.deps import get_read_session, get_session
from shared.errors import (
    DATABASE_UNAVAILABLE,
    DB_FAULT,
    PROBLEM_JSON,
    install_error_handlers,
    is_database_unavailable,
)
from shared.ids import redact_identity_numbers
from shared.logging import configure_logging, configure_structlog, install_log_redaction
from shared.openapi import add_problem_responses
from shared.settings import Settings

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# The interactive docs need their CDN assets; every API answer gets the strict policy.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Encoded once: every answer carries them (the docs pages load assets, so no CSP there).
_DOCS_HEADERS = tuple((k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items())
_API_HEADERS = (*_DOCS_HEADERS, (b"content-security-policy", API_CSP.encode()))
# A caller's X-Request-ID is echoed, logged and stored in the audit trail, so it must be a
# plain token, and one that carries no identity number (else a fresh id is used).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("halsoval.app")


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def _problem_message(status: int, title: str, detail: str) -> bytes:
    return json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()


class _BodyTooLarge(Exception):
    pass


class ServiceMiddleware:
    """Request ids, body limits (declared or chunked), security headers, and a last-resort 500.

    Pure ASGI rather than BaseHTTPMiddleware, so it can count a streamed body as it is read
    and answer 413 as soon as it passes the limit, whatever the app does with the error.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        large_body_paths: tuple[str, ...],
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.large_body_paths = large_body_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id", "")
        if not _REQUEST_ID.match(request_id) or redact_identity_numbers(request_id) != request_id:
            request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        large = bool(self.large_body_paths) and path.startswith(self.large_body_paths)
        limit = self.max_upload_bytes if large else self.max_body_bytes
        extra = [
            (b"x-request-id", request_id.encode()),
            *(_DOCS_HEADERS if path.startswith(("/docs", "/redoc")) else _API_HEADERS),
        ]
        # A read that met a lost database connection is answered again once, on a fresh one:
        # the first 503 is held back (nothing of it has been sent) and the request re-run.
        retryable = scope.get("method") in ("GET", "HEAD")
        state = {"started": False, "too_large": False, "received": 0, "discard": False}

        async def send_with_headers(message: Message) -> None:
            if state["discard"]:
                return
            if message["type"] == "http.response.start":
                if state["too_large"]:
                    return  # the 413 below replaces whatever the app answered
                if retryable and message["status"] == 503 and scope["state"].pop(DB_FAULT, False):
                    state["discard"] = True
                    return
                state["started"] = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in present
                ]
            elif state["too_large"]:
                return
            await send(message)

        async def send_problem(status: int, title: str, detail: str) -> None:
            body = _problem_message(status, title, detail)
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": body})

        too_large = f"request body is larger than {limit} bytes"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await send_problem(413, "Payload too large", too_large)
            return

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["too_large"] = True
                    raise _BodyTooLarge()
            return message

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, counting_receive, send_with_headers)
            if state["discard"]:
                log.warning("database fault in %s %s: answering it again once", "GET", path)
                retryable, state["discard"] = False, False
                await self.app(scope, counting_receive, send_with_headers)
        except Exception as exc:
            if is_database_unavailable(exc) and not state["started"]:
                log.error("database unavailable in %s %s: %s", scope.get("method"), path, exc)
                await send_problem(503, "Service unavailable", DATABASE_UNAVAILABLE)
                return
            if not state["too_large"]:
                # Never leak a stack trace or SQL to the caller; the (redacted) log has it.
                log.error(
                    "unhandled error in %s %s: %s",
                    scope.get("method"),
                    path,
                    type(exc).__name__,
                    exc_info=exc,
                )
            if state["started"]:
                raise
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        if state["too_large"]:
            state["too_large"] = False
            await send_problem(413, "Payload too large", too_large)
        elif not state["started"]:
            await send_problem(
                500, "Internal server error", "an unexpected error occurred; it has been logged"
            )


class ServiceAPI(FastAPI):
    """FastAPI whose OpenAPI document lists every operation's problem+json answers."""

    def openapi(self) -> dict[str, Any]:
        if not self.openapi_schema:
            schema = super().openapi()
            add_problem_responses(self, schema)
            self.openapi_schema = schema
        return self.openapi_schema


def create_service_app(
    *,
    title: str,
    settings: Settings,
    version: str = "0.1.0",
    lifespan: Any = None,
    large_body_paths: tuple[str, ...] = (),
) -> FastAPI:
    """The common shell of every service; `large_body_paths` get MAX_UPLOAD_BYTES instead."""
    install_log_redaction()
    if not structlog.is_configured():
        configure_structlog()

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[Any]:
        # Sync routes run in anyio's threadpool (40 threads by default). As many threads as
        # database connections keeps GIL convoys and pool waits short under load.
        to_thread.current_default_thread_limiter().total_tokens = DEFAULT_POOL_SIZE
        if lifespan is None:
            yield None
        else:
            async with lifespan(app) as state:
                yield state

    app = ServiceAPI(
        title=title, version=version, lifespan=_lifespan, generate_unique_id_function=_operation_id
    )
    app.state.settings = settings
    install_error_handlers(app)

    if settings.cors_origins:
        if "*" in settings.cors_origins:
            raise ValueError("CORS_ORIGINS=* is refused: list the origins that may call the API")
        # Bearer tokens only, no cookies: credentials stay off, and only our headers pass.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_credentials=False,
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    # Added last, so outermost: every answer, CORS preflights and 413s too, gets the headers.
    app.add_middleware(
        ServiceMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        large_body_paths=large_body_paths,
    )

    @app.get("/healthz", tags=["health"], include_in_schema=True)
    def healthz() -> dict[str, str]:
        """Liveness: open, no data."""
        return {"status": "ok", "service": title}

    return app


def build_service(
    context: ServiceContext,
    routers: Iterable[APIRouter],
    *,
    large_body_paths: tuple[str, ...] = (),
    version: str = "0.1.0",
) -> FastAPI:
    """The one way a service app is built: logging, lifespan (the context's background tasks
    started, then stopped before disposal), middleware, error handlers, /healthz, the service's
    routers and its audit API."""
    configure_logging(context.settings.log_level)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            context.start()
            yield
        finally:
            context.close()

    app = create_service_app(
        title=context.name,
        settings=context.settings,
        version=version,
        lifespan=lifespan,
        large_body_paths=large_body_paths,
    )
    app.state.context = context
    for router in routers:
        app.include_router(router)
    app.include_router(
        make_audit_router(
            get_session=get_session, get_read_session=get_read_session, audit=context.audit
        )
    )
    return app
