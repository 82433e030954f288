"""POST /v1/units/{hsa_id}/close (issue 11, item 3): a unit ends and, in the same transaction,
everyone listed there after its last day is listed at the nearest active primary-care unit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from services.listing.service import person_key
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

CLOSING, NEAR, FAR, DENTAL = (f"SE2321000065-03{n:02d}" for n in range(1, 5))
A, B, C, VISITOR, DEAD = (pnr(1960 + n, 1 + n, 1 + n, 300 + n) for n in range(5))
LAST_DAY, NEXT_DAY = "2026-03-15", "2026-03-16"


def _unit(lat: float, lon: float, municipality: str = "2380", **kw: Any) -> dict[str, Any]:
    return unit_body(municipality, lat=lat, lon=lon, **kw) | {"ownership": "private"}


def _list(c: TestClient, who: str, hsa_id: str, day: str, reason: str = "choice") -> Any:
    r = c.post(
        "/v1/listings",
        json={"personnummer": who, "hsa_id": hsa_id, "valid_from": day, "reason": reason},
    )
    return r


def _counts(c: TestClient, day: str) -> dict[str, tuple[int, int]]:
    body = c.get("/v1/counts", params={"date": day}).json()
    return {u["hsa_id"]: (u["listed"], u["out_of_region"]) for u in body["units"]}


@pytest.fixture
def region(listing: Listing) -> TestClient:
    """Three primary-care units and a dental one; five persons listed at CLOSING: A and B live
    by NEAR, C by FAR, VISITOR in Stockholm (nearer FAR) and DEAD died before the closure."""
    admin = listing.admin
    for hsa_id, body in (
        (CLOSING, _unit(63.18, 14.64)),
        (NEAR, _unit(63.20, 14.60)),
        (FAR, _unit(62.05, 14.00, "2361")),
        (DENTAL, _unit(63.18, 14.64, care_type="dental")),
    ):
        assert admin.put(f"/v1/units/{hsa_id}", json=body).status_code == 201
    rows = [
        register_row(A, lat="63.19", lon="14.61"),
        register_row(B, lat="63.21", lon="14.62"),
        register_row(C, municipality="2361", lat="62.10", lon="14.10"),
        register_row(VISITOR, municipality="0180", lat="59.33", lon="18.06"),
        register_row(DEAD, deceased="2026-02-01"),
    ]
    assert import_register(admin, register_csv(*rows)).status_code == 200
    # A has made two changes by choice in 365 days; the others one.
    assert _list(admin, A, NEAR, "2025-12-01").status_code == 201
    for who in (A, B, C, VISITOR, DEAD):
        assert _list(admin, who, CLOSING, "2026-01-01").status_code == 201
    return admin


def test_close_moves_everyone_to_the_nearest_active_unit(region: TestClient) -> None:
    before = _counts(region, NEXT_DAY)
    assert before == {CLOSING: (3, 1), NEAR: (0, 0), FAR: (0, 0)}
    r = region.post(f"/v1/units/{CLOSING}/close", json={"last_day": LAST_DAY})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "hsa_id": CLOSING,
        "last_day": LAST_DAY,
        "moved": 4,
        "to": [{"hsa_id": NEAR, "persons": 2}, {"hsa_id": FAR, "persons": 2}],
    }
    after = _counts(region, NEXT_DAY)
    assert CLOSING not in after  # not active: never counted
    assert after[NEAR] == (2, 0) and after[FAR] == (1, 1)
    moved = {h: sum(after[h]) - sum(before.get(h, (0, 0))) for h in (NEAR, FAR)}
    assert moved == {t["hsa_id"]: t["persons"] for t in r.json()["to"]}
    # The last day itself still counts at the closed unit; the unit ends on it.
    assert _counts(region, LAST_DAY)[CLOSING] == (3, 1)
    unit = region.get(f"/v1/units/{CLOSING}").json()
    assert unit["active_to"] == LAST_DAY
    history = region.post("/v1/listings/history", json={"personnummer": A}).json()["listings"]
    assert [(h["hsa_id"], h["valid_from"], h["valid_to"], h["reason"]) for h in history] == [
        (NEAR, "2025-12-01", "2025-12-31", "choice"),
        (CLOSING, "2026-01-01", LAST_DAY, "choice"),
        (NEAR, NEXT_DAY, None, "closure"),
    ]
    dead = region.post("/v1/listings/history", json={"personnummer": DEAD}).json()["listings"]
    assert [(h["hsa_id"], h["valid_to"]) for h in dead] == [(CLOSING, LAST_DAY)]


def test_closure_never_counts_as_a_change_by_choice(region: TestClient) -> None:
    assert region.post(f"/v1/units/{CLOSING}/close", json={"last_day": LAST_DAY}).status_code == 200
    # A already had two choices within 365 days: a third is still refused, the closure aside.
    third = _list(region, A, FAR, "2026-04-01")
    assert third.status_code == 409 and "special_reason" in third.json()["detail"]
    # B had one: the closure did not use the second.
    assert _list(region, B, FAR, "2026-04-01").status_code == 201


def test_the_feed_of_a_closure(listing: Listing, region: TestClient) -> None:
    service = listing.client("service")
    start = service.get("/v1/changes", params={"limit": 1000}).json()["changes"][-1]["cursor"]
    assert region.post(f"/v1/units/{CLOSING}/close", json={"last_day": LAST_DAY}).status_code == 200
    feed = service.get("/v1/changes", params={"after": start}).json()["changes"]
    assert [c["kind"] for c in feed] == ["listing_moved"] * 4 + ["unit_changed"]
    assert [c["cursor"] for c in feed] == list(range(start + 1, start + 6))
    keys = {person_key(p, listing.settings.hash_key) for p in (A, B, C, VISITOR)}
    assert {c["person_key"] for c in feed[:4]} == keys
    for c in feed[:4]:
        assert (c["reason"], c["care_type"], c["affects_from"], c["affects_to"]) == (
            "closure",
            "primary",
            NEXT_DAY,
            None,
        )
        row = service.get(f"/v1/listings/{c['listing_id']}").json()
        assert (row["hsa_id"] in (NEAR, FAR), row["reason"], row["valid_from"]) == (
            True,
            "closure",
            NEXT_DAY,
        )
    assert feed[4] | {"cursor": 0, "recorded_at": None} == {
        "cursor": 0,
        "recorded_at": None,
        "kind": "unit_changed",
        "reason": "closure",
        "care_type": "primary",
        "affects_from": NEXT_DAY,
        "affects_to": None,
        "listing_id": None,
        "person_key": None,
        "hsa_id": CLOSING,
        "persons": None,
    }
    engine = create_engine(listing.url)
    with engine.connect() as conn:
        details = conn.execute(
            text("SELECT details FROM audit_log WHERE action = 'unit.close'")
        ).scalar_one()
    engine.dispose()
    assert '"moved": 4' in details and NEAR in details
    assert not any(p in details or p[2:] in details for p in (A, B, C, VISITOR, DEAD))


def test_a_closed_unit_ends_in_every_version(region: TestClient) -> None:
    later = {**_unit(63.18, 14.64), "distance_to_hospital_km": "30", "effective_from": "2026-02-01"}
    assert region.put(f"/v1/units/{CLOSING}", json=later).status_code == 200
    assert region.post(f"/v1/units/{CLOSING}/close", json={"last_day": LAST_DAY}).status_code == 200
    for day in ("2026-01-15", "2026-03-01"):
        got = region.get(f"/v1/units/{CLOSING}", params={"date": day}).json()
        assert got["active_to"] == LAST_DAY, day
    assert (
        region.get(f"/v1/units/{CLOSING}", params={"date": "2026-03-01"}).json()[
            "distance_to_hospital_km"
        ]
        == "30"
    )


def test_refusals(listing: Listing, region: TestClient) -> None:
    close = f"/v1/units/{CLOSING}/close"
    unknown = region.post("/v1/units/SE2321000065-9999/close", json={"last_day": LAST_DAY})
    assert unknown.status_code == 404
    assert listing.client("service").post(close, json={"last_day": LAST_DAY}).status_code == 403
    assert region.post(close, json={"last_day": "2019-12-31"}).status_code == 409
    bad = region.post(close, json={"last_day": "15 March"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "last_day"
    assert region.post(close, json={"last_day": LAST_DAY}).status_code == 200
    again = region.post(close, json={"last_day": "2026-06-30"})
    assert again.status_code == 409 and "already ends" in again.json()["detail"]
    # A dental unit has no listings: it just ends.
    dental = region.post(f"/v1/units/{DENTAL}/close", json={"last_day": LAST_DAY})
    assert dental.json() == {"hsa_id": DENTAL, "last_day": LAST_DAY, "moved": 0, "to": []}


def test_no_unit_to_receive_them_is_409_and_changes_nothing(region: TestClient) -> None:
    for hsa_id in (NEAR, FAR):  # nobody is listed there after February
        closed = region.post(f"/v1/units/{hsa_id}/close", json={"last_day": "2026-02-28"})
        assert closed.json()["moved"] == 0, closed.text
    r = region.post(f"/v1/units/{CLOSING}/close", json={"last_day": LAST_DAY})
    assert r.status_code == 409
    assert "no other primary-care unit is active on 2026-03-16" in r.json()["detail"]
    assert region.get(f"/v1/units/{CLOSING}").json()["active_to"] is None
    assert _counts(region, NEXT_DAY)[CLOSING] == (3, 1)


def test_someone_without_coordinates_and_no_unit_in_their_municipality_is_409(
    region: TestClient,
) -> None:
    nowhere = pnr(1975, 5, 5, 505)
    row = register_row(nowhere, municipality="2309", lat="", lon="")
    assert import_register(region, register_csv(row)).status_code == 200
    assert _list(region, nowhere, CLOSING, "2026-01-01").status_code == 201
    r = region.post(f"/v1/units/{CLOSING}/close", json={"last_day": LAST_DAY})
    assert r.status_code == 409
    assert "1 without coordinates in municipality 2309" in r.json()["detail"]
    assert nowhere not in r.text and nowhere[2:] not in r.text
