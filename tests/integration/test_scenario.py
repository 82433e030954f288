"""The whole system over real HTTP: list people, pay a month, approve, correct, settle.

The tests are one story, in order, on one running system (make test keeps a file on one
worker: --dist loadfile). Three uvicorn processes with their own databases (SQLite, or
PostgreSQL under CI);
nothing here touches a database or imports a service.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import httpx
import pytest

from shared.ids import make_identity_number
from tests.integration.conftest import RunningSystem

pytestmark = pytest.mark.integration

REGION_A = "SE2321000065-1001"  # region-owned, Östersund
PRIVATE_P = "SE5566778899-2001"  # private, Östersund
REGION_C = "SE2321000065-1003"  # region-owned, Ragunda, far from the hospital
DENTAL_D = "SE2321000065-9001"  # Folktandvården, Östersund

import datetime as dt  # noqa: E402

PEOPLE = [make_identity_number(dt.date(1950 + 7 * i, 1 + i, 10 + i), 100 + i) for i in range(8)]

MODEL = {
    "annual_budget_sek": "1200000.00",
    "count_date_rule": "last_day_prev_month",
    "shares": {"capitation": "0.70", "cni": "0.22", "sparsity": "0.08"},
    "age_weights": [
        {"from_age": 0, "to_age": 64, "weight": "1.0"},
        {"from_age": 65, "to_age": None, "weight": "2.0"},
    ],
    "cni": {"default": "1.0", "by_deso": {"2380C1010": "1.5"}},
    "sparsity": {
        "distance_limits_km": [40, 100, 180],
        "size_limits": [2000, 5000],
        "points": [[0, 0, 0], [1200, 900, 600], [2000, 1500, 1000], [3000, 2200, 1500]],
    },
}


def _unit(
    name: str, municipality: str, ownership: str, care_type: str, km: str
) -> dict[str, object]:
    return {
        "name": name,
        "municipality_code": municipality,
        "ownership": ownership,
        "care_type": care_type,
        "lat": 63.18,
        "lon": 14.64,
        "distance_to_hospital_km": km,
        "active_from": "2020-01-01",
        "active_to": None,
    }


def _ok(r: httpx.Response, *codes: int) -> dict:  # type: ignore[type-arg]
    assert r.status_code in (codes or (200, 201)), (
        f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    )
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def region(system: RunningSystem) -> RunningSystem:
    with system.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        for hsa, body in {
            REGION_A: _unit("Hälsocentral A", "2380", "region", "primary", "3"),
            PRIVATE_P: _unit("Privat HC P", "2380", "private", "primary", "5"),
            REGION_C: _unit("Hälsocentral C", "2303", "region", "primary", "120"),
            DENTAL_D: _unit("Folktandvården D", "2380", "region", "dental", "3"),
        }.items():
            _ok(listing.put(f"/v1/units/{hsa}", json=body))
        rows = [
            "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,moved_out_on"
        ]
        for i, pnr in enumerate(PEOPLE):
            municipality = "2303" if i >= 6 else "2380"
            deso = "2380C1010" if i < 3 else ("" if i == 5 else f"{municipality}C1020")
            rows.append(f"{pnr},{municipality},{deso},63.1,14.6,{'true' if i == 5 else 'false'},,")
        body = "\n".join(rows) + "\n"
        result = _ok(
            listing.post("/v1/register/import", content=body, headers={"Content-Type": "text/csv"})
        )
        assert result == {"inserted": 8, "updated": 0, "unchanged": 0}
        assert _ok(
            listing.post("/v1/register/import", content=body, headers={"Content-Type": "text/csv"})
        ) == {"inserted": 0, "updated": 0, "unchanged": 8}
        for i, pnr in enumerate(PEOPLE):
            hsa = REGION_C if i >= 6 else (PRIVATE_P if i in (3, 4) else REGION_A)
            _ok(
                listing.post(
                    "/v1/listings",
                    json={
                        "personnummer": pnr,
                        "hsa_id": hsa,
                        "valid_from": "2025-06-01",
                        "reason": "choice",
                        "special_reason": False,
                    },
                ),
                201,
            )
    return system


def _monthly_budget(annual: Decimal, month: int) -> Decimal:
    from shared.money import round_ore

    total = Decimal(0)
    for share in (Decimal("0.70"), Decimal("0.22"), Decimal("0.08")):
        a = annual * share
        total += round_ore(a * month / 12) - round_ore(a * (month - 1) / 12)
    return total


def test_counts_reach_the_payment_run_and_add_up_to_the_budget(region: RunningSystem) -> None:
    with region.client("listing", roles=["ops"]) as ops:
        counts = _ok(ops.get("/v1/counts", params={"date": "2026-02-28", "care_type": "primary"}))
    listed = {u["hsa_id"]: u["listed"] for u in counts["units"]}
    assert listed == {REGION_A: 4, PRIVATE_P: 2, REGION_C: 2}
    with region.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        region.approve_model("payment", _ok(admin.put("/v1/models/2026", json=MODEL)))
        run = _ok(admin.post("/v1/runs", json={"period": "2026-03"}), 201)
        assert run["count_date"] == "2026-02-28" and run["status"] == "calculated"
        statements = _ok(admin.get("/v1/statements", params={"period": "2026-03"}))["statements"]
    paid = sum(Decimal(s["total_sek"]) for s in statements)
    assert paid + Decimal(run["undistributed_sek"]) == _monthly_budget(Decimal("1200000.00"), 3)
    assert Decimal(run["total_sek"]) == paid
    for s in statements:
        assert Decimal(s["total_sek"]) == sum(Decimal(line["amount_sek"]) for line in s["lines"])
        assert re.fullmatch(r"-?\d+\.\d{2}", s["total_sek"])


def test_four_eyes_approval_and_provider_reads_only_its_own(region: RunningSystem) -> None:
    with region.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        run = _ok(admin.get("/v1/runs", params={"period": "2026-03"}))["runs"][-1]
    # The creator may not approve, even holding the approver role.
    with region.client("payment", roles=["finance_approver"], sub="it:admin") as same:
        assert same.post(f"/v1/runs/{run['run_id']}/approve").status_code == 403
    with region.client("payment", roles=["provider"], hsa_ids=[PRIVATE_P], sub="it:p") as provider:
        assert _ok(provider.get("/v1/statements", params={"period": "2026-03"}))["statements"] == []
    with region.client("payment", roles=["finance_approver"], sub="it:finance") as finance:
        _ok(finance.post(f"/v1/runs/{run['run_id']}/approve"))
        everyone = _ok(finance.get("/v1/statements", params={"period": "2026-03"}))["statements"]
    # Version 1 is paid: a payout (the admin) approved by finance, never by its author.
    with region.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        payout = _ok(admin.post("/v1/payouts", json={"period": "2026-03", "care_type": "primary"}))
    with region.client("payment", roles=["finance_approver"], sub="it:admin") as same:
        assert same.post(f"/v1/payouts/{payout['payout_id']}/approve").status_code == 403
    with region.client("payment", roles=["finance_approver"], sub="it:finance") as finance:
        _ok(finance.post(f"/v1/payouts/{payout['payout_id']}/approve"))
    other = next(s for s in everyone if s["hsa_id"] == REGION_A)
    with region.client("payment", roles=["provider"], hsa_ids=[PRIVATE_P], sub="it:p") as provider:
        own = _ok(provider.get("/v1/statements", params={"period": "2026-03"}))["statements"]
        assert [s["hsa_id"] for s in own] == [PRIVATE_P]
        assert provider.get(f"/v1/statements/{other['statement_id']}").status_code == 404
        assert (
            _ok(
                provider.get("/v1/statements", params={"period": "2026-03", "hsa_id": REGION_A}),
                200,
                404,
            ).get("statements", [])
            == []
        )
        sid = own[0]["statement_id"]
        csv_r = provider.get(f"/v1/statements/{sid}", headers={"Accept": "text/csv"})
        assert csv_r.status_code == 200 and csv_r.content.startswith(b"\xef\xbb\xbf")
        table = list(csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig")), delimiter=";"))
        assert any(own[0]["total_sek"].replace(".", ",") in cell for row in table for cell in row)
        pdf = provider.get(f"/v1/statements/{sid}", headers={"Accept": "application/pdf"})
        assert (
            pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 1000
        )


def test_a_late_listing_change_makes_a_correction_with_deltas(region: RunningSystem) -> None:
    with region.client("listing", roles=["region_admin"], sub="it:admin") as listing:
        # Person 0 moves from A to P with effect before the paid count date.
        _ok(
            listing.post(
                "/v1/listings",
                json={
                    "personnummer": PEOPLE[0],
                    "hsa_id": PRIVATE_P,
                    "valid_from": "2026-02-01",
                    "reason": "choice",
                    "special_reason": False,
                },
            ),
            201,
        )
    with region.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        v2 = _ok(admin.post("/v1/runs", json={"period": "2026-03"}), 200, 201)
        assert v2["version"] == 2 and not v2.get("unchanged")
        again = _ok(admin.post("/v1/runs", json={"period": "2026-03"}), 200, 201)
        assert again["unchanged"] is True and again["version"] == 2
        latest = _ok(admin.get("/v1/statements", params={"period": "2026-03"}))["statements"]
        first = _ok(admin.get("/v1/statements", params={"period": "2026-03", "version": 1}))[
            "statements"
        ]
    before = {s["hsa_id"]: Decimal(s["total_sek"]) for s in first}
    for s in latest:
        assert Decimal(s["delta_sek"]) == Decimal(s["total_sek"]) - before[s["hsa_id"]]
    assert sum(Decimal(s["delta_sek"]) for s in latest) == 0  # same pool, redistributed
    p = next(s for s in latest if s["hsa_id"] == PRIVATE_P)
    assert p["listed"] == 3 and Decimal(p["delta_sek"]) > 0


def test_last_resort_settlement_with_neutrality_over_http(region: RunningSystem) -> None:
    with (
        region.client("payment", roles=["region_admin"], sub="it:admin") as admin,
        region.client("payment", roles=["finance_approver"], sub="it:finance") as finance,
    ):
        for month in range(1, 13):
            period = f"2026-{month:02d}"
            runs = _ok(admin.get("/v1/runs", params={"period": period}))["runs"]
            run = runs[-1] if runs else _ok(admin.post("/v1/runs", json={"period": period}), 201)
            if run["status"] != "approved":
                _ok(finance.post(f"/v1/runs/{run['run_id']}/approve"))
    with region.client("lastresort", roles=["region_admin"], sub="it:admin") as lr:
        # A private unit cannot carry the responsibility; the region's can.
        refused = lr.put("/v1/designations/2026/primary/2380", json={"hsa_id": PRIVATE_P})
        assert refused.status_code == 422 and "region" in refused.text
        _ok(lr.put("/v1/designations/2026/primary/2380", json={"hsa_id": REGION_A}))
        _ok(lr.put("/v1/designations/2026/primary/2303", json={"hsa_id": REGION_C}))
        model = _ok(
            lr.put(
                "/v1/models/2026",
                json={
                    "method": "fixed_sum",
                    "annual_sek_by_municipality": {"2380": "300000.00", "2303": "100000.00"},
                    "neutrality": {"enabled": True, "scope": "municipality"},
                },
            )
        )
        # A draft model settles nothing; its author cannot approve it.
        draft = lr.post("/v1/settlements", json={"year": 2026, "care_type": "primary"})
        assert draft.status_code == 409, draft.text
        path = f"/v1/models/2026/versions/{model['version']}/approve"
        with region.client("lastresort", roles=["finance_approver"], sub="it:admin") as same:
            assert same.post(path).status_code == 403
        region.approve_model("lastresort", model)
        result = _ok(lr.post("/v1/settlements", json={"year": 2026, "care_type": "primary"}), 201)
    by_scope = {s["scope"]: s for s in result["neutrality"]["scopes"]}
    # Östersund over the twelve count dates of 2026's runs (31 Dec 2025 to 30 Nov 2026): A
    # has 4 listed on the first two, 3 on the other ten (person 0 moved to P from 1 February);
    # P has 2, then 3. P's amount: 300 000.00 × (2·2 + 10·3) / (2·4 + 10·3) = 300 000 × 34/38.
    oster = by_scope["2380"]
    assert oster["region_listed"] == 2 * 4 + 10 * 3
    p_amount = next(u for u in oster["units"] if u["hsa_id"] == PRIVATE_P)["amount_sek"]
    assert Decimal(p_amount) == Decimal("268421.05")
    with region.client(
        "lastresort", roles=["provider"], hsa_ids=[PRIVATE_P], sub="it:p"
    ) as provider:
        # A provider sees a settlement once a second person has approved it.
        assert provider.get("/v1/settlements/2026").status_code == 404
        with region.client("lastresort", roles=["finance_approver"], sub="it:finance") as fin:
            _ok(
                fin.post(
                    f"/v1/settlements/2026/versions/{result['version']}/approve",
                    params={"care_type": "primary"},
                )
            )
        seen = _ok(provider.get("/v1/settlements/2026"))
    text = str(seen)
    assert PRIVATE_P in text and REGION_C not in text


def test_the_correction_payout_pays_the_difference_with_a_credit_line_and_its_sie_balances(
    region: RunningSystem,
) -> None:
    """2026-03 version 1 was paid; version 2 (person 0 moved from A to P) is approved since.
    The next payout pays per unit the difference only: P more, A a credit line (it owes it
    back), never netted; paying it again is refused; the SIE file balances to the öre."""
    with region.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        v1 = _ok(admin.get("/v1/statements", params={"period": "2026-03", "version": 1}))
        v2 = _ok(admin.get("/v1/statements", params={"period": "2026-03", "version": 2}))
        payout = _ok(admin.post("/v1/payouts", json={"period": "2026-03", "care_type": "primary"}))
        again = admin.post("/v1/payouts", json={"period": "2026-03", "care_type": "primary"})
        assert again.status_code == 409, again.text
    was = {s["hsa_id"]: Decimal(s["total_sek"]) for s in v1["statements"]}
    now = {s["hsa_id"]: Decimal(s["total_sek"]) for s in v2["statements"]}
    lines = {ln["hsa_id"]: ln for ln in payout["lines"]}
    assert (payout["version"], payout["paid_version"]) == (2, 1)
    assert {h: Decimal(ln["amount_sek"]) for h, ln in lines.items()} == {
        h: now[h] - was[h] for h in now if now[h] != was[h]
    }
    assert lines[PRIVATE_P]["kind"] == "correction" and lines[REGION_A]["kind"] == "credit"
    assert Decimal(lines[REGION_A]["amount_sek"]) < 0 < Decimal(lines[PRIVATE_P]["amount_sek"])
    with region.client("payment", roles=["finance_approver"], sub="it:finance") as finance:
        _ok(finance.post(f"/v1/payouts/{payout['payout_id']}/approve"))
        sie = finance.get(f"/v1/payouts/{payout['payout_id']}/files/sie")
    assert sie.status_code == 200, sie.text
    from tests.payment.sie_reader import parse

    (ver,) = parse(sie.content).vers
    assert sum(amount for _account, _objects, amount in ver.trans) == 0
    booked: dict[str, Decimal] = {}
    for account, objects, amount in ver.trans:
        if account == "4611":  # the cost account, per unit's cost centre
            (unit,) = objects.values()
            booked[unit] = booked.get(unit, Decimal(0)) + amount
    assert booked == {h: Decimal(ln["amount_sek"]) for h, ln in lines.items()}


def test_no_run_or_settlement_before_its_count_date_over_http(region: RunningSystem) -> None:
    """The running services measure against their business date (HALSOVAL_TODAY 2027-01-15):
    2027-01 (counting on 2026-12-31) runs, 2027-02 (counting on 2027-01-31) does not, nor
    does the settlement of 2027 (from 1 January 2028); each answer says from when, and nothing
    is stored."""
    with region.client("payment", roles=["region_admin"], sub="it:admin") as admin:
        region.approve_model("payment", _ok(admin.put("/v1/models/2027", json=MODEL), 200, 201))
        early = admin.post("/v1/runs", json={"period": "2027-02"})
        assert early.status_code == 409
        assert early.json()["detail"] == (
            "period 2027-02 counts on 2027-01-31; it can run from 2027-01-31"
        )
        assert _ok(admin.get("/v1/runs", params={"period": "2027-02"}))["runs"] == []
        assert _ok(admin.post("/v1/runs", json={"period": "2027-01"}), 201)["count_date"] == (
            "2026-12-31"
        )
    with region.client("lastresort", roles=["region_admin"], sub="it:admin") as lr:
        refused = lr.post("/v1/settlements", json={"year": 2027, "care_type": "primary"})
        assert refused.status_code == 409
        assert "can be made from 2028-01-01" in refused.json()["detail"]
