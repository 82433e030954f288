"""Faults answered honestly, over real HTTP: a peer killed mid-year, a database away.

A crashed listing service must make a payment run and a designation answer 503 with Retry-After
and store nothing; once it is back, the same calls succeed. A payment service whose PostgreSQL
connections are terminated in the middle of storing a run answers 503 and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from shared.ids import make_identity_number
from tests.conftest import USE_POSTGRES
from tests.integration.conftest import RunningSystem
from tests.integration.test_scenario import MODEL, _unit

pytestmark = pytest.mark.integration

UNIT = "SE2321000065-7001"
PEOPLE = [make_identity_number(dt.date(1960 + i, 2, 3 + i), 300 + i) for i in range(3)]
REGISTER = (
    "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,moved_out_on\n"
    + "".join(f"{p},2380,2380C1010,63.1,14.6,false,,\n" for p in PEOPLE)
)


def _ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), f"{r.request.url}: {r.status_code} {r.text}"
    return r.json()


@pytest.fixture(scope="module")
def seeded(system: RunningSystem) -> RunningSystem:
    with system.client("listing", roles=["region_admin"]) as listing:
        _ok(listing.put(f"/v1/units/{UNIT}", json=_unit("HC", "2380", "region", "primary", "3")))
        _ok(
            listing.post(
                "/v1/register/import", content=REGISTER, headers={"Content-Type": "text/csv"}
            )
        )
        for pnr in PEOPLE:
            body = {"personnummer": pnr, "hsa_id": UNIT, "valid_from": "2025-06-01"}
            _ok(listing.post("/v1/listings", json={**body, "reason": "choice"}))
    with system.client("payment", roles=["region_admin"]) as payment:
        system.approve_model("payment", _ok(payment.put("/v1/models/2026", json=MODEL)))
    return system


def test_a_run_while_the_listing_service_is_down_is_503_and_stores_nothing(
    seeded: RunningSystem,
) -> None:
    with seeded.client("payment", roles=["region_admin"]) as payment:
        before = _ok(payment.get("/v1/runs"))["runs"]
        seeded.kill("listing")
        try:
            r = payment.post("/v1/runs", json={"period": "2026-03"})
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert int(r.headers["Retry-After"]) >= 1
            assert "listing service could not be reached" in r.json()["detail"]
            assert "127.0.0.1" not in r.text  # no internal address in an answer
            assert _ok(payment.get("/v1/runs"))["runs"] == before
        finally:
            seeded.start("listing")
        assert payment.post("/v1/runs", json={"period": "2026-03"}).status_code == 201


def test_a_designation_while_the_listing_service_is_down_is_503_and_stores_nothing(
    seeded: RunningSystem,
) -> None:
    with seeded.client("lastresort", roles=["region_admin"]) as lastresort:
        before = _ok(lastresort.get("/v1/designations/2026"))
        seeded.kill("listing")
        try:
            r = lastresort.put("/v1/designations/2026/primary/2380", json={"hsa_id": UNIT})
            assert r.status_code == 503, r.text
            assert int(r.headers["Retry-After"]) >= 1
            assert _ok(lastresort.get("/v1/designations/2026")) == before
        finally:
            seeded.start("listing")
        _ok(lastresort.put("/v1/designations/2026/primary/2380", json={"hsa_id": UNIT}))


# --- the payment database away in the middle of a run (PostgreSQL) ------------------------


@pytest.fixture
def payment_on_postgres() -> Iterator[tuple[TestClient, Engine, list[str]]]:
    """The payment app on its own PostgreSQL database, with a fake listing service."""
    if not USE_POSTGRES:
        pytest.skip("terminating server connections needs PostgreSQL")
    from services.payment.db.migrate import migrate
    from services.payment.main import create_app
    from shared.settings import Settings
    from tests.conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database
    from tests.payment.conftest import FakeListing, count_json, unit_json

    name = f"halsoval_fault_{uuid.uuid4().hex[:10]}"
    url = _create_pg_database(PG_ADMIN_URL, name)
    migrate(url)
    fake = FakeListing(units=[unit_json("SE2321000207-A001", "30")])
    fake.set_counts([count_json("SE2321000207-A001", {40: 3}, {None: 3})])
    app = create_app(
        Settings(env="test", demo=False),
        database_url=url,
        listing_transport=httpx.MockTransport(fake.handler),
    )
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with TestClient(app) as client:
            yield client, admin, [name]
    finally:
        admin.dispose()
        _drop_pg_database(PG_ADMIN_URL, name)


def _payment_engine(client: TestClient) -> Engine:
    from services.payment.api.deps import PaymentContext
    from shared.context import context_of

    return context_of(client.app, PaymentContext).db.engine


def test_payment_connections_terminated_mid_run_are_503_and_nothing_stored(
    payment_on_postgres: tuple[TestClient, Engine, list[str]],
) -> None:
    from tests.payment.conftest import ADMIN, FINANCE

    client, admin, (database,) = payment_on_postgres
    put = client.put("/v1/models/2026", json=MODEL, headers=ADMIN)
    assert put.status_code in (200, 201), put.text
    approved = client.post("/v1/models/2026/versions/1/approve", headers=FINANCE)
    assert approved.status_code == 200, approved.text
    engine = _payment_engine(client)
    armed = threading.Event()
    armed.set()

    @event.listens_for(engine, "before_cursor_execute")
    def _terminate(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # As the run is being stored, the database drops every connection of this database
        # (a failover, an administrator's pg_terminate_backend).
        if armed.is_set() and statement.lstrip().upper().startswith("INSERT INTO PAYMENT_RUN"):
            armed.clear()
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                )

    try:
        r = client.post("/v1/runs", json={"period": "2026-03"}, headers=ADMIN)
        assert r.status_code == 503, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert "database is unavailable" in r.json()["detail"]
        assert client.get("/v1/runs", headers=ADMIN).json()["runs"] == []
    finally:
        event.remove(engine, "before_cursor_execute", _terminate)
    # The pool notices the dead connections and the next run succeeds.
    assert client.post("/v1/runs", json={"period": "2026-03"}, headers=ADMIN).status_code == 201
    assert len(client.get("/v1/runs", headers=ADMIN).json()["runs"]) == 1
