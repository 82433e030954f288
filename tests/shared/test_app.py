"""The app shell: body limits (declared and chunked), headers, CORS, errors, log redaction."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.app import API_CSP, SECURITY_HEADERS, create_service_app
from shared.errors import NotFound
from shared.ids import make_identity_number
from shared.logging import configure_structlog, get_logger, install_log_redaction
from shared.settings import Settings

PNR = make_identity_number(dt.date(1975, 3, 9), 321)
PNR_DASHED = PNR[:8] + "-" + PNR[8:]


class Body(BaseModel):
    text: str


def _app(**settings: object) -> FastAPI:
    app = create_service_app(
        title="t",
        settings=Settings(max_body_bytes=1000, **settings),
        large_body_paths=("/v1/upload",),
    )

    @app.post("/v1/echo")
    def echo(body: Body) -> dict[str, int]:
        return {"length": len(body.text)}

    @app.post("/v1/upload")
    async def upload(request: Request) -> dict[str, int]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return {"received": total}

    @app.post("/v1/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError(f"psycopg.errors.UniqueViolation: INSERT INTO person VALUES ('{PNR}')")

    @app.get("/v1/missing")
    def missing() -> None:
        raise NotFound("no such unit")

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(_app())


def _chunks(total: int, size: int = 256) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


def test_declared_body_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    r = client.post("/v1/echo", json={"text": "x" * 2000})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Payload too large"


def test_chunked_body_without_length_is_cut_at_the_limit(client: TestClient) -> None:
    r = client.post("/v1/raw", content=_chunks(5000))
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert r.status_code == 413
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    ok = client.post("/v1/raw", content=_chunks(900))
    assert ok.status_code == 200 and ok.json() == {"received": 900}


def test_chunked_json_body_over_the_limit_is_413_not_400(client: TestClient) -> None:
    body = json.dumps({"text": "x" * 3000}).encode()
    r = client.post(
        "/v1/echo",
        content=iter([body[:500], body[500:]]),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_large_body_paths_get_the_upload_cap_instead() -> None:
    client = TestClient(_app(max_upload_bytes=10_000))
    assert client.post("/v1/upload", content=_chunks(8000)).json() == {"received": 8000}
    assert client.post("/v1/upload", content=_chunks(12_000)).status_code == 413
    assert client.post("/v1/upload", content=b"x" * 12_000).status_code == 413


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for r in (
        client.get("/healthz"),
        client.get("/v1/missing"),
        client.get("/nowhere"),
        client.post("/v1/echo", json={"text": "x" * 2000}),
    ):
        for name, value in SECURITY_HEADERS.items():
            assert r.headers[name] == value
        assert r.headers["Content-Security-Policy"] == API_CSP
    assert "Content-Security-Policy" not in client.get("/docs").headers


def test_request_id_is_echoed_when_sane_and_replaced_otherwise(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    bad = client.get("/healthz", headers={"X-Request-ID": f"x {PNR} <script>"})
    assert bad.headers["X-Request-ID"] != f"x {PNR} <script>"
    assert len(bad.headers["X-Request-ID"]) == 32
    # A plain token that is an identity number (with or without its hyphen) is not echoed.
    for sneaky in (PNR, f"{PNR[:8]}-{PNR[8:]}", f"req.{PNR}"):
        echoed = client.get("/healthz", headers={"X-Request-ID": sneaky}).headers["X-Request-ID"]
        assert PNR[:8] not in echoed and len(echoed) == 32


def test_no_cors_by_default(client: TestClient) -> None:
    pre = client.options(
        "/v1/echo",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers
    r = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_configured_cors_allows_only_the_listed_origins() -> None:
    client = TestClient(_app(cors_origins=["https://portal.region.example"]))
    ok = client.options(
        "/v1/echo",
        headers={
            "Origin": "https://portal.region.example",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert ok.headers["access-control-allow-origin"] == "https://portal.region.example"
    assert "access-control-allow-credentials" not in ok.headers
    bad = client.options(
        "/v1/echo",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in bad.headers


def test_wildcard_cors_is_refused() -> None:
    with pytest.raises(ValueError, match="CORS"):
        _app(cors_origins=["*"])


def test_unexpected_errors_leak_no_trace_sql_or_number(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        r = client.get("/v1/boom")
    assert r.status_code == 500
    assert r.json() == {
        "type": "about:blank",
        "title": "Internal server error",
        "status": 500,
        "detail": "an unexpected error occurred; it has been logged",
    }
    for leak in ("Traceback", "INSERT", "UniqueViolation", PNR):
        assert leak not in r.text
    assert "RuntimeError" in caplog.text and "Traceback" in caplog.text  # ops get the trace...
    assert PNR not in caplog.text  # ...without the number
    assert "[personnummer]" in caplog.text


def test_validation_errors_name_the_field_without_echoing_the_number(client: TestClient) -> None:
    r = client.post("/v1/echo", json={"text": 5, "extra": PNR})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "text"
    assert PNR not in r.text


def test_stdlib_logs_are_redacted_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    log = logging.getLogger("halsoval.test")
    with caplog.at_level(logging.DEBUG):
        log.info("person %s listed at %s", PNR, "SE1")
        log.debug("dict args %(p)s", {"p": PNR_DASHED})
        log.warning(f"f-string {PNR}")
        log.info("int arg %s", int(PNR))
        log.info("object arg %s", {"nested": [PNR]})
        try:
            raise ValueError(f"bad number {PNR_DASHED}")
        except ValueError:
            log.exception("failed")
    handler_text = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    for text in (caplog.text, handler_text):
        assert PNR not in text and PNR_DASHED not in text
        assert text.count("[personnummer]") >= 6
    assert "SE1" in caplog.text  # only the number goes


def test_hsa_ids_and_organisation_numbers_are_not_mistaken_for_numbers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("halsoval.test").info(
            "unit %s of org %s", "SE2321000207-A001", "5560000000"
        )
    assert "unit SE2321000207-A001 of org 5560000000" in caplog.text


def test_uvicorn_access_log_keeps_its_shape_and_loses_the_number() -> None:
    install_log_redaction()
    from uvicorn.logging import AccessFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        AccessFormatter('%(client_addr)s "%(request_line)s" %(status_code)s', use_colors=False)
    )
    access = logging.getLogger("uvicorn.access.test")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            f"/v1/listings?pnr={PNR}",
            "1.1",
            200,
        )
    finally:
        access.removeHandler(handler)
    line = stream.getvalue()
    assert PNR not in line
    assert '"GET /v1/listings?pnr=[personnummer] HTTP/1.1" 200' in line


def test_structlog_goes_through_the_redaction(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    configure_structlog()
    try:
        with caplog.at_level(logging.DEBUG):
            get_logger("halsoval.test").info("imported", rows=[{"pnr": PNR}], who=PNR_DASHED)
    finally:
        structlog.reset_defaults()
    assert "imported" in caplog.text
    assert PNR not in caplog.text and PNR_DASHED not in caplog.text


def test_configure_logging_keeps_other_handlers_and_replaces_only_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from shared.logging import _ServiceHandler, configure_logging

    root = logging.getLogger()
    before = list(root.handlers)
    # Start from a known state: whatever earlier tests left on the root logger is set aside.
    foreign = [h for h in before if not isinstance(h, _ServiceHandler)] or [logging.NullHandler()]
    root.handlers[:] = list(foreign)
    try:
        configure_logging("INFO")
        configure_logging("INFO")
        ours = [h for h in root.handlers if isinstance(h, _ServiceHandler)]
        assert len(ours) == 1  # a second call replaced, not added
        assert foreign and all(h in root.handlers for h in foreign)  # caplog's survived
        with caplog.at_level(logging.INFO):
            logging.getLogger("halsoval.test").info("still captured %s", PNR)
        assert "still captured [personnummer]" in caplog.text
    finally:
        root.handlers[:] = before
        structlog.reset_defaults()


def test_the_request_threadpool_is_sized_to_the_pool_and_the_service_lifespan_still_runs() -> None:
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from anyio import to_thread
    from fastapi.testclient import TestClient

    from shared.app import create_service_app
    from shared.db import DEFAULT_POOL_SIZE
    from shared.settings import Settings

    events: list[str] = []
    seen: list[float] = []

    @asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    app = create_service_app(title="t", settings=Settings(), lifespan=lifespan)

    @app.get("/tokens")
    async def tokens() -> dict[str, float]:
        seen.append(to_thread.current_default_thread_limiter().total_tokens)
        return {}

    with TestClient(app) as client:
        assert client.get("/tokens").status_code == 200
    assert seen == [DEFAULT_POOL_SIZE]
    assert events == ["start", "stop"]


# --- database faults are 503, and a read is answered again once ---------------------------


def _db_fault_app(failures: int, error: Exception) -> tuple[FastAPI, list[str]]:
    calls: list[str] = []
    app = create_service_app(title="t", settings=Settings())

    def flaky(method: str) -> dict[str, str]:
        calls.append(method)
        if len(calls) <= failures:
            raise error
        return {"ok": method}

    @app.get("/v1/read")
    def read() -> dict[str, str]:
        return flaky("GET")

    @app.post("/v1/write")
    def write() -> dict[str, str]:
        return flaky("POST")

    return app, calls


def _lost_connection() -> Exception:
    import sqlalchemy.exc

    orig = ConnectionError("connection to server at 10.1.2.3 (db.internal), port 5432 failed")
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, orig)


def test_a_lost_database_connection_is_503_with_retry_after_and_no_address() -> None:
    app, calls = _db_fault_app(failures=5, error=_lost_connection())
    r = TestClient(app).post("/v1/write")
    assert r.status_code == 503 and calls == ["POST"]  # a write is never repeated
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["Retry-After"]) >= 1
    assert "database is unavailable" in r.json()["detail"]
    assert "10.1.2.3" not in r.text and "db.internal" not in r.text and "5432" not in r.text


def test_a_read_meeting_a_lost_connection_is_answered_again_once() -> None:
    app, calls = _db_fault_app(failures=1, error=_lost_connection())
    r = TestClient(app).get("/v1/read")
    assert r.status_code == 200 and r.json() == {"ok": "GET"} and calls == ["GET", "GET"]
    app, calls = _db_fault_app(failures=2, error=_lost_connection())
    r = TestClient(app).get("/v1/read")
    assert r.status_code == 503 and calls == ["GET", "GET"]


def test_a_pool_timeout_and_sqlite_busy_are_503_too() -> None:
    import sqlite3

    import sqlalchemy.exc

    busy = sqlalchemy.exc.OperationalError(
        "INSERT", {}, sqlite3.OperationalError("database is locked")
    )
    for error in (sqlalchemy.exc.TimeoutError("QueuePool limit of size 16 reached"), busy):
        app, _calls = _db_fault_app(failures=5, error=error)
        assert TestClient(app).post("/v1/write").status_code == 503


def test_other_database_errors_stay_500_without_detail() -> None:
    import sqlalchemy.exc

    error = sqlalchemy.exc.IntegrityError("INSERT", {}, ValueError(f"duplicate {PNR}"))
    app, _calls = _db_fault_app(failures=5, error=error)
    r = TestClient(app, raise_server_exceptions=False).post("/v1/write")
    assert r.status_code == 500 and PNR not in r.text


def test_a_body_that_cannot_be_decoded_is_a_422_naming_the_body(client: TestClient) -> None:
    r = client.post(
        "/v1/echo", content=b'{"text": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "body"


def test_background_tasks_start_after_startup_and_stop_before_the_database_closes(
    tmp_path: Path,
) -> None:
    from shared.app import build_service
    from shared.audit import AuditLog, audit_tables
    from shared.context import ServiceContext
    from shared.db import Database, make_metadata

    happened: list[str] = []

    class Task:
        def start(self) -> None:
            happened.append("start")

        def stop(self) -> None:
            happened.append("stop")

    class Db(Database):
        def dispose(self) -> None:
            happened.append("dispose")
            super().dispose()

    log, head = audit_tables(make_metadata())
    context = ServiceContext(
        name="payment",
        settings=Settings(),
        db=Db(f"sqlite:///{tmp_path / 'x.db'}"),
        audit=AuditLog(log, head, "k" * 32),
        closers=[lambda: happened.append("closer")],
        background=[Task()],
    )
    with TestClient(build_service(context, [])) as client:
        assert happened == ["start"]
        assert client.get("/healthz").status_code == 200
    assert happened == ["start", "stop", "dispose", "closer"]
