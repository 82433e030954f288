"""A region's year over real HTTP: a distance that changes mid-year, a unit that closes, a
resident of another region, late changes that make a paid month stale, and the feed that
tells the payment service so.

One story, in order, on its own running system (the three services as uvicorn processes,
SQLite or PostgreSQL); nothing here touches a database or imports a service.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.ids import make_identity_number
from tests.integration.conftest import RunningSystem

pytestmark = pytest.mark.integration

A = "SE2321000065-3001"  # region-owned, Östersund, in town
P = "SE5566778899-3002"  # private, Östersund: closes on 2026-04-15
Q = "SE5566778899-3003"  # private, Östersund, north of town
C = "SE2321000065-3004"  # region-owned, Ragunda: 120 km, 200 km from 2026-04-01
R = "SE2321000065-3005"  # region-owned, Strömsund: 150 km all year
CLOSE_ON = "2026-04-15"

TOWN, NORTH, FAR = (63.10, 14.60), (63.21, 14.71), (63.0, 16.0)
# (municipality, where they live, their unit): person 9 lives in Stockholm.
RESIDENTS = [
    ("2380", TOWN, A),
    ("2380", TOWN, A),
    ("2380", TOWN, P),
    ("2380", TOWN, P),
    ("2380", NORTH, P),
    ("2380", NORTH, Q),
    ("2303", FAR, C),
    ("2303", FAR, C),
    ("2313", FAR, R),
    ("0180", TOWN, P),
]
PEOPLE = [make_identity_number(dt.date(1945 + 6 * i, 1 + i, 3 + i), 200 + i) for i in range(10)]

MODEL = {
    "annual_budget_sek": "1200000.00",
    "count_date_rule": "last_day_prev_month",
    "shares": {"capitation": "0.70", "cni": "0.22", "sparsity": "0.08"},
    "age_weights": [{"from_age": 0, "to_age": None, "weight": "1.0"}],
    "cni": {"default": "1.0", "by_deso": {}},
    "sparsity": {
        "distance_limits_km": [40, 100, 180],
        "size_limits": [2000, 5000],
        "points": [[0, 0, 0], [1200, 900, 600], [2000, 1500, 1000], [3000, 2200, 1500]],
    },
}


def _unit(name: str, municipality: str, ownership: str, at: tuple[float, float], km: str) -> Any:
    return {
        "name": name,
        "municipality_code": municipality,
        "ownership": ownership,
        "care_type": "primary",
        "lat": at[0],
        "lon": at[1],
        "distance_to_hospital_km": km,
        "active_from": "2020-01-01",
        "active_to": None,
    }


UNITS = {
    A: _unit("Hälsocentral A", "2380", "region", (63.18, 14.64), "3"),
    P: _unit("Privat HC P", "2380", "private", (63.17, 14.63), "5"),
    Q: _unit("Privat HC Q", "2380", "private", NORTH, "6"),
    C: _unit("Hälsocentral C", "2303", "region", (63.0, 16.1), "120"),
    R: _unit("Hälsocentral R", "2313", "region", (63.9, 15.5), "150"),
}


def _ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), (
        f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    )
    return r.json()


def _counts(system: RunningSystem, day: str) -> dict[str, dict[str, Any]]:
    with system.client("listing", roles=["ops"]) as ops:
        body = _ok(ops.get("/v1/counts", params={"date": day, "care_type": "primary"}))
    return {u["hsa_id"]: u for u in body["units"]}


def _run_and_approve(system: RunningSystem, period: str) -> Any:
    with (
        system.client("payment", roles=["region_admin"], sub="it:admin") as admin,
        system.client("payment", roles=["finance_approver"], sub="it:finance") as finance,
    ):
        run = _ok(admin.post("/v1/runs", json={"period": period}), 200, 201)
        if run["status"] != "approved":
            _ok(finance.post(f"/v1/runs/{run['run_id']}/approve"))
        return run


def _periods(system: RunningSystem) -> dict[str, Any]:
    with system.client("payment", roles=["finance_approver"], sub="it:finance") as finance:
        body = _ok(finance.get("/v1/periods", params={"year": 2026}))
    return {p["period"]: p for p in body["periods"]}


def _line(statement: dict[str, Any], component: str) -> dict[str, Any]:
    return next(line for line in statement["lines"] if line["component"] == component)


@pytest.fixture(scope="module")
def year(system: RunningSystem) -> RunningSystem:
    with system.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        for hsa, body in UNITS.items():
            _ok(listing.put(f"/v1/units/{hsa}", json=body))
        rows = [
            "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,moved_out_on"
        ]
        for pnr, (municipality, (lat, lon), _) in zip(PEOPLE, RESIDENTS, strict=True):
            rows.append(f"{pnr},{municipality},,{lat},{lon},false,,")
        _ok(
            listing.post(
                "/v1/register/import",
                content="\n".join(rows) + "\n",
                headers={"Content-Type": "text/csv"},
            )
        )
        for pnr, (_, _, hsa) in zip(PEOPLE, RESIDENTS, strict=True):
            _ok(
                listing.post(
                    "/v1/listings",
                    json={
                        "personnummer": pnr,
                        "hsa_id": hsa,
                        "valid_from": "2025-06-01",
                        "reason": "choice",
                    },
                ),
                201,
            )
    with system.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        system.approve_model("payment", _ok(admin.put("/v1/models/2026", json=MODEL)))
    return system


def test_an_out_of_region_resident_is_listed_but_counted_apart(year: RunningSystem) -> None:
    counts = _counts(year, "2026-01-31")
    assert counts[P]["listed"] == 3 and counts[P]["out_of_region"] == 1
    run = _run_and_approve(year, "2026-02")
    with year.client("payment", roles=["finance_approver"], sub="it:finance") as finance:
        statements = _ok(finance.get("/v1/statements", params={"period": "2026-02"}))
    listed = {s["hsa_id"]: s["listed"] for s in statements["statements"]}
    assert listed == {A: 2, P: 3, Q: 1, C: 2, R: 1}
    assert run["count_date"] == "2026-01-31"


def test_a_distance_change_effective_mid_year(year: RunningSystem) -> None:
    with year.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        _ok(
            listing.put(
                f"/v1/units/{C}",
                json={**UNITS[C], "distance_to_hospital_km": "200", "effective_from": "2026-04-01"},
            )
        )
        before = _ok(listing.get(f"/v1/units/{C}", params={"date": "2026-03-31"}))
        after = _ok(listing.get(f"/v1/units/{C}", params={"date": "2026-04-01"}))
    assert (
        Decimal(before["distance_to_hospital_km"]),
        Decimal(after["distance_to_hospital_km"]),
    ) == (
        Decimal(120),
        Decimal(200),
    )
    # 2026-04 counts on 2026-03-31 (C at 120 km, R at 150: the same band), 2026-05 on
    # 2026-04-30 (C at 200 km: the farthest band).
    with year.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        for period in ("2026-04", "2026-05"):
            _ok(admin.post("/v1/runs", json={"period": period}), 201)
        weights = {}
        for period in ("2026-04", "2026-05"):
            found = _ok(admin.get("/v1/statements", params={"period": period}))["statements"]
            by_unit = {s["hsa_id"]: s for s in found}
            weights[period] = {h: Decimal(_line(by_unit[h], "sparsity")["weight"]) for h in (C, R)}
    # A unit of under 2000 listed: 2000 points in the 100-180 km band, 3000 beyond 180 km.
    assert weights["2026-04"] == {C: Decimal(2000), R: Decimal(2000)}
    assert weights["2026-05"] == {C: Decimal(3000), R: Decimal(2000)}
    # The paid month before the change reproduces: a re-run of 2026-02 changes nothing.
    with year.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        again = _ok(admin.post("/v1/runs", json={"period": "2026-02"}), 200)
    assert again["unchanged"] is True and again["version"] == 1


def test_re_reading_a_paid_month_after_a_unit_edit_reproduces_it(year: RunningSystem) -> None:
    """An edit of R's distance for its whole life: the paid month's inputs, read as known when
    it was run, are still the old ones; read now, the month is stale because of the unit."""
    run = _run_and_approve(year, "2026-03")
    with year.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        _ok(listing.put(f"/v1/units/{R}", json={**UNITS[R], "distance_to_hospital_km": "190"}))
        then = _ok(
            listing.get(
                "/v1/units",
                params={"date": run["count_date"], "as_known_at": run["as_known_at"]},
            )
        )
        now = _ok(listing.get("/v1/units", params={"date": run["count_date"]}))
    assert {u["hsa_id"]: u["distance_to_hospital_km"] for u in then}[R] in ("150", "150.0")
    assert Decimal({u["hsa_id"]: u["distance_to_hospital_km"] for u in now}[R]) == 190
    stale = _periods(year)["2026-03"]
    assert stale["stale"] is True
    assert {"kind": "units", "changes": 1} in stale["reasons"]
    # Put back as it was: the re-run pays what was paid.
    with year.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        _ok(listing.put(f"/v1/units/{R}", json=UNITS[R]))
    with year.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        again = _ok(admin.post("/v1/runs", json={"period": "2026-03"}), 200)
    assert again["unchanged"] is True


def test_closing_a_unit_moves_everyone_and_the_next_month_pays_the_receivers(
    year: RunningSystem,
) -> None:
    before = _counts(year, CLOSE_ON)
    with year.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        plain = listing.put(f"/v1/units/{P}", json={**UNITS[P], "active_to": CLOSE_ON})
        assert plain.status_code == 409 and f"/v1/units/{P}/close" in plain.json()["detail"]
        closed = _ok(listing.post(f"/v1/units/{P}/close", json={"last_day": CLOSE_ON}))
    assert closed["moved"] == 4
    assert sorted((t["hsa_id"], t["persons"]) for t in closed["to"]) == [(A, 3), (Q, 1)]
    assert all(set(t) == {"hsa_id", "persons"} for t in closed["to"])
    after = _counts(year, "2026-04-16")
    assert P not in after or (after[P]["listed"], after[P]["out_of_region"]) == (0, 0)
    assert after[A]["listed"] == before[A]["listed"] + 2  # the Stockholm resident apart
    assert after[A]["out_of_region"] == 1 and after[Q]["listed"] == before[Q]["listed"] + 1
    # 2026-05 (counting on 2026-04-30) was run before the closure: re-run, it pays A and Q for
    # P's patients and nothing to P, whose statement shows the negative delta.
    with year.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        v2 = _ok(admin.post("/v1/runs", json={"period": "2026-05"}), 201)
        found = _ok(admin.get("/v1/statements", params={"period": "2026-05"}))["statements"]
    assert v2["version"] == 2
    by_unit = {s["hsa_id"]: s for s in found}
    assert by_unit[P]["listed"] == 0 and Decimal(by_unit[P]["total_sek"]) == 0
    assert Decimal(by_unit[P]["delta_sek"]) < 0 and Decimal(by_unit[A]["delta_sek"]) > 0
    assert (by_unit[A]["listed"], by_unit[Q]["listed"]) == (4, 2)
    # The moves are on the feed, one entry per person, no identity number.
    with year.client("listing", roles=["service"], sub="it:payment") as service:
        feed = _ok(service.get("/v1/changes", params={"after": 0, "limit": 1000}))["changes"]
    moved = [c for c in feed if c["kind"] == "listing_moved"]
    assert len(moved) == 4 and {c["reason"] for c in moved} == {"closure"}
    assert all(c["affects_from"] == "2026-04-16" for c in moved)
    assert not any(p in str(feed) for p in PEOPLE)


def test_a_back_dated_listing_makes_the_covered_month_stale(year: RunningSystem) -> None:
    for period in ("2026-05", "2026-06", "2026-07"):
        _run_and_approve(year, period)
    assert not any(_periods(year)[p]["stale"] for p in ("2026-05", "2026-06", "2026-07"))
    # Person 0 chooses Q from 2026-06-10: the counts of 2026-06-30 (2026-07) change, the
    # earlier months' do not.
    with year.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        _ok(
            listing.post(
                "/v1/listings",
                json={
                    "personnummer": PEOPLE[0],
                    "hsa_id": Q,
                    "valid_from": "2026-06-10",
                    "reason": "choice",
                },
            ),
            201,
        )
    periods = _periods(year)
    assert (periods["2026-05"]["stale"], periods["2026-06"]["stale"]) == (False, False)
    assert periods["2026-07"]["stale"] is True
    assert {"kind": "listings", "changes": 1} in periods["2026-07"]["reasons"]
    with year.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        preview = _ok(admin.post("/v1/periods/2026-07/preview"))
        assert _ok(admin.get("/v1/runs", params={"period": "2026-07"}))["runs"][-1]["version"] == 1
    units = {u["hsa_id"]: u for u in preview["units"]}
    assert Decimal(units[Q]["delta_sek"]) > 0 > Decimal(units[A]["delta_sek"])
    rerun = _run_and_approve(year, "2026-07")
    with year.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        stored = _ok(admin.get("/v1/statements", params={"period": "2026-07"}))["statements"]
    assert rerun["version"] == 2
    assert {s["hsa_id"]: s["total_sek"] for s in stored} == {
        h: u["new_sek"] for h, u in units.items()
    }
    assert _periods(year)["2026-07"]["stale"] is False


def test_the_feed_is_gap_free_in_commit_order_under_concurrent_writers(
    year: RunningSystem,
) -> None:
    with year.client("listing", roles=["service"], sub="it:payment") as service:
        start = _ok(service.get("/v1/changes", params={"after": 0, "limit": 1000}))["changes"]
    last = start[-1]["cursor"]
    errors: list[str] = []

    def choose(i: int) -> None:
        with year.client("listing", roles=["region_admin"], sub=f"it:w{i}") as listing:
            for day in ("2026-08-01", "2026-09-01"):
                r = listing.post(
                    "/v1/listings",
                    json={
                        "personnummer": PEOPLE[i],
                        "hsa_id": A if day.endswith("08-01") else Q,
                        "valid_from": day,
                        "reason": "administrative",
                    },
                )
                if r.status_code != 201:
                    errors.append(r.text)

    threads = [threading.Thread(target=choose, args=(i,)) for i in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with year.client("listing", roles=["service"], sub="it:payment") as service:
        new = _ok(service.get("/v1/changes", params={"after": last, "limit": 1000}))["changes"]
    assert [c["cursor"] for c in new] == list(range(last + 1, last + 13))
    assert [c["recorded_at"] for c in new] == sorted(c["recorded_at"] for c in new)
