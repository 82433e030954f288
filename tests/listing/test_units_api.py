"""Care units through the HTTP API."""

from __future__ import annotations

from tests.listing.conftest import Listing, unit_body

HSA = "SE2321000065-7331"


def test_put_creates_then_updates_and_get_reads(listing: Listing) -> None:
    admin = listing.admin
    created = admin.put(f"/v1/units/{HSA}", json=unit_body())
    assert created.status_code == 201, created.text
    assert created.json()["distance_to_hospital_km"] == "12.5"
    updated = admin.put(f"/v1/units/{HSA}", json={**unit_body(), "name": "Nytt namn"})
    assert updated.status_code == 200
    assert admin.get(f"/v1/units/{HSA}").json()["name"] == "Nytt namn"
    assert [u["hsa_id"] for u in admin.get("/v1/units").json()] == [HSA]


def test_unknown_unit_is_404_problem(listing: Listing) -> None:
    r = listing.admin.get(f"/v1/units/{HSA}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bad_unit_body_is_422_naming_the_field(listing: Listing) -> None:
    r = listing.admin.put(f"/v1/units/{HSA}", json={**unit_body(), "municipality_code": "23"})
    assert r.status_code == 422
    assert any(e["field"] == "municipality_code" for e in r.json()["errors"])


def test_roles_on_units(listing: Listing) -> None:
    assert (
        listing.client("provider", hsa_ids=[HSA])
        .put(f"/v1/units/{HSA}", json=unit_body())
        .status_code
        == 403
    )
    listing.admin.put(f"/v1/units/{HSA}", json=unit_body())
    assert listing.client("provider", hsa_ids=[HSA]).get("/v1/units").status_code == 200
    assert listing.client("ops").get(f"/v1/units/{HSA}").status_code == 200
    from fastapi.testclient import TestClient

    assert TestClient(listing.app).get("/v1/units").status_code == 401
    bad = TestClient(listing.app, headers={"Authorization": "Bearer nonsense"})
    assert bad.get("/v1/units").status_code == 401
