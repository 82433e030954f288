"""GET /v1/periods takes each period's count date from the approved version in force for it,
not from the year's newest version (which may be a draft that pays nothing)."""

from __future__ import annotations

from typing import Any

from tests.payment.conftest import ADMIN, PaymentHarness


def _periods(h: PaymentHarness) -> list[dict[str, Any]]:
    r = h.client.get("/v1/periods?year=2026", headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["periods"])


def test_a_draft_neither_dates_nor_opens_a_period(harness: PaymentHarness) -> None:
    harness.put_model(approve=False)
    assert {(p["count_date"], p["can_run"]) for p in _periods(harness)} == {(None, False)}
    assert harness.run("2026-03").status_code == 409  # as can_run says


def test_count_dates_follow_the_version_in_force(harness: PaymentHarness) -> None:
    harness.put_model()  # version 1: last_day_prev_month, approved
    harness.put_model(approve=False, count_date_rule="first_of_month")  # version 2: a draft
    periods = _periods(harness)
    assert periods[3]["count_date"] == "2026-03-31"  # version 1's rule, not the draft's
    assert periods[0]["count_date"] == "2025-12-31"
    # approved from July, version 2's rule dates July to December only
    harness.put_model(count_date_rule="first_of_month", effective_from="2026-07")
    periods = _periods(harness)
    assert [p["count_date"] for p in periods[5:8]] == ["2026-05-31", "2026-07-01", "2026-08-01"]
    assert periods[11] == {**periods[11], "count_date": "2026-12-01", "can_run": True}
