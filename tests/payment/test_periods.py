"""GET /v1/periods and POST /v1/periods/{period}/preview (issue 11, item 5): stale approved
months found from the followed listing feed, and what a re-run would pay, storing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from services.payment.db.models import audit_log, payment_run, payment_statement
from shared.db import make_engine
from tests.payment.conftest import (
    ADMIN,
    FINANCE,
    A,
    B,
    C,
    PaymentHarness,
    auth,
    count_json,
    unit_json,
)

D = dt.date
# Count dates of 2026-01..06 under last_day_prev_month.
COUNT_DATES = {
    "2026-01": "2025-12-31",
    "2026-02": "2026-01-31",
    "2026-03": "2026-02-28",
    "2026-04": "2026-03-31",
    "2026-05": "2026-04-30",
    "2026-06": "2026-05-31",
}
CHANGED = [
    count_json(A, {30: 3, 70: 1}, {"2380C1010": 4}),
    count_json(B, {80: 2, 30: 1}, {"2380C1010": 1, None: 1, "2380A0020": 1}),
    count_json(C, {10: 1}, {"2380A0020": 1}),
]


def _approved_half_year(h: PaymentHarness) -> dict[str, str]:
    assert h.put_model().status_code == 201
    runs = {}
    for period in COUNT_DATES:
        run = h.run(period)
        assert run.status_code == 201, run.text
        assert h.approve(run.json()["run_id"]).status_code == 200
        runs[period] = run.json()["run_id"]
    return runs


def _periods(h: PaymentHarness, year: int = 2026, headers: dict[str, str] = ADMIN) -> Any:
    r = h.client.get(f"/v1/periods?year={year}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _stale(h: PaymentHarness) -> dict[str, list[dict[str, Any]]]:
    """period → reasons, for the stale periods only."""
    return {p["period"]: p["reasons"] for p in _periods(h)["periods"] if p["stale"]}


def _rows(h: PaymentHarness) -> tuple[int, int, int]:
    engine = make_engine(h.url)
    with engine.connect() as conn:
        counts = tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (payment_run, payment_statement, audit_log)
        )
    engine.dispose()
    return counts  # type: ignore[return-value]


def test_every_period_of_the_year_in_order_with_its_versions(harness: PaymentHarness) -> None:
    runs = _approved_half_year(harness)
    v2 = harness.run("2026-06")  # unchanged: no new version
    assert v2.status_code == 200
    body = _periods(harness)
    assert body["year"] == 2026 and body["model_version"] == 1
    assert body["feed"]["current"] is True and body["feed"]["cursor"] == 0
    periods = body["periods"]
    assert [p["period"] for p in periods] == [f"2026-{m:02d}" for m in range(1, 13)]
    first = periods[0]
    assert first["count_date"] == "2025-12-31" and first["can_run"] is True
    assert first["latest_version"] == {
        "version": 1,
        "status": "approved",
        "run_id": runs["2026-01"],
    }
    approved = first["approved_version"]
    assert (approved["version"], approved["run_id"], approved["model_version"]) == (
        1,
        runs["2026-01"],
        1,
    )
    assert approved["count_date"] == "2025-12-31" and approved["total_sek"] == "83333.34"
    assert (first["stale"], first["reasons"]) == (False, [])
    never = periods[8]  # 2026-09: never run
    assert never["latest_version"] is None and never["approved_version"] is None
    assert (never["stale"], never["reasons"], never["count_date"]) == (False, [], "2026-08-31")
    # the business date is 2026-12-01: 2026-12 (counting on 2026-11-30) can run, 2027-01 not
    assert periods[11]["can_run"] is True
    assert harness.put_model(2027).status_code == 201
    jan = _periods(harness, 2027)["periods"][0]
    assert (jan["count_date"], jan["can_run"]) == ("2026-12-31", False)


def test_a_year_without_a_model_has_periods_without_count_dates(harness: PaymentHarness) -> None:
    body = _periods(harness, 2031)
    assert body["model_version"] is None
    assert {(p["count_date"], p["can_run"], p["stale"]) for p in body["periods"]} == {
        (None, False, False)
    }


def test_a_back_dated_listing_change_makes_exactly_the_covered_period_stale(
    harness: PaymentHarness,
) -> None:
    _approved_half_year(harness)
    # a listing from 2026-03-15 ended 2026-04-10: it can change the count of 2026-03-31 only
    harness.listing.change(affects_from=D(2026, 3, 15), affects_to=D(2026, 4, 10))
    assert _stale(harness) == {"2026-04": [{"kind": "listings", "changes": 1}]}
    # the same for dental care or a count date outside the range: nothing more
    harness.listing.change(affects_from=D(2026, 1, 1), care_type="dental")
    harness.listing.change(affects_from=D(2026, 6, 1))  # after every approved count date
    assert _stale(harness) == {"2026-04": [{"kind": "listings", "changes": 1}]}


def test_a_register_change_open_ended_makes_every_later_period_stale(
    harness: PaymentHarness,
) -> None:
    _approved_half_year(harness)
    harness.listing.change(
        "register_changed", affects_from=D(2026, 2, 1), care_type=None, persons=214
    )
    one = [{"kind": "listings", "changes": 1}]
    assert _stale(harness) == dict.fromkeys(("2026-03", "2026-04", "2026-05", "2026-06"), one)


def test_a_unit_change_covering_the_count_date_is_a_units_reason(harness: PaymentHarness) -> None:
    _approved_half_year(harness)
    harness.listing.edit_unit(unit_json(A, "30"), effective_from=D(2026, 4, 1))
    harness.listing.change(affects_from=D(2026, 5, 1))
    assert _stale(harness) == {
        "2026-05": [{"kind": "units", "changes": 1}],
        "2026-06": [{"kind": "listings", "changes": 1}, {"kind": "units", "changes": 1}],
    }


def test_a_new_model_version_makes_the_years_approved_periods_stale(
    harness: PaymentHarness,
) -> None:
    _approved_half_year(harness)
    r = harness.put_model(annual_budget_sek="1200000.00")
    assert r.json()["outcome"] == "new_version" and r.json()["version"] == 2
    assert _stale(harness) == {p: [{"kind": "model", "version": 2}] for p in COUNT_DATES}
    assert _periods(harness)["model_version"] == 2


def test_a_re_run_and_its_approval_clear_staleness(harness: PaymentHarness) -> None:
    _approved_half_year(harness)
    harness.listing.change(affects_from=D(2026, 3, 1), affects_to=D(2026, 3, 31))
    harness.listing.set_counts(CHANGED)
    assert list(_stale(harness)) == ["2026-04"]
    v2 = harness.run("2026-04")
    assert v2.status_code == 201 and v2.json()["version"] == 2
    april = _periods(harness)["periods"][3]
    # still stale until approved: the approved version is v1, the latest v2 (calculated)
    assert april["stale"] is True and april["approved_version"]["version"] == 1
    assert april["latest_version"]["version"] == 2
    assert april["latest_version"]["status"] == "calculated"
    assert harness.approve(v2.json()["run_id"]).status_code == 200
    assert _stale(harness) == {}


def test_a_re_run_that_finds_nothing_to_change_clears_staleness(harness: PaymentHarness) -> None:
    _approved_half_year(harness)
    harness.listing.change(affects_from=D(2026, 3, 1))  # a change that moves no count
    assert set(_stale(harness)) == {"2026-04", "2026-05", "2026-06"}
    again = harness.run("2026-05")
    assert again.status_code == 200 and again.json()["unchanged"] is True
    assert set(_stale(harness)) == {"2026-04", "2026-06"}
    may = _periods(harness)["periods"][4]["approved_version"]
    assert may["confirmed_as_known_at"] is not None
    assert may["confirmed_as_known_at"] > may["as_known_at"]
    # a change recorded after the confirmation makes it stale again
    harness.listing.change(affects_from=D(2026, 4, 1))
    assert "2026-05" in _stale(harness)


def test_the_preview_equals_what_the_re_run_then_stores_and_stores_nothing(
    harness: PaymentHarness,
) -> None:
    _approved_half_year(harness)
    harness.listing.change(affects_from=D(2026, 3, 1), affects_to=D(2026, 3, 31))
    harness.listing.set_counts(CHANGED)
    before = _rows(harness)
    r = harness.client.post("/v1/periods/2026-04/preview", headers=ADMIN)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert _rows(harness) == before  # no run, no statement, no audit row
    assert preview["period"] == "2026-04" and preview["count_date"] == "2026-03-31"
    assert preview["model_version"] == 1 and preview["unchanged"] is False
    assert preview["compared_with"]["version"] == 1
    assert preview["compared_with"]["status"] == "approved"
    assert preview["stale"] is True
    assert preview["reasons"] == [{"kind": "listings", "changes": 1}]
    units = {u["hsa_id"]: u for u in preview["units"]}
    assert sorted(units) == [A, B, C]
    for u in units.values():  # exact decimals that add up
        assert Decimal(u["new_sek"]) - Decimal(u["previous_sek"]) == Decimal(u["delta_sek"])
    assert sum(Decimal(u["new_sek"]) for u in units.values()) == Decimal(preview["new_total_sek"])
    assert sum(Decimal(u["previous_sek"]) for u in units.values()) == Decimal(
        preview["previous_total_sek"]
    )
    assert Decimal(preview["new_total_sek"]) - Decimal(preview["previous_total_sek"]) == Decimal(
        preview["delta_sek"]
    )
    assert units[B]["delta_sek"] != "0.00"  # B gained a person
    # the re-run stores exactly what the preview said
    run = harness.run("2026-04")
    assert run.status_code == 201, run.text
    assert run.json()["total_sek"] == preview["new_total_sek"]
    assert run.json()["delta_sek"] == preview["delta_sek"]
    assert run.json()["undistributed_sek"] == preview["new_undistributed_sek"]
    assert run.json()["as_known_at"] == preview["as_known_at"]
    stored = harness.client.get("/v1/statements?period=2026-04&version=2", headers=ADMIN).json()
    assert {s["hsa_id"]: s["total_sek"] for s in stored["statements"]} == {
        h: u["new_sek"] for h, u in units.items()
    }
    assert {s["hsa_id"]: s["delta_sek"] for s in stored["statements"]} == {
        h: u["delta_sek"] for h, u in units.items()
    }
    # now the latest is v2 (calculated); the preview still compares with the approved v1,
    # and says a re-run would be unchanged
    again = harness.client.post("/v1/periods/2026-04/preview", headers=ADMIN).json()
    assert again["unchanged"] is True and again["compared_with"]["version"] == 1


def test_a_preview_of_a_period_never_run_has_no_previous(harness: PaymentHarness) -> None:
    harness.put_model()
    r = harness.client.post("/v1/periods/2026-09/preview", headers=ADMIN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["compared_with"] is None and body["previous_total_sek"] is None
    assert body["delta_sek"] is None and body["unchanged"] is False
    assert {(u["previous_sek"], u["delta_sek"]) for u in body["units"]} == {(None, None)}
    assert _rows(harness)[0] == 0
    assert harness.run("2026-09").json()["total_sek"] == body["new_total_sek"]


def test_the_preview_is_refused_like_a_run(harness: PaymentHarness) -> None:
    r = harness.client.post("/v1/periods/2026-03/preview", headers=ADMIN)
    assert r.status_code == 404 and "no payment model for 2026" in r.json()["detail"]
    assert harness.put_model(2027).status_code == 201
    r = harness.client.post("/v1/periods/2027-01/preview", headers=ADMIN)
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == "period 2027-01 counts on 2026-12-31; it can run from 2026-12-31"
    assert not [c for c in harness.listing.calls if c.url.path == "/v1/counts"]


def test_the_feed_being_away_still_answers_periods_and_says_so(harness: PaymentHarness) -> None:
    _approved_half_year(harness)
    harness.listing.change(affects_from=D(2026, 3, 15), affects_to=D(2026, 4, 10))
    assert list(_stale(harness)) == ["2026-04"]
    followed = _periods(harness)["feed"]
    harness.listing.change(affects_from=D(2026, 1, 1))  # not followed while the feed is away
    harness.listing.down = True
    body = _periods(harness)
    assert body["feed"]["current"] is False and "listing" in body["feed"]["detail"]
    assert body["feed"]["cursor"] == followed["cursor"] == 1
    assert body["feed"]["followed_at"] == followed["followed_at"]
    assert [p["period"] for p in body["periods"] if p["stale"]] == ["2026-04"]
    harness.listing.down = False
    assert _periods(harness)["feed"]["current"] is True
    # the change from 2026-01-01 covers every count date but 2025-12-31
    assert sorted(_stale(harness)) == sorted(set(COUNT_DATES) - {"2026-01"})


@pytest.mark.parametrize("query", ["", "?year=1999", "?year=2101", "?year=twenty", "?year=2026-01"])
def test_a_bad_year_is_422_naming_it(harness: PaymentHarness, query: str) -> None:
    r = harness.client.get(f"/v1/periods{query}", headers=ADMIN)
    assert r.status_code == 422, r.text
    assert "year" in r.text


@pytest.mark.parametrize("period", ["2026-13", "1999-12", "2026-1", "２０２６-01"])
def test_a_bad_period_to_preview_is_422(harness: PaymentHarness, period: str) -> None:
    harness.put_model()
    r = harness.client.post(f"/v1/periods/{period}/preview", headers=ADMIN)
    assert r.status_code == 422, r.text


def test_who_may_read_periods_and_preview(harness: PaymentHarness) -> None:
    harness.put_model()
    for role in ("region_admin", "finance_approver", "ops", "service"):
        assert harness.client.get("/v1/periods?year=2026", headers=auth(role)).status_code == 200
    provider = auth("provider", hsa_ids=[A])
    assert harness.client.get("/v1/periods?year=2026", headers=provider).status_code == 403
    for headers in (FINANCE, auth("ops"), provider):
        r = harness.client.post("/v1/periods/2026-03/preview", headers=headers)
        assert r.status_code == 403
    assert harness.client.get("/v1/periods?year=2026").status_code == 401
