"""Defence in depth: counts never carry an impossible value (stored rows that break a rule are
left out and reported), reads never wait for a writer on SQLite, and 201s say where."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from services.listing.cli import app as cli
from shared.context import ServiceContext, context_of
from shared.ids import make_identity_number
from shared.schemas.listing import Counts
from tests.conftest import USE_POSTGRES
from tests.listing.conftest import (
    Listing,
    import_register,
    plant_listing,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

U1 = "SE2321000065-0001"
A = pnr(1980, 5, 17, 123)
# Born after the count date (2026-03-01) and before 1870: only ever written around the edge.
UNBORN = make_identity_number(dt.date(2026, 6, 1), 321)
ANCIENT = make_identity_number(dt.date(1860, 1, 1), 654)
D = "2026-03-01"


@pytest.fixture
def admin(listing: Listing) -> TestClient:
    c = listing.admin
    assert c.put(f"/v1/units/{U1}", json=unit_body()).status_code == 201
    assert import_register(c, register_csv(register_row(A))).status_code == 200
    body = {"personnummer": A, "hsa_id": U1, "valid_from": "2026-01-01", "reason": "choice"}
    assert c.post("/v1/listings", json=body).status_code == 201
    return c


def _plant(url: str, personnummer: str, birth_ymd: int) -> None:
    plant_listing(url, personnummer, birth_ymd, U1)


def _counts(c: TestClient, **params: Any) -> Counts:
    r = c.get("/v1/counts", params={"date": D, **params})
    assert r.status_code == 200, r.text
    return Counts.model_validate(r.json())


def test_counts_leave_out_and_report_stored_rows_that_break_a_rule(
    listing: Listing, admin: TestClient
) -> None:
    clean = _counts(admin)
    assert clean.total == 1 and clean.excluded == []
    _plant(listing.url, UNBORN, 20260601)
    _plant(listing.url, ANCIENT, 18600101)
    planted = _counts(admin)
    assert planted.total == 1
    assert planted.units == clean.units
    assert [(e.rule.value, e.persons) for e in planted.excluded] == [
        ("birth_after_count_date", 1),
        ("birth_before_1870", 1),
    ]
    # Once the count date is past the birth, only the 1860 birth is left out.
    later = _counts(admin, date="2026-07-01")
    assert later.total == 2
    assert [(e.rule.value, e.persons) for e in later.excluded] == [("birth_before_1870", 1)]
    # A provider sees only its own units' exclusions.
    other = listing.client("provider", hsa_ids=["SE2321000065-0099"])
    assert _counts(other).excluded == []


def test_data_problems_names_the_persons_for_the_staff(
    listing: Listing, admin: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTING_DATABASE_URL", listing.url)
    runner = CliRunner()
    r = runner.invoke(cli, ["data-problems", "--date", D])
    assert r.exit_code == 0, r.output
    assert "no stored facts break a rule" in r.output
    _plant(listing.url, UNBORN, 20260601)
    _plant(listing.url, ANCIENT, 18600101)
    r = runner.invoke(cli, ["data-problems", "--date", D])
    assert r.exit_code == 0, r.output
    assert UNBORN in r.output and "birth_after_count_date" in r.output
    assert ANCIENT in r.output and "birth_before_1870" in r.output
    assert A not in r.output
    assert "2 person(s)" in r.output
    engine = create_engine(listing.url)
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'listing.data_problems'")
        ).scalar_one()
    engine.dispose()
    assert audited == 2


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite's write lock; PostgreSQL readers never take one")
def test_reads_answer_while_a_long_write_holds_the_sqlite_lock(
    listing: Listing, admin: TestClient
) -> None:
    db = context_of(listing.app, ServiceContext).db
    holding, done = threading.Event(), threading.Event()

    def long_write() -> None:
        with db.sessionmaker() as session, session.begin():
            session.execute(text("UPDATE unit_version SET name = 'busy'"))
            holding.set()
            done.wait(30)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        reader = listing.client("service")
        counts = reader.get("/v1/counts", params={"date": D})
        units = reader.get("/v1/units")
        one = reader.get(f"/v1/units/{U1}")
        elapsed = time.monotonic() - started
    finally:
        done.set()
        writer.join(30)
    for r in (counts, units, one):
        assert r.status_code == 200, r.text
        assert "locked" not in r.text
    assert elapsed < 5, "a read waited for the writer"
    assert counts.json()["total"] == 1
    assert one.json()["name"] != "busy"  # the uncommitted write is not seen


def test_a_new_listing_says_where_it_is_and_reading_it_is_audited(
    listing: Listing, admin: TestClient
) -> None:
    body = {"personnummer": A, "hsa_id": U1, "valid_from": "2026-04-01", "reason": "choice"}
    created = admin.post("/v1/listings", json=body)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location == f"/v1/listings/{created.json()['listing_id']}"
    assert A not in location
    got = admin.get(location)
    assert got.status_code == 200, got.text
    row = got.json()
    assert (row["personnummer"], row["hsa_id"], row["valid_from"]) == (A, U1, "2026-04-01")
    assert row["superseded_at"] is None
    history = admin.post("/v1/listings/history", json={"personnummer": A}).json()["listings"]
    assert history[-1]["listing_id"] == row["listing_id"]
    assert admin.get("/v1/listings/999999").status_code == 404
    # A peer service following the change feed resolves a listing; ops sees no person.
    assert listing.client("service").get(location).json()["personnummer"] == A
    for role in ("ops", "provider", "finance_approver"):
        assert listing.client(role).get(location).status_code == 403
    engine = create_engine(listing.url)
    with engine.connect() as conn:
        superseded = conn.execute(
            text("SELECT min(id) FROM listing WHERE superseded_at IS NOT NULL")
        ).scalar_one()
        audited_before = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'listing.read'")
        ).scalar_one()
    # The first listing, superseded when the new one ended it, is still readable by its id.
    old = admin.get(f"/v1/listings/{superseded}").json()
    assert old["superseded_at"] is not None and old["valid_to"] is None
    assert audited_before == 2  # the region's read and the service's, each audited
    with engine.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT entity_id, person_hash FROM audit_log WHERE action = 'listing.read' "
                "ORDER BY id"
            )
        ).all()
    engine.dispose()
    listing_id = str(row["listing_id"])
    assert [a[0] for a in audited] == [listing_id, listing_id, str(superseded)]
    assert audited[0][1] is not None and A not in audited[0][1]


def test_a_created_unit_says_where_it_is(admin: TestClient) -> None:
    new = admin.put("/v1/units/SE2321000065-0002", json=unit_body())
    assert new.status_code == 201
    assert new.headers["Location"] == "/v1/units/SE2321000065-0002"
    again = admin.put("/v1/units/SE2321000065-0002", json=unit_body())
    assert again.status_code == 200 and "Location" not in again.headers


def test_the_document_lists_each_route_s_own_errors(listing: Listing) -> None:
    doc = listing.admin.get("/openapi.json").json()["paths"]
    assert {"404", "409", "422"} <= set(doc["/v1/listings"]["post"]["responses"])
    assert "Location" in doc["/v1/listings"]["post"]["responses"]["201"]["headers"]
    assert {"415", "422"} <= set(doc["/v1/register/import"]["post"]["responses"])
    assert "201" in doc["/v1/units/{hsa_id}"]["put"]["responses"]
    assert "get" in doc["/v1/listings/{listing_id}"]
