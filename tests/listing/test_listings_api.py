"""Listings through the HTTP API: every refusal, the ending of the current listing, history."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

U1, U2, DENTAL = "SE2321000065-0001", "SE2321000065-0002", "SE2321000065-0009"
A = pnr(1980, 5, 17, 123)
DEAD, GONE = pnr(1950, 3, 3, 222), pnr(1960, 4, 4, 333)


@pytest.fixture
def admin(listing: Listing) -> TestClient:
    c = listing.admin
    c.put(f"/v1/units/{U1}", json=unit_body())
    c.put(f"/v1/units/{U2}", json=unit_body(active_from="2025-01-01", active_to="2026-12-31"))
    c.put(f"/v1/units/{DENTAL}", json=unit_body(care_type="dental"))
    r = import_register(
        c,
        register_csv(
            register_row(A),
            register_row(DEAD, deceased="2026-01-15"),
            register_row(GONE, moved="2026-01-15"),
        ),
    )
    assert r.status_code == 200, r.text
    return c


def post(
    c: TestClient,
    personnummer: str = A,
    hsa_id: str = U1,
    valid_from: str = "2026-01-01",
    reason: str = "choice",
    special: bool = False,
) -> Any:
    return c.post(
        "/v1/listings",
        json={
            "personnummer": personnummer,
            "hsa_id": hsa_id,
            "valid_from": valid_from,
            "reason": reason,
            "special_reason": special,
        },
    )


def history(c: TestClient, personnummer: str = A, **extra: Any) -> list[dict[str, Any]]:
    r = c.post("/v1/listings/history", json={"personnummer": personnummer, **extra})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["listings"]
    return rows


def test_new_listing_ends_the_current_one_the_day_before(admin: TestClient) -> None:
    assert post(admin, valid_from="2026-01-01").status_code == 201
    r = post(admin, hsa_id=U2, valid_from="2026-03-01")
    assert r.status_code == 201, r.text
    rows = history(admin)
    assert [(x["hsa_id"], x["valid_from"], x["valid_to"]) for x in rows] == [
        (U1, "2026-01-01", "2026-02-28"),
        (U2, "2026-03-01", None),
    ]


def test_same_day_listing_replaces_and_old_state_is_still_readable(admin: TestClient) -> None:
    first = post(admin, valid_from="2026-01-01").json()
    post(admin, hsa_id=U2, valid_from="2026-01-01", reason="administrative")
    assert [x["hsa_id"] for x in history(admin)] == [U2]
    before = history(admin, as_known_at=first["recorded_at"])
    assert [(x["hsa_id"], x["valid_to"]) for x in before] == [(U1, None)]


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"personnummer": pnr(1999, 9, 9, 999)}, 404, "register"),
        ({"hsa_id": "SE2321000065-0404"}, 404, "unit"),
        ({"personnummer": pnr(1980, 5, 17, 123, coordination=True)}, 422, "samordningsnummer"),
        ({"hsa_id": U2, "valid_from": "2024-06-01"}, 409, "not active"),
        ({"hsa_id": U2, "valid_from": "2027-01-01"}, 409, "not active"),
        ({"hsa_id": DENTAL}, 409, "dental"),
        ({"personnummer": DEAD, "valid_from": "2026-02-01"}, 409, "died"),
        ({"personnummer": GONE, "valid_from": "2026-02-01"}, 409, "moved"),
    ],
)
def test_refusals(admin: TestClient, kwargs: dict[str, Any], status: int, words: str) -> None:
    r = post(admin, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.json()["detail"]


def test_deceased_later_than_valid_from_may_be_listed(admin: TestClient) -> None:
    assert post(admin, personnummer=DEAD, valid_from="2026-01-15").status_code == 201


def test_valid_from_before_current_listing_is_refused(admin: TestClient) -> None:
    post(admin, valid_from="2026-03-01")
    r = post(admin, hsa_id=U2, valid_from="2026-02-01")
    assert r.status_code == 409
    assert "current listing" in r.json()["detail"]


def test_third_choice_within_a_year_needs_special_reason(admin: TestClient) -> None:
    assert post(admin, valid_from="2025-03-01").status_code == 201
    assert post(admin, hsa_id=U2, valid_from="2025-09-01").status_code == 201
    third = post(admin, valid_from="2026-02-01")
    assert third.status_code == 409
    assert "special_reason" in third.json()["detail"]
    assert post(admin, valid_from="2026-02-01", reason="administrative").status_code == 201
    assert post(admin, hsa_id=U2, valid_from="2026-02-10", special=True).status_code == 201


def test_choice_window_is_365_days_ending_on_valid_from(admin: TestClient) -> None:
    post(admin, valid_from="2025-03-02")
    post(admin, hsa_id=U2, valid_from="2025-06-01")
    # The window is 2025-03-02..2026-03-01 for 2026-03-01, and 2025-03-03.. a day later.
    assert post(admin, valid_from="2026-03-01").status_code == 409
    assert post(admin, valid_from="2026-03-02").status_code == 201


def test_invalid_personnummer_is_422_and_not_echoed(admin: TestClient) -> None:
    r = post(admin, personnummer="198005171235")
    assert r.status_code == 422
    assert "198005171235" not in r.text


def test_roles_on_listings(listing: Listing, admin: TestClient) -> None:
    provider = listing.client("provider", hsa_ids=[U1])
    assert post(provider).status_code == 403
    assert provider.post("/v1/listings/history", json={"personnummer": A}).status_code == 403
    assert (
        listing.client("service").post("/v1/listings/history", json={"personnummer": A}).status_code
        == 403
    )
    assert post(listing.client("ops")).status_code == 403
    assert post(listing.client("service")).status_code == 201
    assert (
        TestClient(listing.app).post("/v1/listings/history", json={"personnummer": A}).status_code
        == 401
    )


def test_changes_and_person_reads_are_audited_without_the_number(
    listing: Listing, admin: TestClient
) -> None:
    from sqlalchemy import create_engine, text

    post(admin)
    history(admin)
    engine = create_engine(listing.url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT action, person_hash, details FROM audit_log")).all()
    engine.dispose()
    actions = [r[0] for r in rows]
    assert "listing.create" in actions and "listing.history" in actions
    assert all(A not in str(r) for r in rows)
    hashed = [r[1] for r in rows if r[0] == "listing.history"][0]
    assert hashed is not None and len(hashed) == 64
