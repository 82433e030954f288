"""The payouts tests' common start: the hand example's March paid (approved run, a model
approved by a second person where the model needs it) and the units' payee numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.payment.conftest import (
    ADMIN,
    FINANCE,
    A,
    B,
    C,
    PaymentHarness,
    count_json,
    three_units,
    unit_json,
)

ORG = {A: "232100-0206", B: "556036-0793", C: None}
BANKGIRO = {A: "5050-1055", B: "5050-1055", C: None}


def payee_units() -> Any:
    """A and B private with organisation number and bankgiro; C the region's own."""
    fake = three_units()
    fake.units = [
        {**unit_json(A, "120"), "organisation_number": ORG[A], "bankgiro": BANKGIRO[A]},
        {**unit_json(B, "40"), "organisation_number": ORG[B], "bankgiro": BANKGIRO[B]},
        {**unit_json(C, "10"), "ownership": "region"},
    ]
    return fake


def approved_model(h: PaymentHarness, **changes: Any) -> None:
    put = h.put_model(**changes)
    assert put.status_code in (200, 201), put.text
    version = put.json()["version"]
    # Four eyes on models (issue 12, item 1): approved by a second person (409: approved
    # already, as the harness's put_model does; 404: a build before model approval, whose
    # runs need none; a run refuses an unapproved model, so nothing is skipped unseen).
    r = h.client.post(f"/v1/models/2026/versions/{version}/approve", headers=FINANCE)
    assert r.status_code in (200, 404, 409), r.text


def approved_run(h: PaymentHarness, period: str = "2026-03") -> dict[str, Any]:
    run = h.run(period)
    assert run.status_code == 201, run.text
    ok = h.approve(run.json()["run_id"])
    assert ok.status_code == 200, ok.text
    return dict(ok.json())


def b_gains_a_listing(h: PaymentHarness) -> None:
    """After March was paid, B gains a 30-year-old: version 2 moves money from A and C to B."""
    h.listing.set_counts(
        [
            count_json(A, {30: 3, 70: 1}, {"2380C1010": 4}),
            count_json(B, {80: 2, 30: 1}, {"2380C1010": 1, None: 1, "2380A0020": 1}),
            count_json(C, {10: 1}, {"2380A0020": 1}),
        ]
    )


def pay(
    h: PaymentHarness, period: str = "2026-03", headers: dict[str, str] = ADMIN, **more: Any
) -> httpx.Response:
    return h.client.post(
        "/v1/payouts", json={"period": period, "care_type": "primary", **more}, headers=headers
    )


def approve_payout(h: PaymentHarness, payout_id: str, headers: dict[str, str] = FINANCE) -> Any:
    return h.client.post(f"/v1/payouts/{payout_id}/approve", headers=headers)


def paid_march(make_harness: Callable[..., PaymentHarness]) -> tuple[PaymentHarness, Any]:
    """March approved and paid (the payout approved)."""
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    p = pay(h)
    assert p.status_code == 201, p.text
    ok = approve_payout(h, p.json()["payout_id"])
    assert ok.status_code == 200, ok.text
    return h, ok.json()
