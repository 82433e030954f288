"""Counts at a date, as known at a moment: the contract the payment service reads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.schemas.listing import Counts
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

U1, U2, U3 = "SE2321000065-0001", "SE2321000065-0002", "SE2321000065-0003"
OLD = "SE2321000065-0000"
# Born 1990-03-01 (F, serial 246 even), 36 on 2026-02-28 would be wrong: 35 until 1 March.
F35 = pnr(1990, 3, 1, 246)
M40 = pnr(1986, 2, 28, 135)
SECRET = pnr(2000, 6, 6, 111)
DEAD = pnr(1940, 1, 1, 222)
GONE = pnr(1970, 1, 1, 333)
D = "2026-02-28"


def counts(c: TestClient, **params: Any) -> dict[str, Any]:
    r = c.get("/v1/counts", params={"date": D, "care_type": "primary", **params})
    assert r.status_code == 200, r.text
    Counts.model_validate(r.json())
    body: dict[str, Any] = r.json()
    return body


def unit(data: dict[str, Any], hsa_id: str) -> dict[str, Any]:
    return next(u for u in data["units"] if u["hsa_id"] == hsa_id)


@pytest.fixture
def admin(listing: Listing) -> TestClient:
    c = listing.admin
    for h in (U1, U2, U3):
        c.put(f"/v1/units/{h}", json=unit_body())
    c.put(f"/v1/units/{OLD}", json=unit_body(active_to="2025-12-31"))
    c.put("/v1/units/SE2321000065-0009", json=unit_body(care_type="dental"))
    import_register(
        c,
        register_csv(
            register_row(F35, deso="2380C1010"),
            register_row(M40, deso="2380C1020"),
            register_row(SECRET, protected="true", deso="2380C1010"),
            register_row(DEAD, deceased=D),
            register_row(GONE, moved="2026-03-01"),
        ),
    )
    for who, hsa in ((F35, U1), (M40, U1), (SECRET, U1), (DEAD, U2), (GONE, U2)):
        r = c.post(
            "/v1/listings",
            json={
                "personnummer": who,
                "hsa_id": hsa,
                "valid_from": "2026-01-01",
                "reason": "choice",
            },
        )
        assert r.status_code == 201, r.text
    return c


def test_counts_by_age_sex_and_deso(admin: TestClient) -> None:
    data = counts(admin)
    assert data["as_known_at"] is not None
    assert [u["hsa_id"] for u in data["units"]] == [U1, U2, U3]  # active primary only
    u1 = unit(data, U1)
    assert u1["listed"] == 3
    assert {(a["age"], a["sex"], a["count"]) for a in u1["by_age_sex"]} == {
        (35, "F", 1),
        (40, "M", 1),
        (25, "M", 1),
    }
    assert u1["by_deso"] == [
        {"deso_code": "2380C1010", "count": 1},
        {"deso_code": "2380C1020", "count": 1},
        {"deso_code": None, "count": 1},
    ]
    # Dead on D is not counted; moving out the day after D still is.
    assert unit(data, U2)["listed"] == 1
    assert unit(data, U3) == {
        "hsa_id": U3,
        "listed": 0,
        "by_age_sex": [],
        "by_deso": [],
        "out_of_region": 0,
    }
    assert data["total"] == 4


def test_age_turns_on_the_birthday(admin: TestClient) -> None:
    r = admin.get("/v1/counts", params={"date": "2026-03-01"})
    ages = {(a["age"], a["sex"]) for a in unit(r.json(), U1)["by_age_sex"]}
    assert (36, "F") in ages


def test_as_known_at_reproduces_earlier_counts(admin: TestClient) -> None:
    before = counts(admin)
    admin.post(
        "/v1/listings",
        json={"personnummer": F35, "hsa_id": U3, "valid_from": "2026-02-01", "reason": "choice"},
    )
    import_register(
        admin,
        register_csv(
            register_row(M40, deso="2380C1010", deceased="2026-02-10"),
            register_row(SECRET, deso="2380C1030"),
        ),
    )
    after = counts(admin)
    assert unit(after, U1)["listed"] == 1 and unit(after, U3)["listed"] == 1
    assert unit(after, U1)["by_deso"] == [{"deso_code": "2380C1030", "count": 1}]
    again = counts(admin, as_known_at=before["as_known_at"])
    assert again["units"] == before["units"]
    assert again["as_known_at"] == before["as_known_at"]


def test_provider_sees_only_its_units_and_roles(listing: Listing, admin: TestClient) -> None:
    data = counts(listing.client("provider", hsa_ids=[U2]))
    assert [u["hsa_id"] for u in data["units"]] == [U2]
    assert data["total"] == 1
    assert counts(listing.client("service"))["total"] == 4
    assert counts(listing.client("ops"))["total"] == 4
    assert TestClient(listing.app).get("/v1/counts", params={"date": D}).status_code == 401
    bad = admin.get("/v1/counts", params={"date": "2026-02-30"})
    assert bad.status_code == 422
    future = admin.get("/v1/counts", params={"date": D, "as_known_at": "2999-01-01T00:00:00Z"})
    assert future.status_code == 422
