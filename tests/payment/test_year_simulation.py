"""The year's what-if (issue 12, item 7): POST /v1/simulations {"year", "patch" | "model"}:
twelve months per unit and component, current against proposed on the same counts, a count
date not yet reached counted on the latest one that is, nothing stored."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from typing import Any

import pytest

from services.payment.domain.merge_patch import MAX_DEPTH, PatchTooDeep, merge_patch
from services.payment.domain.simulation import counted_on, delta_pct
from shared.period import CountDateRule, Period
from tests.payment.conftest import ADMIN, A, B, C, PaymentHarness, auth, example_model

CNI_UP = {"shares": {"capitation": "0.4", "cni": "0.4"}}


def _sim(h: PaymentHarness, **body: Any) -> Any:
    return h.client.post("/v1/simulations", json=body, headers=ADMIN)


def _counts_calls(h: PaymentHarness) -> list[str]:
    return [str(r.url.params["date"]) for r in h.listing.calls if r.url.path == "/v1/counts"]


def _figures(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["component"]: c for c in entry["components"]}


def _pct(delta: D, current: D) -> str:
    return str((delta * 100 / current).quantize(D("0.01"), rounding=ROUND_HALF_UP))


def test_a_patch_over_the_year_adds_up_the_twelve_single_months(harness: PaymentHarness) -> None:
    harness.put_model()
    r = _sim(harness, year=2026, patch=CNI_UP)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["basis"] == {"year": 2026, "version": 1, "rolled_over": False}
    assert body["proposed_model"]["shares"] == {
        "capitation": "0.4",
        "cni": "0.4",
        "sparsity": "0.2",
    }
    # the year adds up to the frame on both sides; a tenth of the frame moves to CNI
    total = body["total"]
    assert (total["current_sek"], total["proposed_sek"], total["delta_pct"]) == (
        "1000000.00",
        "1000000.00",
        "0.00",
    )
    comp = _figures(total)
    assert (comp["capitation"]["delta_sek"], comp["capitation"]["delta_pct"]) == (
        "-100000.00",
        "-20.00",
    )
    assert (comp["cni"]["delta_sek"], comp["cni"]["delta_pct"]) == ("100000.00", "33.33")
    assert comp["vat_compensation"]["delta_pct"] is None  # current 0: no percent
    # each unit's year is the sum of the one-month form's twelve months, to the öre
    units = {u["hsa_id"]: u for u in body["units"]}
    assert set(units) == {A, B, C}
    by_hand: dict[str, list[D]] = {h: [D(0), D(0)] for h in units}
    for month in range(1, 13):
        one = harness.client.post(
            "/v1/simulations",
            json={"period": f"2026-{month:02d}", "model": body["proposed_model"]},
            headers=ADMIN,
        ).json()
        for u in one["units"]:
            by_hand[u["hsa_id"]][0] += D(u["current_sek"])
            by_hand[u["hsa_id"]][1] += D(u["proposed_sek"])
    for h, u in units.items():
        assert [D(u["current_sek"]), D(u["proposed_sek"])] == by_hand[h]
        assert D(u["delta_sek"]) == D(u["proposed_sek"]) - D(u["current_sek"])
        assert u["delta_pct"] == _pct(D(u["delta_sek"]), D(u["current_sek"]))
        parts = _figures(u)
        assert sum(D(p["proposed_sek"]) for p in parts.values()) == D(u["proposed_sek"])
        assert sum(D(p["current_sek"]) for p in parts.values()) == D(u["current_sek"])
    for k, c in comp.items():  # the units add up to the total, per component
        assert sum(D(_figures(u)[k]["proposed_sek"]) for u in units.values()) == D(
            c["proposed_sek"]
        )
    # the months add up to the year; every count date of 2026 has come by 2026-12-01
    assert sum(D(m["proposed_sek"]) for m in body["months"]) == D("1000000.00")
    assert all(m["proposed"]["count_date_reached"] for m in body["months"])
    # nothing stored
    assert harness.client.get("/v1/runs", headers=ADMIN).json()["runs"] == []
    assert harness.client.get("/v1/models/2026", headers=ADMIN).json()["version"] == 1


def test_one_counts_read_per_distinct_count_date(harness: PaymentHarness) -> None:
    harness.put_model()
    before = len(_counts_calls(harness))
    assert _sim(harness, year=2026, patch=CNI_UP).status_code == 200
    calls = _counts_calls(harness)[before:]
    assert len(calls) == 12 == len(set(calls))  # both sides share each month's counts
    # a proposal counting on another day reads those days too, once each
    before = len(_counts_calls(harness))
    r = _sim(harness, year=2026, patch={"count_date_rule": "first_of_month"})
    calls = _counts_calls(harness)[before:]
    assert len(calls) == 24 == len(set(calls))
    march = r.json()["months"][2]
    assert (march["current"]["counted_on"], march["proposed"]["counted_on"]) == (
        "2026-02-28",
        "2026-03-01",
    )


def test_a_year_whose_count_dates_have_not_come_counts_on_the_latest_that_has(
    harness: PaymentHarness,
) -> None:
    harness.put_model()  # 2026 only: 2027 rolls it over
    before = len(_counts_calls(harness))
    r = _sim(harness, year=2027, patch={"annual_budget_sek": "1200000.00"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["basis"] == {"year": 2026, "version": 1, "rolled_over": True}
    assert body["proposed_model"]["effective_from"] is None
    # business date 2026-12-01: 2027-01 counts on 2026-12-31, not yet; the latest count date
    # that has come under the same rule is 2026-11-30 (December 2026's)
    for m in body["months"]:
        for side in (m["current"], m["proposed"]):
            assert side["counted_on"] == "2026-11-30" and side["count_date_reached"] is False
    assert body["months"][0]["proposed"]["count_date"] == "2026-12-31"
    assert body["months"][11]["proposed"]["count_date"] == "2027-11-30"
    assert _counts_calls(harness)[before:] == ["2026-11-30"]  # one read for all 24 months
    total = body["total"]
    assert (total["current_sek"], total["proposed_sek"], total["delta_pct"]) == (
        "1000000.00",
        "1200000.00",
        "20.00",
    )
    for u in body["units"]:
        assert D(u["proposed_sek"]) == pytest.approx(D(u["current_sek"]) * D("1.2"), abs=D("0.1"))


def test_a_proposal_from_july_leaves_january_to_june_alone(harness: PaymentHarness) -> None:
    harness.put_model()
    r = _sim(harness, year=2026, patch={**CNI_UP, "effective_from": "2026-07"})
    assert r.status_code == 200, r.text
    months = r.json()["months"]
    for m in months[:6]:
        assert m["delta_sek"] == "0.00" and m["proposed"]["model_version"] == 1
    assert all(m["proposed"]["model_version"] is None for m in months[6:])
    # from July the proposal spreads what is left of its annual amounts over July to December,
    # so the year still reaches its annual amounts: capitation 400 000 of the frame, not 500 000
    body = r.json()
    assert body["total"]["proposed_sek"] == "1000000.00"
    assert _figures(body["total"])["capitation"]["proposed_sek"] == "400000.00"
    assert all(u["delta_sek"] != "0.00" for u in body["units"])


def test_vat_compensation_patched_in_is_its_own_component(harness: PaymentHarness) -> None:
    harness.put_model()
    body = _sim(harness, year=2026, patch={"vat_compensation": {"rate": "0.06"}}).json()
    vat = _figures(body["total"])["vat_compensation"]
    assert (vat["current_sek"], vat["proposed_sek"], vat["delta_pct"]) == (
        "0.00",
        "60000.00",  # every test unit is private: 6 % of the frame, on top of it
        None,
    )
    assert body["total"]["delta_pct"] == "6.00"


def test_a_full_model_without_any_current(harness: PaymentHarness) -> None:
    r = _sim(harness, year=2030, model=example_model())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["basis"] is None and body["total"]["current_sek"] is None
    assert body["total"]["proposed_sek"] == "1000000.00"
    assert all(u["delta_sek"] is None and u["delta_pct"] is None for u in body["units"])
    assert all(m["current"] is None for m in body["months"])
    assert _sim(harness, year=2030, patch=CNI_UP).status_code == 404  # nothing to patch


def test_a_draft_only_year_has_nothing_to_patch(harness: PaymentHarness) -> None:
    harness.put_model(approve=False)
    r = _sim(harness, year=2026, patch=CNI_UP)
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("patch", "fields"),
    [
        ({"shares": {"capitation": "0.6"}}, ["patch.shares"]),  # sums to 1.1
        ({"accounting": {"dimension": 0}}, ["patch.accounting.dimension"]),
        ({"colour": "red"}, ["patch.colour"]),
        ({"cni": None}, ["patch.cni"]),  # null removes a required member
        ({"effective_from": "2025-03"}, ["patch.effective_from"]),
        ({"age_weights": [{"from_age": 1, "to_age": None, "weight": "1"}]}, ["patch.age_weights"]),
    ],
)
def test_a_patch_making_an_invalid_model_is_a_422_naming_the_field(
    harness: PaymentHarness, patch: dict[str, Any], fields: list[str]
) -> None:
    harness.put_model()
    r = _sim(harness, year=2026, patch=patch)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == fields


def test_the_forms_are_told_apart_naming_the_field(harness: PaymentHarness) -> None:
    harness.put_model()
    model = example_model()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"year": 2026}, "patch"),
        ({"year": 2026, "patch": CNI_UP, "model": model}, "patch"),
        ({"period": "2026-03"}, "model"),
        ({"period": "2026-03", "year": 2026, "model": model}, "year"),
        ({"period": "2026-03", "patch": CNI_UP}, "patch"),
        ({"patch": CNI_UP}, "year"),
        ({"year": 1999, "patch": CNI_UP}, "year"),
        ({"year": 2026, "patch": [1]}, "patch"),  # a patch is an object here
    ]
    for body, field in cases:
        r = _sim(harness, **body)
        assert r.status_code == 422, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (body, r.json())
    deep: dict[str, Any] = {}
    for _ in range(MAX_DEPTH + 5):
        deep = {"cni": deep}
    r = _sim(harness, year=2026, patch=deep)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "patch"
    assert (
        harness.client.post(
            "/v1/simulations", json={"year": 2026, "patch": CNI_UP}, headers=auth("ops")
        ).status_code
        == 403
    )


# --- the pure rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [  # RFC 7396, appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_is_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    before = repr(target)
    assert merge_patch(target, patch) == result
    assert repr(target) == before  # the target is not changed


def test_merge_patch_depth_is_bounded() -> None:
    deep: dict[str, Any] = {}
    for _ in range(MAX_DEPTH - 1):
        deep = {"a": deep}
    merge_patch({}, deep)  # MAX_DEPTH nested objects are fine
    with pytest.raises(PatchTooDeep):
        merge_patch({}, {"a": deep})


def test_counted_on_and_delta_pct() -> None:
    today = Period(2026, 12).first_day
    rule = CountDateRule.last_day_prev_month
    assert str(counted_on(Period(2026, 12), rule, today=today)) == "2026-11-30"
    assert str(counted_on(Period(2027, 6), rule, today=today)) == "2026-11-30"
    first = CountDateRule.first_of_month
    assert str(counted_on(Period(2027, 1), first, today=today)) == "2026-12-01"
    last = CountDateRule.last_day_of_month
    assert str(counted_on(Period(2026, 12), last, today=today)) == "2026-11-30"
    assert delta_pct(300, 400) == D("33.33") and delta_pct(3, 2) == D("-33.33")
    assert delta_pct(200, 201) == D("0.50")  # half up
    assert str(delta_pct(10**9, 10**9 - 1)) == "0.00"  # never -0.00
    assert delta_pct(0, 5) is None


def test_the_answer_reads_in_order(harness: PaymentHarness) -> None:
    """Names first, then the figures: as the README shows the answer."""
    harness.put_model()
    body = _sim(harness, year=2026, patch=CNI_UP).json()
    assert list(body["units"][0])[:3] == ["hsa_id", "unit_name", "current_sek"]
    assert list(body["total"]["components"][0])[:2] == ["component", "current_sek"]
    assert list(body["months"][0])[:2] == ["period", "current_sek"]


def test_a_patch_onto_a_mid_year_version_keeps_its_effective_from(
    harness: PaymentHarness,
) -> None:
    harness.put_model()
    harness.put_model(annual_budget_sek="1200000.00", effective_from="2026-07")  # version 2
    body = _sim(harness, year=2026, patch=CNI_UP).json()
    assert body["basis"] == {"year": 2026, "version": 2, "rolled_over": False}
    assert body["proposed_model"]["effective_from"] == "2026-07"
    months = body["months"]
    assert [m["current"]["model_version"] for m in months] == [1] * 6 + [2] * 6
    assert [m["proposed"]["model_version"] for m in months] == [1] * 6 + [None] * 6
    assert all(m["delta_sek"] == "0.00" for m in months[:6])
    # the year reaches the annual amounts of the version in force in December on both sides
    assert body["total"]["current_sek"] == body["total"]["proposed_sek"] == "1200000.00"
    # "effective_from": null removes it: the proposal governs from January
    from_january = _sim(harness, year=2026, patch={**CNI_UP, "effective_from": None}).json()
    assert all(m["proposed"]["model_version"] is None for m in from_january["months"])
