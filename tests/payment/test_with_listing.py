"""The payment service against the real listing service (in-process ASGI, real HTTP contract)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from services.listing.db.migrate import migrate as migrate_listing
from services.listing.main import create_app as listing_app
from services.payment.db.migrate import migrate as migrate_payment
from services.payment.main import create_app as payment_app
from shared.ids import make_identity_number
from tests.payment.conftest import ADMIN, FINANCE, SETTINGS, A, B, auth, example_model


def _unit(distance: str) -> dict[str, object]:
    return {
        "name": "Hälsocentral",
        "municipality_code": "2380",
        "ownership": "private",
        "care_type": "primary",
        "lat": 63.18,
        "lon": 14.64,
        "distance_to_hospital_km": distance,
        "active_from": "2020-01-01",
        "active_to": None,
    }


def test_run_over_the_listing_contract(new_database_url: Callable[[str], str]) -> None:
    lurl, purl = new_database_url("listing"), new_database_url("payment")
    migrate_listing(lurl)
    migrate_payment(purl)
    people = [make_identity_number(dt.date(1940 + 10 * i, 3, 1), 200 + i) for i in range(6)]
    with TestClient(listing_app(SETTINGS, database_url=lurl)) as lc:
        for hsa_id, km in ((A, "120"), (B, "40")):
            assert lc.put(f"/v1/units/{hsa_id}", json=_unit(km), headers=ADMIN).status_code in (
                200,
                201,
            )
        rows = [
            "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,"
            "moved_out_on"
        ]
        rows += [
            f"{p},2380,{'2380C1010' if i < 3 else '2380A0020'},63.18,14.64,false,,"
            for i, p in enumerate(people)
        ]
        r = lc.post(
            "/v1/register/import",
            content=("\n".join(rows) + "\n").encode(),
            headers={**ADMIN, "Content-Type": "text/csv"},
        )
        assert r.status_code in (200, 201), r.text
        for i, p in enumerate(people):
            r = lc.post(
                "/v1/listings",
                json={
                    "personnummer": p,
                    "hsa_id": A if i < 4 else B,
                    "valid_from": "2025-01-01",
                    "reason": "choice",
                },
                headers=ADMIN,
            )
            assert r.status_code in (200, 201), r.text
        transport = lc._transport  # the listing app's in-process ASGI transport
        with TestClient(
            payment_app(SETTINGS, database_url=purl, listing_transport=transport)
        ) as pc:
            assert pc.put("/v1/models/2026", json=example_model(), headers=ADMIN).status_code == 201
            approve = pc.post("/v1/models/2026/versions/1/approve", headers=FINANCE)
            assert approve.status_code == 200, approve.text
            run = pc.post("/v1/runs", json={"period": "2026-03"}, headers=ADMIN)
            assert run.status_code == 201, run.text
            assert run.json()["total_sek"] == "83333.34"
            assert (
                pc.post(f"/v1/runs/{run.json()['run_id']}/approve", headers=FINANCE).status_code
                == 200
            )
            st = pc.get("/v1/statements?period=2026-03", headers=auth("provider", "p:a", [A]))
            assert [(s["hsa_id"], s["listed"]) for s in st.json()["statements"]] == [(A, 4)]
            again = pc.post("/v1/runs", json={"period": "2026-03"}, headers=ADMIN)
            assert again.status_code == 200 and again.json()["unchanged"] is True


def test_a_future_birth_is_refused_at_import_and_a_planted_one_stops_runs_with_409(
    new_database_url: Callable[[str], str],
) -> None:
    """The row that once stopped every run with a 502: refused at the edge now, and if such a
    row is already stored, the counts leave it out and say so, and a run refuses with a 409
    that names the rule and how many, storing nothing."""
    from tests.listing.conftest import plant_listing

    lurl, purl = new_database_url("listing"), new_database_url("payment")
    migrate_listing(lurl)
    migrate_payment(purl)
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    unborn = make_identity_number(tomorrow, 321)
    header = (
        "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,"
        "moved_out_on\n"
    )
    with TestClient(listing_app(SETTINGS, database_url=lurl)) as lc:
        assert lc.put(f"/v1/units/{A}", json=_unit("40"), headers=ADMIN).status_code == 201
        r = lc.post(
            "/v1/register/import",
            content=f"{header}{unborn},2380,2380C1010,63.18,14.64,false,,\n".encode(),
            headers={**ADMIN, "Content-Type": "text/csv"},
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["row"] == 2 and "future" in r.text
        # The same person written straight into the database, as data from before the check.
        plant_listing(lurl, unborn, int(tomorrow.strftime("%Y%m%d")), A)
        with TestClient(
            payment_app(SETTINGS, database_url=purl, listing_transport=lc._transport)
        ) as pc:
            assert pc.put("/v1/models/2026", json=example_model(), headers=ADMIN).status_code == 201
            approve = pc.post("/v1/models/2026/versions/1/approve", headers=FINANCE)
            assert approve.status_code == 200, approve.text
            run = pc.post("/v1/runs", json={"period": "2026-03"}, headers=ADMIN)
            assert run.status_code == 409, run.text
            detail = run.json()["detail"]
            assert "birth_after_count_date" in detail and "1 person" in detail
            assert pc.get("/v1/runs", headers=ADMIN).json()["runs"] == []


def test_a_resident_of_another_region_is_listed_but_never_paid_for(
    new_database_url: Callable[[str], str],
) -> None:
    """Listing across county lines is allowed; the home region pays, so the counts answer such
    a resident apart (out_of_region) and the run pays the unit for its own residents only."""
    lurl, purl = new_database_url("listing"), new_database_url("payment")
    migrate_listing(lurl)
    migrate_payment(purl)
    local = make_identity_number(dt.date(1970, 4, 2), 411)
    stockholmer = make_identity_number(dt.date(1971, 5, 3), 412)
    header = (
        "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,"
        "moved_out_on\n"
    )
    rows = (
        f"{local},2380,2380C1010,63.18,14.64,false,,\n"
        f"{stockholmer},0180,0180C1010,59.3,18.0,false,,\n"  # Stockholm: another region
    )
    with TestClient(listing_app(SETTINGS, database_url=lurl)) as lc:
        assert lc.put(f"/v1/units/{A}", json=_unit("40"), headers=ADMIN).status_code == 201
        r = lc.post(
            "/v1/register/import",
            content=(header + rows).encode(),
            headers={**ADMIN, "Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        for person in (local, stockholmer):
            body = {"personnummer": person, "hsa_id": A, "valid_from": "2025-01-01"}
            r = lc.post("/v1/listings", json={**body, "reason": "choice"}, headers=ADMIN)
            assert r.status_code == 201, r.text
        counts = lc.get("/v1/counts", params={"date": "2026-02-28"}, headers=ADMIN).json()
        (unit,) = counts["units"]
        assert (unit["listed"], unit["out_of_region"], counts["total"]) == (1, 1, 1)
        with TestClient(
            payment_app(SETTINGS, database_url=purl, listing_transport=lc._transport)
        ) as pc:
            assert pc.put("/v1/models/2026", json=example_model(), headers=ADMIN).status_code == 201
            approve = pc.post("/v1/models/2026/versions/1/approve", headers=FINANCE)
            assert approve.status_code == 200, approve.text
            run = pc.post("/v1/runs", json={"period": "2026-03"}, headers=ADMIN)
            assert run.status_code == 201, run.text
            st = pc.get("/v1/statements?period=2026-03", headers=ADMIN).json()["statements"]
            assert [(s["hsa_id"], s["listed"]) for s in st] == [(A, 1)]
