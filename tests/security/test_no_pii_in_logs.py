"""A full scenario through the listing and payment services, then a scan of everything it
logged (stdlib at DEBUG, SQLAlchemy's statements and parameters included, structlog, uvicorn's
access format) and of every URL and response header, for the identity numbers it used.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from shared.ids import make_identity_number
from shared.logging import get_logger
from tests.security.conftest import (
    ADMIN,
    PERSONS,
    YEAR,
    A,
    B,
    Databases,
    System,
    as_role,
    build_system,
    seed,
)

UNKNOWN = make_identity_number(dt.date(1999, 9, 9), 909)  # valid, but not in the register


def _forms(number: str) -> list[str]:
    """Every way the number could be written: 12 digits, with hyphen, 10 digits."""
    return [number, f"{number[:8]}-{number[8:]}", number[2:], f"{number[2:8]}-{number[8:]}"]


class Recorder(httpx.BaseTransport):
    """Wraps a service-to-service transport, keeping every URL and header it carried."""

    def __init__(self, inner: httpx.BaseTransport, seen: list[str]) -> None:
        self.inner, self.seen = inner, seen

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.seen.append(f"{request.method} {request.url} {dict(request.headers)}")
        self.seen.append(f"-> {response.status_code} {dict(response.headers)}")
        return response


@pytest.fixture
def captured(
    tmp_path: Path, databases: Databases, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[System, list[str], io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its own loggers at WARNING; open them so statements and their
    # parameters (identity numbers among them) are logged and must be redacted.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    seen: list[str] = []
    try:
        for system in build_system(tmp_path, databases, wrap=lambda t: Recorder(t, seen)):
            for client in system.clients.values():
                # The caller's own URLs are what the scenario chose (two misuse one on
                # purpose); what the system sends back is what must be clean.
                client.event_hooks = {
                    "response": [lambda r: seen.append(f"-> {r.status_code} {dict(r.headers)}")]
                }
            yield system, seen, stream
    finally:
        root.removeHandler(handler)


def _scenario(system: System) -> list[httpx.Response]:
    """Register import, listings, a history, counts, runs and approvals, audit searches,
    and the mistakes people make with identity numbers (a bad one, an unknown one)."""
    lc, pc = system.clients["listing"], system.clients["payment"]
    seed(system, months=range(3, 4))  # units, register, listings, a run, its approval
    answers = []
    for number in (PERSONS[0], f"{PERSONS[1][:8]}-{PERSONS[1][8:]}"):
        answers.append(
            lc.post("/v1/listings/history", json={"personnummer": number}, headers=ADMIN)
        )
        assert answers[-1].status_code == 200, answers[-1].text
    move = lc.post(
        "/v1/listings",
        json={
            "personnummer": PERSONS[2],
            "hsa_id": A,
            "valid_from": "2026-03-15",
            "reason": "choice",
        },
        headers=ADMIN,
    )
    answers.append(move)
    bad = PERSONS[3][:-1] + str((int(PERSONS[3][-1]) + 1) % 10)  # wrong check digit
    for body in (
        {"personnummer": bad, "hsa_id": A, "valid_from": "2026-03-01", "reason": "choice"},
        {"personnummer": UNKNOWN, "hsa_id": A, "valid_from": "2026-03-01", "reason": "choice"},
    ):
        answers.append(lc.post("/v1/listings", json=body, headers=ADMIN))
        assert answers[-1].status_code >= 400
    answers.append(lc.post("/v1/listings/history", json={"personnummer": UNKNOWN}, headers=ADMIN))
    # A number where it does not belong, sent by a careless caller: in a path and a query.
    # The system must not repeat it: not in its access log, its errors or its answers.
    answers.append(lc.get(f"/v1/units/{PERSONS[4]}", headers=ADMIN))
    answers.append(
        lc.get(
            "/v1/counts",
            params={"date": f"{YEAR}-03-31", "personnummer": PERSONS[4]},
            headers=ADMIN,
        )
    )
    # Providers, ops and the payment run that reads the counts.
    answers.append(
        lc.get(
            "/v1/counts",
            params={"date": f"{YEAR}-03-31"},
            headers=as_role("provider", "provider:b", [B]),
        )
    )
    answers.append(pc.post("/v1/runs", json={"period": f"{YEAR}-04"}, headers=ADMIN))
    answers.append(
        pc.get(
            "/v1/statements",
            params={"period": f"{YEAR}-03"},
            headers=as_role("provider", "provider:b", [B]),
        )
    )
    answers.append(pc.get("/v1/runs", headers=as_role("ops")))
    for service in ("listing", "payment"):
        client = system.clients[service]
        answers.append(
            client.post("/v1/audit/search", json={"personnummer": PERSONS[0]}, headers=ADMIN)
        )
        assert answers[-1].status_code == 200, answers[-1].text
        answers.append(client.get("/v1/audit", headers=ADMIN))
    # A structlog call from inside a request-like context, as the services log.
    get_logger("halsoval.test").info(
        "person.checked", personnummer=PERSONS[5], details={"who": [PERSONS[5]]}
    )
    return answers


def test_no_identity_number_in_logs_urls_headers_or_answers(
    captured: tuple[System, list[str], io.StringIO],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    system, seen, stream = captured
    answers = _scenario(system)
    out, err = capfd.readouterr()
    everything = {
        "caplog": caplog.text,
        "log records": "\n".join(
            f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
        ),
        "root stream": stream.getvalue(),
        "stdout/stderr": out + err,
        "urls and headers": "\n".join(seen),
        "answers": "\n".join(f"{dict(r.headers)} {r.text}" for r in answers),
    }
    assert len(caplog.records) > 100, "the scenario should have logged plenty"
    assert "[personnummer]" in caplog.text, "numbers reached the logs (redacted)"
    assert any("sqlalchemy.engine" in r.name for r in caplog.records)
    leaks: list[tuple[str, str]] = []
    for number in [*PERSONS, UNKNOWN]:
        for form in _forms(number):
            leaks += [(where, form) for where, text in everything.items() if form in text]
    assert leaks == []
    # The units themselves are no secret, and redaction must not eat them.
    assert A in caplog.text and B in everything["answers"]


@pytest.fixture(autouse=True)
def _structlog_reset() -> Iterator[None]:
    yield
    structlog.reset_defaults()
