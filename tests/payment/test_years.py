"""Issue 12, items 2 and 3 over HTTP: versions effective from a period, the year adding up to
the frame exactly (GET /v1/years/{year}), stale months only from a version's effective_from,
and VAT compensation for private units only."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.payment.conftest import (
    ADMIN,
    FINANCE,
    A,
    B,
    C,
    FakeListing,
    PaymentHarness,
    auth,
    count_json,
    unit_json,
)

# 1/3-ish shares of an odd frame: each component's annual amount rounded on its own gives
# 333 333.34 + 333 333.34 + 333 333.34 = 1 000 000.02 of 1 000 000.01, the largest remainder
# gives exactly the frame.
ODD = {"capitation": "0.333334", "cni": "0.333333", "sparsity": "0.333333"}


def _run_and_approve(h: PaymentHarness, months: range) -> None:
    for m in months:
        run = h.run(f"2026-{m:02d}")
        assert run.status_code in (200, 201), run.text
        if run.json()["status"] != "approved":
            assert h.approve(run.json()["run_id"]).status_code == 200


def _year(h: PaymentHarness) -> dict[str, Any]:
    r = h.client.get("/v1/years/2026", headers=FINANCE)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_year_adds_up_to_the_frame_exactly_and_says_why_not_before(
    harness: PaymentHarness,
) -> None:
    harness.put_model(annual_budget_sek="1000000.01", shares=ODD)
    _run_and_approve(harness, range(1, 7))
    half = _year(harness)
    assert half["total"]["frame_sek"] == "1000000.01"
    assert not half["total"]["adds_up"]
    why = {w["kind"]: w for w in half["total"]["why"]}
    assert set(why) == {"not_approved"}
    assert why["not_approved"]["periods"] == [f"2026-{m:02d}" for m in range(7, 13)]
    assert Decimal(why["not_approved"]["sek"]) == Decimal(half["total"]["difference_sek"])
    _run_and_approve(harness, range(7, 13))
    year = _year(harness)
    assert year["total"]["adds_up"] and year["total"]["difference_sek"] == "0.00"
    assert year["total"]["distributed_sek"] == "1000000.01"
    frames = [Decimal(c["frame_sek"]) for c in year["components"]]
    assert sum(frames) == Decimal("1000000.01")  # whole-öre annual amounts, largest remainder
    assert all(c["adds_up"] for c in year["components"])
    for c in year["components"]:
        paid = sum(
            Decimal(pc["distributed_sek"])
            for p in year["periods"]
            for pc in p["components"]
            if pc["component"] == c["component"]
        )
        assert paid == Decimal(c["frame_sek"])
    assert [p["approved_version"] for p in year["periods"]] == [1] * 12


def test_a_version_effective_from_july_leaves_january_to_june_alone(
    harness: PaymentHarness,
) -> None:
    harness.put_model(annual_budget_sek="1000000.00")
    _run_and_approve(harness, range(1, 13))
    before = _year(harness)
    # the budget is raised from July; a draft changes nothing yet
    draft = harness.put_model(
        approve=False, annual_budget_sek="1200000.01", shares=ODD, effective_from="2026-07"
    )
    assert draft.status_code == 201 and draft.json()["effective_from"] == "2026-07"
    periods = harness.client.get("/v1/periods?year=2026", headers=ADMIN).json()["periods"]
    assert not any(p["stale"] for p in periods)
    assert harness.approve_model(2026, 2).status_code == 200
    periods = harness.client.get("/v1/periods?year=2026", headers=ADMIN).json()["periods"]
    stale = [p["period"] for p in periods if p["stale"]]
    assert stale == [f"2026-{m:02d}" for m in range(7, 13)]
    year = _year(harness)
    assert year["model_version"] == 2 and year["total"]["frame_sek"] == "1200000.01"
    why = {w["kind"]: w for w in year["total"]["why"]}
    assert why["other_version"]["periods"] == stale
    # January to June: unchanged by the re-runs; July to December pay the rest of version 2
    _run_and_approve(harness, range(1, 13))
    after = _year(harness)
    assert after["total"]["adds_up"], after["total"]
    assert all(c["adds_up"] for c in after["components"])
    for m in range(6):
        assert after["periods"][m]["approved_run_id"] == before["periods"][m]["approved_run_id"]
        assert after["periods"][m]["approved_model_version"] == 1
    assert {p["approved_model_version"] for p in after["periods"][6:]} == {2}
    july = {c["component"]: c for c in after["periods"][6]["components"]}
    # capitation in July: what is left of v2's annual amount after v1's January to June,
    # spread over six months: R(rest × 1/6)
    frame = next(c for c in after["components"] if c["component"] == "capitation")["frame_sek"]
    given = sum(
        Decimal(c["pool_sek"])
        for p in after["periods"][:6]
        for c in p["components"]
        if c["component"] == "capitation"
    )
    rest = Decimal(frame) - given
    assert Decimal(july["capitation"]["pool_sek"]) == (rest / 6).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def test_a_version_that_takes_back_what_was_given_is_refused(harness: PaymentHarness) -> None:
    harness.put_model(annual_budget_sek="1000000.00")
    harness.put_model(approve=False, annual_budget_sek="100000.00", effective_from="2026-12")
    r = harness.approve_model(2026, 2)
    assert r.status_code == 409 and "less than the months before" in r.json()["detail"]


def test_the_year_view_is_for_finance_admin_and_ops(harness: PaymentHarness) -> None:
    assert harness.client.get("/v1/years/2026", headers=FINANCE).status_code == 404
    harness.put_model(approve=False)
    r = harness.client.get("/v1/years/2026", headers=FINANCE)
    assert r.status_code == 409 and "approved" in r.json()["detail"]
    harness.approve_model(2026, 1)
    for who in (FINANCE, ADMIN, auth("ops")):
        assert harness.client.get("/v1/years/2026", headers=who).status_code == 200
    provider = auth("provider", hsa_ids=[A])
    assert harness.client.get("/v1/years/2026", headers=provider).status_code == 403


def _mixed_units() -> FakeListing:
    """A and B private, C the region's own."""
    region = {**unit_json(C, "10"), "ownership": "region"}
    fake = FakeListing(units=[unit_json(A, "120"), unit_json(B, "40"), region])
    fake.set_counts(
        [
            count_json(A, {30: 3, 70: 1}, {"2380C1010": 4}),
            count_json(B, {80: 2}, {"2380C1010": 1, None: 1}),
            count_json(C, {10: 1}, {"2380A0020": 1}),
        ]
    )
    return fake


