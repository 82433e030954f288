"""Default listings: nearest active primary-care unit, ties to lowest hsa_id, no coordinates."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.listing.conftest import (
    Listing,
    import_register,
    pnr,
    register_csv,
    register_row,
    unit_body,
)

NEAR_A, NEAR_B, FAR = "SE2321000065-000B", "SE2321000065-000A", "SE2321000065-0100"
KROKOM_LOW, KROKOM_HIGH = "SE2321000065-0201", "SE2321000065-0202"
CLOSED, DENTAL = "SE2321000065-0001", "SE2321000065-0002"


def _assign(c: TestClient, date: str) -> int:
    r = c.post("/v1/listings/assign-defaults", json={"date": date})
    assert r.status_code == 200, r.text
    return int(r.json()["assigned"])


def _where(c: TestClient, who: str) -> list[tuple[str, str, str | None, str]]:
    rows = c.post("/v1/listings/history", json={"personnummer": who}).json()["listings"]
    return [(r["hsa_id"], r["valid_from"], r["valid_to"], r["reason"]) for r in rows]


def test_assign_defaults(listing: Listing) -> None:
    c = listing.admin
    # Two units at the same spot (a tie), one far away, an inactive and a dental unit nearer still.
    c.put(f"/v1/units/{NEAR_A}", json=unit_body(lat=63.20, lon=14.60))
    c.put(f"/v1/units/{NEAR_B}", json=unit_body(lat=63.20, lon=14.60))
    c.put(f"/v1/units/{FAR}", json=unit_body(lat=62.00, lon=14.00))
    c.put(f"/v1/units/{CLOSED}", json=unit_body(lat=63.18, lon=14.64, active_to="2025-12-31"))
    c.put(f"/v1/units/{DENTAL}", json=unit_body(lat=63.18, lon=14.64, care_type="dental"))
    c.put(f"/v1/units/{KROKOM_HIGH}", json=unit_body("2309", lat=None, lon=None))
    c.put(f"/v1/units/{KROKOM_LOW}", json=unit_body("2309", lat=None, lon=None))
    near, south, nowhere, listed, dead = (
        pnr(1980, 1, 1, 11),
        pnr(1981, 1, 1, 12),
        pnr(1982, 1, 1, 13),
        pnr(1983, 1, 1, 14),
        pnr(1984, 1, 1, 15),
    )
    later, coord = pnr(1985, 1, 1, 16), pnr(1986, 1, 1, 17, coordination=True)
    import_register(
        c,
        register_csv(
            register_row(near, lat="63.18", lon="14.64"),
            register_row(south, lat="62.01", lon="14.01"),
            register_row(nowhere, municipality="2309", lat="", lon=""),
            register_row(listed),
            register_row(dead, deceased="2026-01-01"),
            register_row(later),
            register_row(coord),
        ),
    )
    c.post(
        "/v1/listings",
        json={
            "personnummer": listed,
            "hsa_id": FAR,
            "valid_from": "2025-06-01",
            "reason": "choice",
        },
    )
    c.post(
        "/v1/listings",
        json={"personnummer": later, "hsa_id": FAR, "valid_from": "2026-03-01", "reason": "choice"},
    )
    assert _assign(c, "2026-02-01") == 4
    assert _where(c, near) == [(NEAR_B, "2026-02-01", None, "default")]
    assert _where(c, south) == [(FAR, "2026-02-01", None, "default")]
    assert _where(c, nowhere) == [(KROKOM_LOW, "2026-02-01", None, "default")]
    assert _where(c, listed) == [(FAR, "2025-06-01", None, "choice")]
    assert _where(c, dead) == []
    # A later listing already exists: the default fills the gap up to it.
    assert _where(c, later) == [
        (NEAR_B, "2026-02-01", "2026-02-28", "default"),
        (FAR, "2026-03-01", None, "choice"),
    ]
    assert _assign(c, "2026-02-01") == 0


def test_assign_defaults_roles(listing: Listing) -> None:
    body = {"date": "2026-02-01"}
    assert (
        listing.client("provider").post("/v1/listings/assign-defaults", json=body).status_code
        == 403
    )
    assert listing.client("ops").post("/v1/listings/assign-defaults", json=body).status_code == 403
    assert (
        listing.client("service").post("/v1/listings/assign-defaults", json=body).status_code == 200
    )
