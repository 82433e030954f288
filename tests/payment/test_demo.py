"""The demo loader: a valid model, two years of approved months, January to November paid,
and a second load changes nothing."""

from __future__ import annotations

from decimal import Decimal

from services.payment.demo import DEMO_MODEL, load
from services.payment.domain.model import PaymentModel
from tests.payment.conftest import ADMIN, SETTINGS, PaymentHarness


def test_demo_model_is_valid() -> None:
    model = PaymentModel.model_validate(DEMO_MODEL)
    assert model.annual_budget_sek == 98_000_000
    assert model.age_weights[-1].from_age == 85 and model.age_weights[-1].to_age is None


def test_demo_runs_and_approves_two_years_and_pays_to_november_idempotently(
    harness: PaymentHarness,
) -> None:
    transport = harness.client._transport
    load(SETTINGS, transport=transport)
    runs = harness.client.get("/v1/runs", headers=ADMIN).json()["runs"]
    # the year before the demo year too: the last-resort demo settles it
    assert [(r["period"], r["version"], r["status"]) for r in runs] == [
        (f"{y}-{m:02d}", 1, "approved") for y in (2025, 2026) for m in range(1, 13)
    ]
    assert {r["created_by"] for r in runs} == {"demo:admin"}
    assert {r["approved_by"] for r in runs} == {"demo:finance"}
    # the model was approved by the second person before the runs
    for year in (2025, 2026):
        model = harness.client.get(f"/v1/models/{year}", headers=ADMIN).json()
        assert (model["status"], model["approved_by"]) == ("approved", "demo:finance")
    # twelve months of a fully listed region pay out the whole 98 MSEK of pools, and the
    # private units' 6 % VAT compensation on top of it
    year_runs = [r for r in runs if r["period"].startswith("2026")]
    assert sum(Decimal(r["pool_sek"]) for r in year_runs) == Decimal("98000000.00")
    paid = sum(Decimal(r["total_sek"]) + Decimal(r["undistributed_sek"]) for r in year_runs)
    assert Decimal("98000000.00") < paid <= Decimal("98000000.00") * Decimal("1.06")
    # January to November are paid, each by an approved payout of its approved version
    payouts = harness.client.get("/v1/payouts", headers=ADMIN).json()["payouts"]
    assert sorted((p["period"], p["version"], p["status"]) for p in payouts) == [
        (f"2026-{m:02d}", 1, "approved") for m in range(1, 12)
    ]
    by_period = {r["period"]: r for r in year_runs}
    assert all(p["total_sek"] == by_period[p["period"]]["total_sek"] for p in payouts)
    load(SETTINGS, transport=transport)
    assert harness.client.get("/v1/runs", headers=ADMIN).json()["runs"] == runs
    assert harness.client.get("/v1/payouts", headers=ADMIN).json()["payouts"] == payouts
    assert harness.client.get("/v1/models/2026", headers=ADMIN).json()["version"] == 1


def test_the_demo_year_follows_the_business_date() -> None:
    """The latest year every month of which has reached its count date: the demo keeps loading
    as the calendar moves, and never runs a month before its count date."""
    import datetime as dt

    from services.payment.demo import demo_year
    from shared.settings import Settings

    def on(day: dt.date) -> int:
        return demo_year(Settings(env="test", halsoval_today=day))

    assert on(dt.date(2026, 12, 1)) == 2026  # December counts on 30 November
    assert on(dt.date(2027, 6, 1)) == 2026
    assert on(dt.date(2027, 11, 30)) == 2027
