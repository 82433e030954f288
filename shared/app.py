"""Assembles a service's FastAPI app: errors, request ids, security headers, limits, health."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from shared.errors import install_error_handlers, problem
from shared.settings import Settings

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
# The interactive docs need their CDN assets; every API answer gets the strict policy.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_service_app(*, title: str, settings: Settings, version: str = "0.1.0",
                       lifespan: Any = None, large_body_paths: tuple[str, ...] = ()) -> FastAPI:
    app = FastAPI(title=title, version=version, lifespan=lifespan,
                  generate_unique_id_function=_operation_id)
    app.state.settings = settings
    install_error_handlers(app)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PUT"], allow_headers=["Authorization", "Content-Type"])

    @app.middleware("http")
    async def _request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        if len(request_id) > 64 or not request_id.replace("-", "").isalnum():
            request_id = uuid.uuid4().hex
        request.state.request_id = request_id
        length = request.headers.get("content-length")
        limit = settings.max_body_bytes
        if not request.url.path.startswith(large_body_paths or ("\x00",)) and length and length.isdigit() \
                and int(length) > limit:
            response: Response = problem(413, "Payload too large",
                                         f"request body is larger than {limit} bytes")
        else:
            structlog.contextvars.bind_contextvars(request_id=request_id)
            try:
                response = await call_next(request)
            finally:
                structlog.contextvars.clear_contextvars()
        response.headers["X-Request-ID"] = request_id
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith(("/docs", "/redoc")):
            response.headers.setdefault("Content-Security-Policy", API_CSP)
        return response

    @app.get("/healthz", tags=["health"], include_in_schema=True)
    def healthz() -> dict[str, str]:
        """Liveness: open, no data."""
        return {"status": "ok", "service": title}

    return app