def test_vat_compensation_for_private_units_only_on_top_of_the_frame(make_harness: Any) -> None:
    h: PaymentHarness = make_harness(_mixed_units())
    h.put_model(vat_compensation={"rate": "0.06"})
    run = h.run("2026-03")
    assert run.status_code == 201, run.text
    assert h.approve(run.json()["run_id"]).status_code == 200
    statements = h.client.get("/v1/statements?period=2026-03", headers=FINANCE).json()
    assert "statements" in statements, statements
    vat_total = Decimal(0)
    for s in statements["statements"]:
        lines = {ln["component"]: ln for ln in s["lines"]}
        pooled = sum(
            Decimal(ln["amount_sek"]) for k, ln in lines.items() if k != "vat_compensation"
        )
        if s["hsa_id"] == C:
            assert "vat_compensation" not in lines  # the region's own unit
            continue
        vat = lines["vat_compensation"]
        expected = (pooled * Decimal("0.06")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert Decimal(vat["amount_sek"]) == expected > 0
        assert Decimal(s["total_sek"]) == pooled + expected
        vat_total += expected
    # the pools are the frame's; VAT is paid on top and counted apart in the year view
    assert run.json()["pool_sek"] == "83333.34"
    year = _year(h)
    assert Decimal(year["vat_compensation_sek"]) == vat_total
    assert Decimal(year["periods"][2]["vat_compensation_sek"]) == vat_total
    march = year["periods"][2]["components"]
    assert sum(Decimal(c["pool_sek"]) for c in march) == Decimal("83333.34")


def test_the_vat_line_prints_in_swedish(make_harness: Any) -> None:
    h: PaymentHarness = make_harness(_mixed_units())
    h.put_model(vat_compensation={"rate": "0.06"})
    run = h.run("2026-03").json()
    h.approve(run["run_id"])
    listed = h.client.get(f"/v1/statements?period=2026-03&hsa_id={A}", headers=FINANCE).json()
    sid = listed["statements"][0]["statement_id"]
    csv = h.client.get(f"/v1/statements/{sid}", headers={**FINANCE, "Accept": "text/csv"})
    assert csv.status_code == 200 and ";vat_compensation;" in csv.text  # ids, as every line
    pdf = h.client.get(f"/v1/statements/{sid}", headers={**FINANCE, "Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
