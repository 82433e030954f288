"""The demo year's unit changes (services.listing.demo.year_changes): a closure mid-year and a
distance change from 1 July, both idempotent (the demo re-runs on every `make run`)."""

from __future__ import annotations

from services.listing import demo
from shared.db import Database
from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

PRIVATE, OTHER, FAR = "SE5560246810-0001", "SE2321000065-0002", "SE2321000065-0003"
A = pnr(1980, 1, 1, 101)


def test_year_changes_close_a_private_unit_and_shorten_a_distance_once(listing: Listing) -> None:
    admin = listing.admin
    admin.put(f"/v1/units/{PRIVATE}", json=unit_body() | {"ownership": "private"})
    admin.put(f"/v1/units/{OTHER}", json=unit_body(lat=63.2, lon=14.6))
    admin.put(
        f"/v1/units/{FAR}",
        json=unit_body("2313", lat=64.5, lon=14.1) | {"distance_to_hospital_km": "230"},
    )
    import_register(admin, register_csv(register_row(A)))
    admin.post(
        "/v1/listings",
        json={"personnummer": A, "hsa_id": PRIVATE, "valid_from": "2026-01-01", "reason": "choice"},
    )
    db = Database(listing.url)
    try:
        assert demo.year_changes(db, listing.settings, 2026) == (PRIVATE, FAR)
        feed = admin.get("/v1/changes", params={"limit": 1000}).json()["changes"]
        assert demo.year_changes(db, listing.settings, 2026) == (PRIVATE, FAR)
    finally:
        db.dispose()
    assert admin.get("/v1/changes", params={"limit": 1000}).json()["changes"] == feed
    assert admin.get(f"/v1/units/{PRIVATE}").json()["active_to"] == "2026-06-15"
    history = admin.post("/v1/listings/history", json={"personnummer": A}).json()["listings"]
    assert [(h["hsa_id"], h["valid_from"], h["reason"]) for h in history][-1] == (
        OTHER,
        "2026-06-16",
        "closure",
    )
    km = [
        admin.get(f"/v1/units/{FAR}", params={"date": d}).json()["distance_to_hospital_km"]
        for d in ("2026-06-30", "2026-07-01")
    ]
    assert km == ["230", "210"]


def test_late_changes_list_a_few_residents_back_dated_into_the_last_month_once(
    listing: Listing,
) -> None:
    admin = listing.admin
    admin.put(f"/v1/units/{OTHER}", json=unit_body(lat=63.2, lon=14.6))
    admin.put(f"/v1/units/{FAR}", json=unit_body("2313", lat=64.5, lon=14.1))
    people = [pnr(1970 + i, 3, 1 + i, 300 + i) for i in range(3)]
    import_register(admin, register_csv(*(register_row(p) for p in people)))
    for p in people[:2]:
        admin.post(
            "/v1/listings",
            json={
                "personnummer": p,
                "hsa_id": OTHER,
                "valid_from": "2025-01-01",
                "reason": "choice",
            },
        )
    admin.post(
        "/v1/listings",
        json={
            "personnummer": people[2],
            "hsa_id": FAR,
            "valid_from": "2025-01-01",
            "reason": "choice",
        },
    )
    year = demo.demo_year(listing.settings)
    # The two at the largest unit choose the second largest from 10 November; once.
    assert demo.late_changes(listing.settings) == 2
    assert demo.late_changes(listing.settings) == 0
    for p in people[:2]:
        history = admin.post("/v1/listings/history", json={"personnummer": p}).json()["listings"]
        assert (history[-1]["hsa_id"], history[-1]["valid_from"], history[-1]["reason"]) == (
            FAR,
            f"{year}-11-10",
            "choice",
        )
    counts = admin.get(
        "/v1/counts", params={"date": f"{year}-11-09", "care_type": "primary"}
    ).json()
    assert {u["hsa_id"]: u["listed"] for u in counts["units"]} == {OTHER: 2, FAR: 1}
