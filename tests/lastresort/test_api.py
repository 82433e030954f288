"""The last-resort API end to end against fake listing and payment services.

The region of these tests (primary care, 2026):
  R1 region 2303 designated, 1000 listed      P1 private 2303, 500 listed
  R2 region 2380 designated, 3000 listed      P2 private 2380, 2000 listed
  R3 region 2380 not designated, 1001 listed  P3 private 2380, 1 listed
  P4 private 2326 (no region unit there), 10 listed
Payment: every month R1 is paid 1 000 000.00 and R2 2 500 000.50 (P2 is paid too; ignored).
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from tests.lastresort.conftest import COUNT_DATES, YEAR, Env, hsa, run_known_at, unit

R1, R2, R3, P1, P2, P3, P4 = (hsa(s) for s in ("R1", "R2", "R3", "P1", "P2", "P3", "P4"))
DEFICIT_MODEL: dict[str, Any] = {
    "method": "deficit_capped",
    "coverage": "0.9",
    "cap_sek": "5000000.00",
    "neutrality": {"enabled": False},
}


def region(env: Env) -> None:
    env.listing.add(unit("R1", municipality="2303"), 1000)
    env.listing.add(unit("R2", municipality="2380"), 3000)
    env.listing.add(unit("R3", municipality="2380"), 1001)
    env.listing.add(unit("P1", municipality="2303", ownership="private"), 500)
    env.listing.add(unit("P2", municipality="2380", ownership="private"), 2000)
    env.listing.add(unit("P3", municipality="2380", ownership="private"), 1)
    env.listing.add(unit("P4", municipality="2326", ownership="private"), 10)
    env.payment.approve_year({R1: "1000000.00", R2: "2500000.50", P2: "777.00"})


def designate_and_account(env: Env) -> None:
    for muni, h in (("2303", R1), ("2380", R2)):
        assert env.put(f"/v1/designations/{YEAR}/primary/{muni}", {"hsa_id": h}).status_code == 200
    assert (
        env.put(
            f"/v1/accounts/{YEAR}/{R1}",
            {
                "costs_sek": "15500000.00",
                "other_revenue_sek": "1000000.00",
                "targeted_grants_sek": "250000.00",
            },
        ).status_code
        == 200
    )
    assert (
        env.put(
            f"/v1/accounts/{YEAR}/{R2}",
            {
                "costs_sek": "40000000.00",
                "other_revenue_sek": "2000000.00",
                "targeted_grants_sek": "0.00",
            },
        ).status_code
        == 200
    )


def settle(env: Env, care_type: str = "primary", expect: int = 201) -> dict[str, Any]:
    r = env.client.post(
        "/v1/settlements", json={"year": YEAR, "care_type": care_type}, headers=env.admin
    )
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


def by(rows: list[dict[str, Any]], key: str = "hsa_id") -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in rows}


# --- settlements, computed by hand -------------------------------------------------------


def test_deficit_capped_without_neutrality(env: Env) -> None:
    region(env)
    designate_and_account(env)
    assert env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL).status_code == 201
    body = settle(env)
    assert body["version"] == 1 and body["new_version"] is True
    units = by(body["units"])
    # R1: revenue 12 × 1 000 000.00 = 12 000 000.00;
    #     deficit 15 500 000 − (12 000 000 + 1 000 000 + 250 000) = 2 250 000.00;
    #     0.9 × 2 250 000 = 2 025 000.00 (below the cap).
    r1 = units[R1]
    assert r1["halsoval_revenue_sek"] == "12000000.00"
    assert [p["revenue_sek"] for p in r1["revenue_by_period"]] == ["1000000.00"] * 12
    assert (
        r1["revenue_by_period"][0]["period"] == "2026-01"
        and r1["revenue_by_period"][11]["period"] == "2026-12"
    )
    assert r1["deficit_sek"] == "2250000.00" and r1["covered_deficit"] == "2025000.000"
    assert (
        r1["compensation_sek"] == "2025000.00"
        and r1["cap_sek"] == "5000000.00"
        and r1["coverage"] == "0.9"
    )
    assert (r1["costs_sek"], r1["other_revenue_sek"], r1["targeted_grants_sek"]) == (
        "15500000.00",
        "1000000.00",
        "250000.00",
    )
    # R2: revenue 12 × 2 500 000.50 = 30 000 006.00; deficit 40 000 000 − 32 000 006 = 7 999 994.00;
    #     0.9 × 7 999 994 = 7 199 994.60 → capped at 5 000 000.00.
    r2 = units[R2]
    assert r2["halsoval_revenue_sek"] == "30000006.00" and r2["deficit_sek"] == "7999994.00"
    assert r2["covered_deficit"] == "7199994.600" and r2["compensation_sek"] == "5000000.00"
    assert body["total_compensation_sek"] == "7025000.00" and body["total_neutrality_sek"] == "0.00"
    assert body["neutrality"] == {
        "enabled": False,
        "scope": None,
        "count_date": None,
        "count_dates": [],
        "scopes": [],
    }
    assert [p["version"] for p in body["payment_versions"]] == [1] * 12
    assert "/v1/counts" not in env.listing.calls


def test_deficit_capped_with_municipality_neutrality(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(
        f"/v1/models/{YEAR}",
        {**DEFICIT_MODEL, "neutrality": {"enabled": True, "scope": "municipality"}},
    )
    body = settle(env)
    scopes = by(body["neutrality"]["scopes"], "scope")
    # The twelve approved runs' count dates, each read as known at its run's moment, and the
    # units as they were on that date as known then; the last is the settlement's count_date.
    assert body["neutrality"]["count_date"] == "2026-12-01"
    expected = [
        {"date": d, "care_type": "primary", "as_known_at": run_known_at(d[:7])} for d in COUNT_DATES
    ]
    assert env.listing.count_queries == expected
    assert env.listing.unit_queries == [
        {"date": q["date"], "as_known_at": q["as_known_at"]} for q in expected
    ]
    assert [c["count_date"] for c in body["neutrality"]["count_dates"]] == COUNT_DATES
    assert sorted(scopes) == ["2303", "2326", "2380"]
    # The same counts on all twelve dates: Σ region = 12 × 1000 in 2303, and the rate is
    # 2 025 000.00 / 12 000 = 168.75; P1: 12 × 500 × 168.75 = 1 012 500.00 (as on one date).
    s = scopes["2303"]
    assert (s["total_compensation_sek"], s["region_listed"], s["rate_sek_per_person"]) == (
        "2025000.00",
        12000,
        "168.750000000000",
    )
    assert [c["listed"] for c in s["region_counts"]] == [1000] * 12
    assert [c["listed"] for c in by(s["units"])[P1]["counts"]] == [500] * 12
    assert (
        by(s["units"])[P1]["amount_sek"] == "1012500.00"
        and by(s["units"])[R1]["amount_sek"] is None
    )
    assert by(s["units"])[R1]["designated"] is True
    # 2380: 5 000 000.00 / (12 × (3000 + 1001)) = 104.140631508789…;
    #   P2: 24 000 × 5 000 000 / 48 012 = 2 499 375.1562… → 2 499 375.16; P3: 1249.6875… → 1249.69.
    s = scopes["2380"]
    assert s["region_listed"] == 48012 and s["rate_sek_per_person"] == "104.140631508789"
    assert (
        by(s["units"])[P2]["amount_sek"] == "2499375.16"
        and by(s["units"])[P3]["amount_sek"] == "1249.69"
    )
    assert by(s["units"])[R3]["designated"] is False and by(s["units"])[R3]["listed"] == 12012
    assert s["total_neutrality_sek"] == "2500624.85"
    # 2326: no region unit, so no rate: P4 gets 0.00 and the answer says why.
    s = scopes["2326"]
    assert (
        s["rate_defined"] is False and s["rate_sek_per_person"] is None and "undefined" in s["note"]
    )
    assert by(s["units"])[P4]["amount_sek"] == "0.00"
    # 1 012 500.00 + 2 500 624.85 + 0.00
    assert body["total_neutrality_sek"] == "3513124.85"


def test_deficit_capped_with_region_neutrality(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(
        f"/v1/models/{YEAR}", {**DEFICIT_MODEL, "neutrality": {"enabled": True, "scope": "region"}}
    )
    body = settle(env)
    (s,) = body["neutrality"]["scopes"]
    # 7 025 000.00 / (12 × (1000 + 3000 + 1001)) = 117.059921349063…; the same counts on each
    # date, so each amount is as on one date: P1 12 × 500 → 702 359.5280… → 702 359.53;
    #   P2 → 2 809 438.1123… → 2 809 438.11; P3 → 1404.7190… → 1404.72;
    #   P4 → 14 047.1905… → 14 047.19.
    assert s["scope"] == "region" and s["region_listed"] == 60012
    assert s["rate_sek_per_person"] == "117.059921349064"
    amounts = {h: u["amount_sek"] for h, u in by(s["units"]).items() if u["ownership"] == "private"}
    assert amounts == {P1: "702359.53", P2: "2809438.11", P3: "1404.72", P4: "14047.19"}
    # 702 359.53 + 2 809 438.11 + 1404.72 + 14 047.19
    assert s["total_neutrality_sek"] == "3527249.55" == body["total_neutrality_sek"]


def test_fixed_sum_with_and_without_neutrality(env: Env) -> None:
    region(env)
    designate_and_account(env)
    model = {
        "method": "fixed_sum",
        "annual_sek_by_municipality": {"2303": "2500000.00", "2380": "1000000.00"},
        "neutrality": {"enabled": False},
    }
    env.put(f"/v1/models/{YEAR}", model)
    body = settle(env)
    units = by(body["units"])
    assert (
        units[R1]["fixed_sum_sek"] == "2500000.00" and units[R1]["compensation_sek"] == "2500000.00"
    )
    assert units[R1]["costs_sek"] is None and units[R1]["revenue_by_period"] == []
    assert body["total_compensation_sek"] == "3500000.00" and body["payment_versions"] == []

    env.put(
        f"/v1/models/{YEAR}", {**model, "neutrality": {"enabled": True, "scope": "municipality"}}
    )
    body = settle(env)
    assert body["version"] == 2
    scopes = by(body["neutrality"]["scopes"], "scope")
    # 2303: 2 500 000 / 1000 = 2500; P1: 500 × 2500 = 1 250 000.00.
    assert by(scopes["2303"]["units"])[P1]["amount_sek"] == "1250000.00"
    # 2380: 1 000 000 / 4001; P2: 2 000 000 000 / 4001 = 499 875.0312… → 499 875.03;
    #       P3: 249.9375… → 249.94.
    assert by(scopes["2380"]["units"])[P2]["amount_sek"] == "499875.03"
    assert by(scopes["2380"]["units"])[P3]["amount_sek"] == "249.94"

    env.put(f"/v1/models/{YEAR}", {**model, "neutrality": {"enabled": True, "scope": "region"}})
    (s,) = settle(env)["neutrality"]["scopes"]
    # 3 500 000 / 5001 = 699.860027994401…; P1 500 → 349 930.0139… → 349 930.01;
    # P2 2000 → 1 399 720.0559… → 1 399 720.06; P3 → 699.86; P4 10 → 6998.6002… → 6998.60.
    amounts = {h: u["amount_sek"] for h, u in by(s["units"]).items() if u["ownership"] == "private"}
    assert amounts == {P1: "349930.01", P2: "1399720.06", P3: "699.86", P4: "6998.60"}


def test_dental_uses_its_own_model_and_units(env: Env) -> None:
    region(env)
    env.listing.add(unit("D1", municipality="2303", care_type="dental"), 700)
    env.listing.add(unit("DP1", municipality="2303", care_type="dental", ownership="private"), 300)
    assert env.put(f"/v1/designations/{YEAR}/dental/2303", {"hsa_id": hsa("D1")}).status_code == 200
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    r = env.put(
        f"/v1/models/{YEAR}?care_type=dental",
        {
            "method": "fixed_sum",
            "annual_sek_by_municipality": {"2303": "700000.00"},
            "neutrality": {"enabled": True, "scope": "municipality"},
        },
    )
    assert r.status_code == 201 and r.json()["applies_to"] == "dental"
    models = env.client.get(f"/v1/models/{YEAR}", headers=env.admin).json()
    assert models["effective"] == {
        "primary": {"applies_to": "all", "version": 1},
        "dental": {"applies_to": "dental", "version": 1},
    }
    body = settle(env, "dental")
    # 700 000 / 700 = 1000 per person; DP1: 300 × 1000 = 300 000.00. Primary units are not in it.
    (s,) = body["neutrality"]["scopes"]
    assert {u["hsa_id"]: u["amount_sek"] for u in s["units"]} == {
        hsa("D1"): None,
        hsa("DP1"): "300000.00",
    }
    assert body["care_type"] == "dental" and body["model_applies_to"] == "dental"


def test_rate_undefined_when_designated_unit_has_nobody_listed(env: Env) -> None:
    env.listing.add(unit("R1", municipality="2303"), 0)
    env.listing.add(unit("P1", municipality="2303", ownership="private"), 500)
    env.payment.approve_year({R1: "1.00"})
    env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1})
    env.put(
        f"/v1/models/{YEAR}",
        {
            "method": "fixed_sum",
            "annual_sek_by_municipality": {"2303": "100.00"},
            "neutrality": {"enabled": True, "scope": "municipality"},
        },
    )
    (s,) = settle(env)["neutrality"]["scopes"]
    assert s["total_compensation_sek"] == "100.00" and s["region_listed"] == 0
    assert s["rate_defined"] is False and by(s["units"])[P1]["amount_sek"] == "0.00"


# --- versions -----------------------------------------------------------------------------


def test_versions(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.approve_models = False
    assert env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL).json()["outcome"] == "created"
    changed = {**DEFICIT_MODEL, "coverage": "0.8"}
    # A draft: a change updates version 1 in place.
    r = env.put(f"/v1/models/{YEAR}", changed)
    assert (r.status_code, r.json()["outcome"], r.json()["version"]) == (200, "updated", 1)
    approve = env.client.post(f"/v1/models/{YEAR}/versions/1/approve", headers=env.finance)
    assert approve.status_code == 200 and approve.json()["status"] == "approved"
    env.approve_models = True
    first = settle(env)
    # R1: 0.8 × 2 250 000 = 1 800 000.00
    assert by(first["units"])[R1]["compensation_sek"] == "1800000.00"
    again = settle(env, expect=200)
    assert (
        again["new_version"] is False
        and again["version"] == 1
        and "no new version" in again["detail"]
    )
    # Approved (and used): an identical PUT changes nothing, a different one makes version 2.
    assert env.put(f"/v1/models/{YEAR}", changed).json()["outcome"] == "unchanged"
    r = env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    assert (r.status_code, r.json()["version"], r.json()["used"]) == (201, 2, False)
    versions = env.client.get(f"/v1/models/{YEAR}", headers=env.admin).json()["versions"]
    assert [(v["version"], v["used"], v["model"]["coverage"]) for v in versions] == [
        (1, True, "0.8"),
        (2, False, "0.9"),
    ]
    second = settle(env)
    assert second["version"] == 2 and second["model_version"] == 2
    # New accounts → version 3; R1: 0.9 × (15 600 000 − 13 250 000) = 2 115 000.00.
    env.put(
        f"/v1/accounts/{YEAR}/{R1}",
        {
            "costs_sek": "15600000.00",
            "other_revenue_sek": "1000000.00",
            "targeted_grants_sek": "250000.00",
        },
    )
    third = settle(env)
    assert third["version"] == 3 and by(third["units"])[R1]["compensation_sek"] == "2115000.00"
    # A newer approved payment run is a new input too.
    env.payment.approved["2026-05"] = (2, {R1: "1000000.01", R2: "2500000.50"})
    fourth = settle(env)
    assert (
        fourth["version"] == 4 and by(fourth["units"])[R1]["halsoval_revenue_sek"] == "12000000.01"
    )
    assert {p["period"]: p["version"] for p in fourth["payment_versions"]}["2026-05"] == 2
    # The old versions are kept as they were.
    old = env.client.get(
        f"/v1/settlements/{YEAR}?care_type=primary&version=1", headers=env.admin
    ).json()
    assert by(old["settlements"][0]["units"])[R1]["compensation_sek"] == "1800000.00"
    latest = env.client.get(f"/v1/settlements/{YEAR}", headers=env.admin).json()
    assert [s["version"] for s in latest["settlements"]] == [4]


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "hsa_id", "fragment"),
    [
        ({}, hsa("NOPE"), "unknown to the listing service"),
        ({"ownership": "private"}, hsa("X"), "not region-owned"),
        ({"care_type": "dental"}, hsa("X"), "care type dental, not primary"),
        ({"municipality": "2380"}, hsa("X"), "in municipality 2380, not 2303"),
        ({"active_to": "2025-06-30"}, hsa("X"), "not active in 2026"),
    ],
)
def test_designation_refusals(env: Env, setup: dict[str, Any], hsa_id: str, fragment: str) -> None:
    if setup:
        env.listing.add(unit("X", **{"municipality": "2303", **setup}))
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": hsa_id})
    assert r.status_code == 422 and fragment in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "hsa_id"
    listed = env.client.get(f"/v1/designations/{YEAR}", headers=env.admin).json()
    assert listed["designations"] == []


def test_designation_input_refusals(env: Env) -> None:
    env.listing.add(unit("R1", municipality="2399"))
    r = env.put(f"/v1/designations/{YEAR}/primary/2399", {"hsa_id": R1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "municipality_code"
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": "not-an-hsa-id"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hsa_id"
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1, "extra": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"
    r = env.put(f"/v1/designations/{YEAR}/surgery/2303", {"hsa_id": R1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "care_type"


def test_designations_list_missing_municipalities(env: Env) -> None:
    region(env)
    env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1})
    body = env.client.get(
        f"/v1/designations/{YEAR}?care_type=primary", headers=env.token("provider", hsa_ids=(P1,))
    ).json()
    assert [d["hsa_id"] for d in body["designations"]] == [R1]
    assert [m["municipality_code"] for m in body["missing"]] == [
        "2305",
        "2309",
        "2313",
        "2321",
        "2326",
        "2361",
        "2380",
    ]
    # Replacing a designation keeps one per municipality.
    env.put(f"/v1/designations/{YEAR}/primary/2380", {"hsa_id": R2})
    env.put(f"/v1/designations/{YEAR}/primary/2380", {"hsa_id": R3})
    body = env.client.get(f"/v1/designations/{YEAR}", headers=env.admin).json()
    assert {d["municipality_code"]: d["hsa_id"] for d in body["designations"]} == {
        "2303": R1,
        "2380": R3,
    }
    assert len(body["missing"]) == 6 + 8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DEFICIT_MODEL, "coverage": "1.5"}, "deficit_capped.coverage"),
        ({**DEFICIT_MODEL, "coverage": 0.9}, "deficit_capped.coverage"),
        ({**DEFICIT_MODEL, "cap_sek": "-1.00"}, "deficit_capped.cap_sek"),
        ({**DEFICIT_MODEL, "cap_sek": "1.001"}, "deficit_capped.cap_sek"),
        ({**DEFICIT_MODEL, "surprise": True}, "deficit_capped.surprise"),
        ({**DEFICIT_MODEL, "neutrality": {"enabled": True}}, "deficit_capped.neutrality"),
        (
            {**DEFICIT_MODEL, "neutrality": {"enabled": True, "scope": "county"}},
            "deficit_capped.neutrality.scope",
        ),
        (
            {key: v for key, v in DEFICIT_MODEL.items() if key != "neutrality"},
            "deficit_capped.neutrality",
        ),
        (
            {
                "method": "fixed_sum",
                "annual_sek_by_municipality": {"23": "1.00"},
                "neutrality": {"enabled": False},
            },
            "fixed_sum.annual_sek_by_municipality.23.[key]",
        ),
        (
            {
                "method": "fixed_sum",
                "annual_sek_by_municipality": {},
                "neutrality": {"enabled": False},
            },
            "fixed_sum.annual_sek_by_municipality",
        ),
        (
            {
                "method": "fixed_sum",
                "annual_sek_by_municipality": {"2399": "1.00"},
                "neutrality": {"enabled": False},
            },
            "annual_sek_by_municipality.2399",
        ),
        ({**DEFICIT_MODEL, "method": "lottery"}, "method"),
    ],
)
def test_model_refusals(env: Env, body: dict[str, Any], field: str) -> None:
    r = env.put(f"/v1/models/{YEAR}", body)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert env.client.get(f"/v1/models/{YEAR}", headers=env.admin).json()["versions"] == []


def test_account_refusals_and_reads(env: Env) -> None:
    good = {"costs_sek": "100.00", "other_revenue_sek": "0", "targeted_grants_sek": "1.5"}
    r = env.put(f"/v1/accounts/{YEAR}/{R1}", good)
    assert r.status_code == 200 and r.json()["other_revenue_sek"] == "0.00"
    assert r.json()["targeted_grants_sek"] == "1.50"
    for bad, field in (
        ({**good, "costs_sek": "-1.00"}, "costs_sek"),
        ({**good, "costs_sek": "1.234"}, "costs_sek"),
        ({**good, "costs_sek": 100.0}, "costs_sek"),
        ({**good, "rent_sek": "1.00"}, "rent_sek"),
        ({"costs_sek": "1.00", "other_revenue_sek": "1.00"}, "targeted_grants_sek"),
    ):
        r = env.put(f"/v1/accounts/{YEAR}/{R1}", bad)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field
    assert (
        env.client.get(f"/v1/accounts/{YEAR}/{R1}", headers=env.admin).json()["costs_sek"]
        == "100.00"
    )
    fin = env.token("finance_approver")
    assert [
        a["hsa_id"] for a in env.client.get(f"/v1/accounts/{YEAR}", headers=fin).json()["accounts"]
    ] == [R1]
    assert env.client.get(f"/v1/accounts/{YEAR}/{R2}", headers=fin).status_code == 404
    assert (
        env.client.get(
            f"/v1/accounts/{YEAR}/{R1}", headers=env.token("provider", hsa_ids=(R1,))
        ).status_code
        == 403
    )
    assert env.client.get(f"/v1/accounts/{YEAR}/{R1}", headers=env.token("ops")).status_code == 403


def test_settlement_refused_with_missing_periods(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    env.payment.approved = {
        k: v for k, v in env.payment.approved.items() if k not in ("2026-03", "2026-12")
    }
    r = env.client.post(
        "/v1/settlements", json={"year": YEAR, "care_type": "primary"}, headers=env.admin
    )
    assert r.status_code == 409 and "2026-03, 2026-12" in r.json()["detail"]
    assert [e["message"] for e in r.json()["errors"]] == ["2026-03", "2026-12"]
    assert env.client.get(f"/v1/settlements/{YEAR}", headers=env.admin).status_code == 404
    models = env.client.get(f"/v1/models/{YEAR}", headers=env.admin).json()
    assert models["versions"][0]["used"] is False


def test_settlement_refusals(env: Env) -> None:
    region(env)
    post = {"year": YEAR, "care_type": "primary"}
    r = env.client.post("/v1/settlements", json=post, headers=env.admin)
    assert r.status_code == 409 and "no unit is designated" in r.json()["detail"]
    env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1})
    r = env.client.post("/v1/settlements", json=post, headers=env.admin)
    assert r.status_code == 409 and "no last-resort model" in r.json()["detail"]
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    r = env.client.post("/v1/settlements", json=post, headers=env.admin)
    assert r.status_code == 409 and R1 in r.json()["detail"] and "accounts" in r.json()["detail"]
    env.put(
        f"/v1/models/{YEAR}",
        {
            "method": "fixed_sum",
            "annual_sek_by_municipality": {"2380": "1.00"},
            "neutrality": {"enabled": False},
        },
    )
    r = env.client.post("/v1/settlements", json=post, headers=env.admin)
    assert r.status_code == 409 and "2303" in r.json()["detail"]
    r = env.client.post("/v1/settlements", json={**post, "care_type": "eye"}, headers=env.admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "care_type"
    r = env.client.post("/v1/settlements", json=post, headers=env.token("finance_approver"))
    assert r.status_code == 403
    assert env.client.post("/v1/settlements", json=post).status_code == 401


def test_roles_on_writes(env: Env) -> None:
    env.listing.add(unit("R1", municipality="2303"))
    for role in ("finance_approver", "ops", "service", "provider"):
        h = env.token(role, hsa_ids=(R1,))
        assert (
            env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1}, h).status_code == 403
        )
        assert env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL, h).status_code == 403
        assert (
            env.put(
                f"/v1/accounts/{YEAR}/{R1}",
                {"costs_sek": "1.00", "other_revenue_sek": "1.00", "targeted_grants_sek": "1.00"},
                h,
            ).status_code
            == 403
        )
        assert env.client.get(f"/v1/models/{YEAR}", headers=h).status_code == 200


# --- who reads what -----------------------------------------------------------------------


def test_provider_reads_only_its_own_rows(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(
        f"/v1/models/{YEAR}",
        {**DEFICIT_MODEL, "neutrality": {"enabled": True, "scope": "municipality"}},
    )
    settled = settle(env)
    provider = env.token("provider", hsa_ids=(P2,))
    # Calculated, not approved: a provider reads nothing yet.
    assert env.client.get(f"/v1/settlements/{YEAR}", headers=provider).status_code == 404
    env.approve_settlement(settled)
    body = env.client.get(f"/v1/settlements/{YEAR}", headers=provider).json()
    (s,) = body["settlements"]
    assert s["view"] == "provider" and s["units"] == [] and s["status"] == "approved"
    assert s["created_by"] is None
    (scope,) = s["neutrality"]["scopes"]
    assert scope["scope"] == "2380" and [u["hsa_id"] for u in scope["units"]] == [P2]
    assert scope["rate_sek_per_person"] == "104.140631508789" and scope["region_listed"] == 48012
    assert (
        scope["total_compensation_sek"] == "5000000.00"
        and scope["units"][0]["amount_sek"] == "2499375.16"
    )
    # A provider of two units in two scopes sees both, and nothing else.
    s = env.client.get(
        f"/v1/settlements/{YEAR}", headers=env.token("provider", hsa_ids=(P1, P4))
    ).json()
    scopes = by(s["settlements"][0]["neutrality"]["scopes"], "scope")
    assert sorted(scopes) == ["2303", "2326"]
    assert [u["hsa_id"] for sc in scopes.values() for u in sc["units"]] == [P1, P4]
    # A region unit's own provider token sees its own unit row with its accounts.
    s = env.client.get(
        f"/v1/settlements/{YEAR}", headers=env.token("provider", hsa_ids=(R1,))
    ).json()
    assert [u["hsa_id"] for u in s["settlements"][0]["units"]] == [R1]
    # Fail closed: no units, or units not in any settlement, read nothing.
    for ids in ((), (hsa("ELSEWHERE"),)):
        r = env.client.get(f"/v1/settlements/{YEAR}", headers=env.token("provider", hsa_ids=ids))
        assert r.status_code == 404
    # Ops see totals only; finance sees everything.
    ops = env.client.get(f"/v1/settlements/{YEAR}", headers=env.token("ops")).json()["settlements"][
        0
    ]
    assert ops["view"] == "totals" and ops["units"] == [] and ops["neutrality"]["scopes"] == []
    assert ops["total_compensation_sek"] == "7025000.00"
    fin = env.client.get(f"/v1/settlements/{YEAR}", headers=env.token("finance_approver")).json()
    assert len(fin["settlements"][0]["units"]) == 2
    assert (
        env.client.get(f"/v1/settlements/{YEAR}", headers=env.token("service")).status_code == 403
    )


def test_writes_are_audited(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    settle(env)
    settle(env, expect=200)
    page = env.client.get("/v1/audit", headers=env.admin).json()
    actions = [e["action"] for e in page["items"]]
    assert actions.count("designation.put") == 2 and actions.count("account.put") == 2
    assert actions.count("model.created") == 1 and actions.count("settlement.create") == 1
    assert actions.count("model.approve") == 1
    assert {e["actor_sub"] for e in page["items"] if e["action"] == "model.approve"} == {
        "test:finance"
    }
    assert all(
        e["actor_sub"] == "test:admin" for e in page["items"] if e["action"] != "model.approve"
    )


def test_totals_are_sums_of_rows(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(
        f"/v1/models/{YEAR}", {**DEFICIT_MODEL, "neutrality": {"enabled": True, "scope": "region"}}
    )
    body = settle(env)
    assert D(body["total_compensation_sek"]) == sum(D(u["compensation_sek"]) for u in body["units"])
    (s,) = body["neutrality"]["scopes"]
    assert D(s["total_neutrality_sek"]) == sum(
        D(u["amount_sek"]) for u in s["units"] if u["amount_sek"]
    )


def test_roles_table(env: Env) -> None:
    """Every /v1 route declares its roles; the table is what the brief asks for."""
    from shared.auth import route_roles

    table = {(r.method, r.path): r.roles for r in route_roles(env.client.app)}  # type: ignore[arg-type]
    readers = {"region_admin", "finance_approver", "ops", "service", "provider"}
    expected = {
        ("PUT", "/v1/designations/{year}/{care_type}/{municipality_code}"): {"region_admin"},
        ("GET", "/v1/designations/{year}"): readers,
        ("PUT", "/v1/models/{year}"): {"region_admin"},
        ("GET", "/v1/models/{year}"): readers,
        ("POST", "/v1/models/{year}/versions/{version}/approve"): {"finance_approver"},
        ("POST", "/v1/settlements/{year}/versions/{version}/approve"): {"finance_approver"},
        ("PUT", "/v1/accounts/{year}/{hsa_id}"): {"region_admin"},
        ("GET", "/v1/accounts/{year}"): {"region_admin", "finance_approver"},
        ("GET", "/v1/accounts/{year}/{hsa_id}"): {"region_admin", "finance_approver"},
        ("POST", "/v1/settlements"): {"region_admin"},
        ("GET", "/v1/settlements/{year}"): {"region_admin", "finance_approver", "ops", "provider"},
    }
    for key, roles in expected.items():
        assert table[key] is not None and {r.value for r in table[key]} == roles, key
    assert all(roles is not None for (_, path), roles in table.items() if path.startswith("/v1"))
