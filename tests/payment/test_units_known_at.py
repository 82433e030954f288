"""A run reads the units as known at its counts' moment, on its count date (issue 11, item 2).

So a unit edited after a run leaves the run reproducible from its stored inputs, and a
distance that changes from a date pays differently only from the count dates after it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.payment.api.deps import PaymentContext
from services.payment.db import repository as repo
from services.payment.domain.calculation import calculate_month
from services.payment.domain.inputs import unit_inputs
from shared.context import context_of
from shared.period import Period
from tests.payment.conftest import ADMIN, A, PaymentHarness, unit_json


def _sparsity_weight(h: PaymentHarness, period: str, hsa_id: str) -> str:
    r = h.client.get(f"/v1/statements?period={period}&hsa_id={hsa_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    (statement,) = r.json()["statements"]
    lines = {ln["component"]: ln for ln in statement["lines"]}
    weight: str = lines["sparsity"]["weight"]
    return weight


def test_the_run_asks_for_the_units_on_its_count_date_as_known_at_its_counts(
    harness: PaymentHarness,
) -> None:
    harness.put_model()
    run = harness.run("2026-03").json()
    (units_call,) = [c for c in harness.listing.calls if c.url.path == "/v1/units"]
    asked = units_call.url.params
    assert asked["date"] == "2026-02-28" == run["count_date"]
    assert dt.datetime.fromisoformat(asked["as_known_at"]) == dt.datetime.fromisoformat(
        run["as_known_at"]
    )
    counts_at = [i for i, c in enumerate(harness.listing.calls) if c.url.path == "/v1/counts"]
    units_at = harness.listing.calls.index(units_call)
    assert counts_at and counts_at[0] < units_at  # counts first: their moment is the units'


def test_a_unit_edited_after_a_run_leaves_its_inputs_reproducible(
    harness: PaymentHarness,
) -> None:
    harness.put_model()
    v1 = harness.run("2026-03").json()
    harness.listing.edit_unit(unit_json(A, "30"))  # for the unit's whole life, after the run
    context = context_of(harness.client.app, PaymentContext)
    known = dt.datetime.fromisoformat(v1["as_known_at"])
    day = dt.date.fromisoformat(v1["count_date"])
    counts = context.listing.counts(day, as_known_at=known)
    units = context.listing.units(day, known)
    assert {u.hsa_id: str(u.distance_to_hospital_km) for u in units}[A] == "120"
    with context.db.sessionmaker() as session:
        stored = repo.get_model(session, 2026, v1["model_version"])
        run = repo.get_run(session, v1["run_id"])
    assert stored is not None and run is not None
    result = calculate_month(stored.model, Period(2026, 3), unit_inputs(counts, units))
    fingerprint = result.fingerprint(
        model_year=2026, model_version=v1["model_version"], count_date=v1["count_date"]
    )
    assert fingerprint == run.fingerprint
    # run now, the edit covers the count date: a correction paying the new distance
    v2 = harness.run("2026-03")
    assert v2.status_code == 201 and v2.json()["version"] == 2, v2.text
    assert _sparsity_weight(harness, "2026-03", A) == "0"  # 30 km: under the first limit
    assert v2.json()["delta_sek"] == "0.00"  # the pool is the month's; only its shares move


def test_a_distance_changed_from_a_date_pays_from_the_count_dates_after_it(
    harness: PaymentHarness,
) -> None:
    harness.put_model()
    before: dict[str, Any] = {p: harness.run(p).json() for p in ("2026-03", "2026-06")}
    weight = _sparsity_weight(harness, "2026-03", A)
    assert weight != "0" and _sparsity_weight(harness, "2026-06", A) == weight
    harness.listing.edit_unit(unit_json(A, "30"), effective_from=dt.date(2026, 6, 1))
    # counting on 2026-02-28 and 2026-05-31, before the new distance: nothing moved
    for period, run in before.items():
        again = harness.run(period)
        assert again.status_code == 200, again.text
        assert again.json()["unchanged"] is True and again.json()["run_id"] == run["run_id"]
    # counting on 2026-06-30: the new distance (30 km, under the model's first limit of 40)
    july = harness.run("2026-07")
    assert july.status_code == 201, july.text
    assert _sparsity_weight(harness, "2026-07", A) == "0"
