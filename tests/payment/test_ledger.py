"""GET /v1/ledger over HTTP: a unit's running account (computed, paid, corrected, balance),
a provider's own units only."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

from tests.payment.conftest import ADMIN, FINANCE, A, B, C, PaymentHarness, auth
from tests.payment.payouts_setup import (
    approve_payout,
    approved_run,
    b_gains_a_listing,
    paid_march,
    pay,
)


def _ledger(h: PaymentHarness, hsa_id: str, headers: dict[str, str] = ADMIN) -> Any:
    return h.client.get(f"/v1/ledger?hsa_id={hsa_id}&year=2026", headers=headers)


def _march(body: dict[str, Any]) -> dict[str, Any]:
    (march,) = [p for p in body["periods"] if p["period"] == "2026-03"]
    return march


def test_ledger_follows_payment_correction_and_credit(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h, first = paid_march(make_harness)
    paid = {ln["hsa_id"]: D(ln["amount_sek"]) for ln in first["lines"]}
    body = _ledger(h, A).json()
    assert body["hsa_id"] == A and body["year"] == 2026 and len(body["periods"]) == 12
    m = _march(body)
    assert (m["version"], D(m["computed_sek"]), D(m["paid_sek"])) == (1, paid[A], paid[A])
    assert D(m["corrected_sek"]) == 0 and D(m["balance_sek"]) == 0
    # version 2 approved, not paid yet: A is owed less than it got (negative balance)
    b_gains_a_listing(h)
    approved_run(h)
    m = _march(_ledger(h, A).json())
    v2 = D(m["computed_sek"])
    assert m["version"] == 2 and v2 < paid[A]
    assert D(m["balance_sek"]) == v2 - paid[A]
    # the correction paid (a credit line for A): balanced again
    corr = pay(h).json()
    assert approve_payout(h, corr["payout_id"]).status_code == 200
    credit = next(ln for ln in corr["lines"] if ln["hsa_id"] == A)
    m = _march(_ledger(h, A).json())
    assert D(m["paid_sek"]) == paid[A] and D(m["corrected_sek"]) == D(credit["amount_sek"])
    assert D(m["balance_sek"]) == 0 and D(m["running_balance_sek"]) == 0
    # B gained: its correction is positive
    mb = _march(_ledger(h, B).json())
    assert D(mb["corrected_sek"]) > 0 and D(mb["balance_sek"]) == 0


def test_months_not_run_show_zero(make_harness: Callable[..., PaymentHarness]) -> None:
    h, _ = paid_march(make_harness)
    april = [p for p in _ledger(h, A).json()["periods"] if p["period"] == "2026-04"][0]
    assert april["version"] is None and april["computed_sek"] == "0.00"
    assert april["balance_sek"] == "0.00"


def test_a_provider_sees_only_its_own_units(make_harness: Callable[..., PaymentHarness]) -> None:
    h, _ = paid_march(make_harness)
    own = auth("provider", "vc-a", hsa_ids=[A])
    assert _ledger(h, A, own).status_code == 200
    other = _ledger(h, B, own)
    assert other.status_code == 404  # indistinguishable from a unit that does not exist
    assert (
        other.json()
        == _ledger(h, "SE2321000207-X999", own).json() | {"instance": other.json().get("instance")}
        or other.json()["status"] == 404
    )
    assert _ledger(h, A, auth("provider", "none")).status_code == 404
    assert _ledger(h, A, auth("ops")).status_code == 403
    assert _ledger(h, C, FINANCE).status_code == 200
    assert _ledger(h, "SE2321000207-X999").status_code == 404


def test_bad_queries_are_422(make_harness: Callable[..., PaymentHarness]) -> None:
    h, _ = paid_march(make_harness)
    assert h.client.get("/v1/ledger?hsa_id=" + A, headers=ADMIN).status_code == 422
    r = h.client.get(f"/v1/ledger?hsa_id={A}&year=abc", headers=ADMIN)
    assert r.status_code == 422 and "year" in r.text
    r = h.client.get("/v1/ledger?hsa_id=nope&year=2026", headers=ADMIN)
    assert r.status_code == 422 and "hsa_id" in r.text
