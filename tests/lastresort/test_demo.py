"""The demo loader against the app and fake peers: all municipalities covered, idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
import pytest

from services.lastresort import demo
from tests.lastresort.conftest import JAMTLAND, YEAR, Env, hsa, unit


def test_demo_designates_settles_and_is_idempotent(env: Env) -> None:
    totals: dict[str, str] = {}
    for i, code in enumerate(JAMTLAND):
        env.listing.add(unit(f"R{code}", municipality=code), 1000 + i)
        env.listing.add(unit(f"P{code}", municipality=code, ownership="private"), 400)
        totals[hsa(f"R{code}")] = "2000000.00"
        if code != "2326":  # one municipality without a region dental clinic
            env.listing.add(unit(f"D{code}", municipality=code, care_type="dental"), 300)
    env.listing.add(unit("Rold", municipality="2303", active_to="2024-12-31"), 0)
    env.payment.approve_year(totals)
    transports = {
        "listing": httpx.MockTransport(env.listing.handler),
        "payment": httpx.MockTransport(env.payment.handler),
        "lastresort": env.client._transport,
    }
    demo.load(env.settings, transports=transports)

    body = env.client.get("/v1/designations/2026", headers=env.admin).json()
    assert len(body["designations"]) == 8 + 7
    assert [(m["care_type"], m["municipality_code"]) for m in body["missing"]] == [
        ("dental", "2326")
    ]
    assert hsa("Rold") not in {d["hsa_id"] for d in body["designations"]}
    settled = env.client.get("/v1/settlements/2026", headers=env.admin).json()["settlements"]
    by_type = {s["care_type"]: s for s in settled}
    primary = {u["municipality_code"]: u for u in by_type["primary"]["units"]}
    # Accounts are built around the revenue: deficit = the intended one (2303: 2 100 000), and the
    # 6 500 000 of Åre (2321) is capped at 5 000 000; Berg (2326) runs a surplus.
    assert primary["2303"]["halsoval_revenue_sek"] == "24000000.00"
    assert primary["2303"]["deficit_sek"] == "2100000.00" == primary["2303"]["compensation_sek"]
    assert primary["2321"]["compensation_sek"] == "5000000.00"
    assert (
        primary["2326"]["deficit_sek"] == "-500000.00"
        and primary["2326"]["compensation_sek"] == "0.00"
    )
    assert by_type["dental"]["model"]["method"] == "fixed_sum"
    assert by_type["primary"]["neutrality"]["scope"] == "municipality"

    audit_before = env.client.get("/v1/audit?limit=500", headers=env.admin).json()["items"]
    demo.load(env.settings, transports=transports)
    audit_after = env.client.get("/v1/audit?limit=500", headers=env.admin).json()["items"]
    assert len(audit_after) == len(audit_before)


def test_before_the_years_last_count_date_the_demo_leaves_it_unsettled_and_says_so(
    make_env: Callable[..., Env], capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(today=dt.date(YEAR, 12, 1))  # the payment demo's year is YEAR already
    for code in JAMTLAND:
        env.listing.add(unit(f"R{code}", municipality=code), 1000)
    env.payment.approve_year({hsa(f"R{code}"): "2000000.00" for code in JAMTLAND})
    transports = {
        "listing": httpx.MockTransport(env.listing.handler),
        "payment": httpx.MockTransport(env.payment.handler),
        "lastresort": env.client._transport,
    }
    demo.load(env.settings, transports=transports)
    assert len(env.client.get(f"/v1/designations/{YEAR}", headers=env.admin).json()["designations"])
    assert env.client.get(f"/v1/settlements/{YEAR}", headers=env.admin).status_code == 404
    assert f"it can be settled from {YEAR}-12-31" in capsys.readouterr().out
