"""Units with history (issue 11, item 2): versions in valid time and recorded time, read on a
date as known at a moment, and the counts choosing units by their version on the count date."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.listing.conftest import (
    Listing,
    import_register,
    plant_listing,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

U1, U2 = "SE2321000065-0101", "SE2321000065-0102"
A = pnr(1980, 5, 17, 101)


def _feed(client: TestClient) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = client.get("/v1/changes", params={"limit": 1000}).json()[
        "changes"
    ]
    return changes


def _versions(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM unit_version")).scalar_one())
    engine.dispose()
    return n


def _km(client: TestClient, hsa_id: str, **params: str) -> str:
    r = client.get(f"/v1/units/{hsa_id}", params=params)
    assert r.status_code == 200, r.text
    km: str = r.json()["distance_to_hospital_km"]
    return km


def test_a_distance_change_effective_mid_year(listing: Listing) -> None:
    admin = listing.admin
    assert admin.put(f"/v1/units/{U1}", json=unit_body()).status_code == 201
    edit = {**unit_body(), "distance_to_hospital_km": "40", "effective_from": "2026-07-01"}
    r = admin.put(f"/v1/units/{U1}", json=edit)
    assert r.status_code == 200, r.text
    assert r.json()["distance_to_hospital_km"] == "40"
    assert _km(admin, U1, date="2026-06-30") == "12.5"
    assert _km(admin, U1, date="2026-07-01") == "40"
    again = admin.put(f"/v1/units/{U1}", json=edit)  # the same edit again changes nothing
    assert again.status_code == 200 and len(_feed(admin)) == 2
    assert _versions(listing.url) == 2
    assert _km(admin, U1, date="2026-12-31") == "40"
    # A date before the first version reads the first: every known unit answers on every date.
    assert _km(admin, U1, date="2001-01-01") == "12.5"
    listed = admin.get("/v1/units", params={"date": "2026-06-30"}).json()
    assert [(u["hsa_id"], u["distance_to_hospital_km"]) for u in listed] == [(U1, "12.5")]
    feed = _feed(admin)
    assert [(c["kind"], c["affects_from"], c["affects_to"]) for c in feed] == [
        ("unit_changed", "2020-01-01", None),
        ("unit_changed", "2026-07-01", None),
    ]
    # An earlier effective_from supersedes the later version; days before it keep theirs.
    earlier = {**unit_body(), "distance_to_hospital_km": "30", "effective_from": "2026-03-01"}
    assert admin.put(f"/v1/units/{U1}", json=earlier).status_code == 200
    assert _km(admin, U1, date="2026-02-28") == "12.5"
    assert _km(admin, U1, date="2026-08-01") == "30"
    # Without effective_from, the edit is the unit's whole life.
    assert admin.put(f"/v1/units/{U1}", json=unit_body()).status_code == 200
    assert _km(admin, U1, date="2026-08-01") == "12.5"
    assert _feed(admin)[-1]["affects_from"] == "2020-01-01"


def test_as_known_at_reproduces_the_attributes_before_an_edit(listing: Listing) -> None:
    admin = listing.admin
    assert admin.put(f"/v1/units/{U1}", json=unit_body()).status_code == 201
    before = admin.get("/v1/counts", params={"date": "2026-03-01"}).json()["as_known_at"]
    renamed = {**unit_body(), "name": "Nytt namn", "distance_to_hospital_km": "99"}
    assert admin.put(f"/v1/units/{U1}", json=renamed).status_code == 200
    then = admin.get(f"/v1/units/{U1}", params={"as_known_at": before}).json()
    assert (then["name"], then["distance_to_hospital_km"]) == ("Hälsocentral", "12.5")
    assert admin.get(f"/v1/units/{U1}").json()["name"] == "Nytt namn"
    # A unit created after the moment was not known then.
    assert admin.put(f"/v1/units/{U2}", json=unit_body()).status_code == 201
    assert [u["hsa_id"] for u in admin.get("/v1/units", params={"as_known_at": before}).json()] == [
        U1
    ]
    assert admin.get(f"/v1/units/{U2}", params={"as_known_at": before}).status_code == 404


def test_a_future_as_known_at_is_422(listing: Listing) -> None:
    admin = listing.admin
    admin.put(f"/v1/units/{U1}", json=unit_body())
    for path in ("/v1/units", f"/v1/units/{U1}"):
        r = admin.get(path, params={"as_known_at": "2999-01-01T00:00:00+00:00"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "as_known_at"


def test_the_body_of_a_get_can_be_put_back_unchanged(listing: Listing) -> None:
    admin = listing.admin
    body = {**unit_body(), "organisation_number": "232100-0206", "bankgiro": "5050-1055"}
    assert admin.put(f"/v1/units/{U1}", json=body).status_code == 201
    got = admin.get(f"/v1/units/{U1}").json()
    assert got["hsa_id"] == U1 and got["bankgiro"] == "5050-1055"
    feed, versions = len(_feed(admin)), _versions(listing.url)
    back = admin.put(f"/v1/units/{U1}", json=got)
    assert back.status_code == 200, back.text
    assert back.json() == got
    assert (len(_feed(admin)), _versions(listing.url)) == (feed, versions)
    # The same with an effective_from inside the version: nothing changes either.
    assert admin.put(f"/v1/units/{U1}", json={**got, "effective_from": "2026-05-01"}).status_code
    assert (len(_feed(admin)), _versions(listing.url)) == (feed, versions)


def test_hsa_id_in_the_body_must_equal_the_path(listing: Listing) -> None:
    r = listing.admin.put(f"/v1/units/{U1}", json={**unit_body(), "hsa_id": U2})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["hsa_id"]
    assert listing.admin.get(f"/v1/units/{U1}").status_code == 404


def test_the_payee_is_validated_with_its_check_digits(listing: Listing) -> None:
    admin = listing.admin
    for field, bad in (("organisation_number", "232100-0207"), ("bankgiro", "5050-1056")):
        r = admin.put(f"/v1/units/{U1}", json={**unit_body(), field: bad})
        assert r.status_code == 422, r.text
        assert any(field in e["field"] for e in r.json()["errors"]), r.json()
    ok = admin.put(
        f"/v1/units/{U1}",
        json={**unit_body(), "organisation_number": "2321000206", "bankgiro": "50501055"},
    )
    assert ok.status_code == 201, ok.text
    got = admin.get(f"/v1/units/{U1}").json()
    assert (got["organisation_number"], got["bankgiro"]) == ("232100-0206", "5050-1055")


def test_counts_choose_units_by_their_version_on_the_count_date(listing: Listing) -> None:
    """A listing at a unit that is not active on the count date is never counted."""
    admin = listing.admin
    later = unit_body(active_from="2026-06-01")
    assert admin.put(f"/v1/units/{U1}", json=later).status_code == 201
    plant_listing(listing.url, A, 19800517, U1)  # from 2026-01-01, before the unit opened
    march = admin.get("/v1/counts", params={"date": "2026-03-01"}).json()
    assert (march["total"], march["units"], march["excluded"]) == (0, [], [])
    july = admin.get("/v1/counts", params={"date": "2026-07-01"}).json()
    assert july["total"] == 1 and [u["hsa_id"] for u in july["units"]] == [U1]
    # A care type that changes from a date moves the unit between the counts from that day.
    dental = {**later, "care_type": "dental", "effective_from": "2026-09-01"}
    assert admin.put(f"/v1/units/{U1}", json=dental).status_code == 200
    assert admin.get("/v1/counts", params={"date": "2026-08-31"}).json()["total"] == 1
    assert admin.get("/v1/counts", params={"date": "2026-09-01"}).json()["total"] == 0


def test_a_plain_put_that_would_leave_listings_open_is_409(listing: Listing) -> None:
    admin = listing.admin
    assert admin.put(f"/v1/units/{U1}", json=unit_body()).status_code == 201
    assert import_register(admin, register_csv(register_row(A))).status_code == 200
    listed = admin.post(
        "/v1/listings",
        json={"personnummer": A, "hsa_id": U1, "valid_from": "2026-01-01", "reason": "choice"},
    )
    assert listed.status_code == 201, listed.text
    r = admin.put(f"/v1/units/{U1}", json=unit_body(active_to="2026-06-30"))
    assert r.status_code == 409
    assert f"/v1/units/{U1}/close" in r.json()["detail"]
    assert admin.get(f"/v1/units/{U1}").json()["active_to"] is None


def test_listing_reasons_at_the_edge(listing: Listing) -> None:
    admin = listing.admin
    admin.put(f"/v1/units/{U1}", json=unit_body())
    import_register(admin, register_csv(register_row(A)))
    body = {"personnummer": A, "hsa_id": U1, "valid_from": "2026-01-01", "reason": "closure"}
    refused = admin.post("/v1/listings", json=body)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    newborn = admin.post("/v1/listings", json={**body, "reason": "newborn"})
    assert newborn.status_code == 201, newborn.text
    assert newborn.json()["reason"] == "newborn"
