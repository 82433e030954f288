"""Printable statements: approved ones rendered once, PDFs a few at a time, JSON never starved."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.payment.api.deps import PaymentContext
from services.payment.api.printing import StatementPrinter
from services.payment.api.render import PrintedStatement
from services.payment.domain.model import SparsityMatrix
from shared.context import context_of
from shared.schemas.payment import Statement
from tests.payment.conftest import ADMIN, A, PaymentHarness, auth, example_model

PDF = {**ADMIN, "Accept": "application/pdf"}


class Renderer:
    """A stand-in for WeasyPrint that counts calls and how many run at once."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.calls = 0
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, statement: Statement) -> bytes:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return f"%PDF-fake {statement.statement_id}".encode()


def _printer(h: PaymentHarness) -> StatementPrinter:
    assert isinstance(h.client.app, FastAPI)
    printer = context_of(h.client.app, PaymentContext).printer
    printer.in_processes = False  # the recording renderers below count on threads
    return printer


def _statements(h: PaymentHarness, approve: bool) -> list[dict[str, Any]]:
    assert h.put_model().status_code == 201
    run = h.run("2026-03").json()
    if approve:
        assert h.approve(run["run_id"]).status_code == 200
    r = h.client.get("/v1/statements?period=2026-03", headers=ADMIN)
    return list(r.json()["statements"])


def _get(h: PaymentHarness, sid: str, headers: dict[str, str]) -> httpx.Response:
    return h.client.get(f"/v1/statements/{sid}", headers=headers)


def test_an_approved_statement_is_rendered_once(harness: PaymentHarness) -> None:
    printer = _printer(harness)
    pdf, csv = Renderer(), Renderer()
    printer.render_pdf, printer.render_csv = pdf, csv
    own = next(s for s in _statements(harness, approve=True) if s["hsa_id"] == A)
    provider = auth("provider", "provider:a", [A])
    first = _get(harness, own["statement_id"], {**provider, "Accept": "application/pdf"})
    again = _get(harness, own["statement_id"], {**provider, "Accept": "application/pdf"})
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert first.headers["content-type"] == "application/pdf"
    assert pdf.calls == 1
    for _ in range(2):
        r = _get(harness, own["statement_id"], {**provider, "Accept": "text/csv"})
        assert r.status_code == 200
    assert csv.calls == 1
    # The cache saves rendering only: another provider still gets a 404 for it.
    other = auth("provider", "provider:b", ["SE2321000207-B002"])
    assert _get(
        harness, own["statement_id"], {**other, "Accept": "application/pdf"}
    ).status_code == (404)


def test_a_calculated_statement_is_rendered_every_time(harness: PaymentHarness) -> None:
    printer = _printer(harness)
    pdf = Renderer()
    printer.render_pdf = pdf
    sid = _statements(harness, approve=False)[0]["statement_id"]
    for _ in range(3):
        assert _get(harness, sid, PDF).status_code == 200
    assert pdf.calls == 3
    assert len(printer.cache) == 0


def _flood(
    h: PaymentHarness, sids: list[str], n: int, also: Callable[[], Any] | None = None
) -> tuple[list[httpx.Response], Any]:
    with ThreadPoolExecutor(n + 1) as pool:
        futures = [pool.submit(_get, h, sids[i % len(sids)], PDF) for i in range(n)]
        extra = None
        if also is not None:
            time.sleep(0.2)  # the flood is in flight
            extra = also()
        return [f.result() for f in futures], extra


def test_no_more_pdfs_render_at_once_than_the_bound(harness: PaymentHarness) -> None:
    printer = _printer(harness)
    pdf = Renderer(seconds=0.3)
    printer.render_pdf = pdf
    sids = [s["statement_id"] for s in _statements(harness, approve=False)]
    answers, _ = _flood(harness, sids, 8)
    assert [r.status_code for r in answers] == [200] * 8
    assert pdf.calls == 8
    assert pdf.most == printer.slots == 2


def test_a_pdf_that_gets_no_slot_in_time_is_a_503_with_retry_after(
    harness: PaymentHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    printer = _printer(harness)
    monkeypatch.setattr(printer, "wait_s", 0.3)
    printer.render_pdf = Renderer(seconds=1.5)
    sids = [s["statement_id"] for s in _statements(harness, approve=False)]
    answers, _ = _flood(harness, sids, 4)
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 200, 503, 503]
    busy = next(r for r in answers if r.status_code == 503)
    assert busy.headers["retry-after"] == str(printer.retry_after_s)
    assert busy.headers["content-type"] == "application/problem+json"


def test_a_pdf_flood_does_not_hold_the_threads_json_reads_need(harness: PaymentHarness) -> None:
    """More PDF requests than the request threadpool has threads: waiting ones hold none."""
    printer = _printer(harness)
    printer.render_pdf = Renderer(seconds=0.5)
    sids = [s["statement_id"] for s in _statements(harness, approve=False)]

    def read_json() -> float:
        started = time.perf_counter()
        r = harness.client.get("/v1/statements?period=2026-03", headers=ADMIN)
        assert r.status_code == 200
        return time.perf_counter() - started

    answers, seconds = _flood(harness, sids, 24, also=read_json)
    assert seconds < 1.0  # not behind the 2.5 s it takes to render the PDFs
    assert {r.status_code for r in answers} <= {200, 503}


def render_where(statement: Statement) -> bytes:
    """A renderer a worker process can import: it answers the process it ran in."""
    import os

    return f"%PDF-fake pid {os.getpid()}".encode()


def test_pdfs_render_in_worker_processes_not_threads() -> None:
    """A rendering thread would hold the GIL the JSON reads need (docs/benchmarks.md)."""
    import os

    import anyio

    from tests.payment.test_statement_pdf import plain_statement

    printer = StatementPrinter(render_pdf=render_where)
    try:
        body = anyio.run(printer.pdf, plain_statement())
    finally:
        printer.close()
    pid = int(body.decode().rsplit(" ", 1)[1])
    assert pid != os.getpid()
    # The real renderer, with every print fact sent to the worker (they pickle).
    printer = StatementPrinter()
    moment = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    printed = PrintedStatement.of(
        plain_statement(),
        created_at=moment,
        approved_at=None,
        organisation_number="556036-0793",
        distance_km=Decimal("40"),
        sparsity=SparsityMatrix.model_validate(example_model()["sparsity"]),
        replaces_version=1,
        replaces_approved=True,
    )
    try:
        pdf = anyio.run(printer.pdf, printed)
    finally:
        printer.close()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]
