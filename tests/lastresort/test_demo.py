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
    # Four eyes: demo:admin wrote models and settlements, demo:finance approved them.
    models = env.client.get("/v1/models/2026", headers=env.admin).json()["versions"]
    assert {(v["status"], v["written_by"], v["approved_by"]) for v in models} == {
        ("approved", "demo:admin", "demo:finance")
    }
    assert {(s["status"], s["approved_by"]) for s in settled} == {("approved", "demo:finance")}
    assert len(by_type["primary"]["neutrality"]["count_dates"]) == 12

    audit_before = env.client.get("/v1/audit?limit=500", headers=env.admin).json()["items"]
    demo.load(env.settings, transports=transports)
    audit_after = env.client.get("/v1/audit?limit=500", headers=env.admin).json()["items"]
    assert len(audit_after) == len(audit_before)


def test_on_1_december_the_demo_settles_the_last_completed_year_and_says_what_it_lacks(
    make_env: Callable[..., Env], capsys: pytest.CaptureFixture[str]
) -> None:
    """On 2026-12-01 the last completed year is 2025; without its approved payment runs the
    demo designates and sets its models, leaves it unsettled and says why."""
    env = make_env(today=dt.date(YEAR, 12, 1))
    for code in JAMTLAND:
        env.listing.add(unit(f"R{code}", municipality=code), 1000)
    env.payment.approve_year({hsa(f"R{code}"): "2000000.00" for code in JAMTLAND})  # 2026's
    transports = {
        "listing": httpx.MockTransport(env.listing.handler),
        "payment": httpx.MockTransport(env.payment.handler),
        "lastresort": env.client._transport,
    }
    demo.load(env.settings, transports=transports)
    last = YEAR - 1
    assert demo.demo_year(env.settings) == last
    assert len(env.client.get(f"/v1/designations/{last}", headers=env.admin).json()["designations"])
    assert env.client.get(f"/v1/settlements/{last}", headers=env.admin).status_code == 404
    out = capsys.readouterr().out
    assert f"primary {last} not settled: payment periods without an approved run: {last}-01" in out
