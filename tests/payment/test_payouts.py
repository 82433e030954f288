"""Payouts over HTTP: the first payout pays the approved version, four eyes, immutable, the
same version never paid twice, and a correction that pays exactly the difference per unit
with a credit line that is never netted against another unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D
from typing import Any

from tests.payment.conftest import ADMIN, FINANCE, TODAY, A, B, C, PaymentHarness, auth
from tests.payment.payouts_setup import (
    approve_payout,
    approved_model,
    approved_run,
    b_gains_a_listing,
    paid_march,
    pay,
    payee_units,
)


def _totals(h: PaymentHarness, version: int) -> dict[str, D]:
    r = h.client.get(f"/v1/statements?period=2026-03&version={version}", headers=ADMIN)
    assert r.status_code == 200
    return {s["hsa_id"]: D(s["total_sek"]) for s in r.json()["statements"]}


def _lines(payout: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ln["hsa_id"]: ln for ln in payout["lines"]}


def test_first_payout_pays_each_unit_the_approved_version(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    run = approved_run(h)
    r = pay(h)
    assert r.status_code == 201, r.text
    p = r.json()
    assert r.headers["location"] == f"/v1/payouts/{p['payout_id']}"
    assert p["status"] == "calculated" and p["version"] == 1 and p["paid_version"] is None
    assert p["run_id"] == run["run_id"] and p["payment_date"] is None
    totals = _totals(h, 1)
    lines = _lines(p)
    assert set(lines) == {A, B, C}
    for hsa_id, total in totals.items():
        ln = lines[hsa_id]
        assert (ln["kind"], ln["period"], ln["version"]) == ("payment", "2026-03", 1)
        assert D(ln["amount_sek"]) == total
    assert D(p["total_sek"]) == sum(totals.values()) == D(run["total_sek"])
    # approved by a second person: final, dated the approval's day in Stockholm
    ok = approve_payout(h, p["payout_id"])
    assert ok.status_code == 200, ok.text
    done = ok.json()
    assert done["status"] == "approved" and done["approved_by"] == "bob"
    assert done["payment_date"] == TODAY.isoformat()  # the business date of the approval
    assert h.client.get(f"/v1/payouts/{p['payout_id']}", headers=FINANCE).json() == done
    listed = h.client.get("/v1/payouts?period=2026-03", headers=ADMIN).json()["payouts"]
    assert [x["payout_id"] for x in listed] == [p["payout_id"]]
    assert h.client.get("/v1/payouts?period=2026-04", headers=ADMIN).json() == {"payouts": []}


def test_four_eyes_and_immutable(make_harness: Callable[..., PaymentHarness]) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    p = pay(h).json()
    # the author, even holding finance_approver, may not approve; a region_admin never
    assert approve_payout(h, p["payout_id"], auth("finance_approver", "alice")).status_code == 403
    assert approve_payout(h, p["payout_id"], ADMIN).status_code == 403
    assert approve_payout(h, p["payout_id"]).status_code == 200
    again = approve_payout(h, p["payout_id"], auth("finance_approver", "carol"))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert approve_payout(h, "0" * 32).status_code == 404


def test_same_version_is_never_paid_twice(make_harness: Callable[..., PaymentHarness]) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    first = pay(h)
    assert first.status_code == 201
    # while it awaits approval
    waiting = pay(h)
    assert waiting.status_code == 409 and "already" in waiting.json()["detail"]
    assert approve_payout(h, first.json()["payout_id"]).status_code == 200
    # and once it is paid
    paid = pay(h)
    assert paid.status_code == 409 and "version 1" in paid.json()["detail"]
    assert len(h.client.get("/v1/payouts", headers=ADMIN).json()["payouts"]) == 1


def test_refusals(make_harness: Callable[..., PaymentHarness]) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    # nothing approved to pay
    assert pay(h).status_code == 409
    run = h.run().json()
    assert pay(h).status_code == 409  # calculated, not approved
    assert h.approve(run["run_id"]).status_code == 200
    # roles: only a region_admin proposes
    for role in ("finance_approver", "ops", "provider"):
        assert pay(h, headers=auth(role, hsa_ids=[A])).status_code == 403
    assert h.client.get("/v1/payouts", headers=auth("ops")).status_code == 403
    assert h.client.get("/v1/payouts", headers=auth("provider", hsa_ids=[A])).status_code == 403
    # bad input: 422 naming the field, never a 500
    for body, field in (
        ({"period": "2026-13", "care_type": "primary"}, "period"),
        ({"period": "2026-03", "care_type": "dental"}, "care_type"),
        ({"period": "2026-03"}, "care_type"),
        ({"period": "2026-03", "care_type": "primary", "payment_date": "soon"}, "payment_date"),
        ({"period": "2026-03", "care_type": "primary", "extra": 1}, "extra"),
    ):
        r = h.client.post("/v1/payouts", json=body, headers=ADMIN)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text
    early = pay(h, payment_date=(TODAY - dt.timedelta(days=1)).isoformat())
    assert early.status_code == 422
    assert early.json()["errors"] == [
        {"field": "payment_date", "message": "is before the business date"}
    ]
    assert h.client.get("/v1/payouts/nope", headers=ADMIN).status_code == 404
    assert h.client.get("/v1/payouts/" + "x" * 65, headers=ADMIN).status_code == 422


def test_explicit_payment_date_is_kept(make_harness: Callable[..., PaymentHarness]) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    day = (TODAY + dt.timedelta(days=24)).isoformat()
    p = pay(h, payment_date=day).json()
    assert p["payment_date"] == day
    assert approve_payout(h, p["payout_id"]).json()["payment_date"] == day


def test_correction_pays_exactly_the_difference_with_a_credit_line(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h, first = paid_march(make_harness)
    b_gains_a_listing(h)
    v2 = approved_run(h)
    assert v2["version"] == 2
    old, new = _totals(h, 1), _totals(h, 2)
    r = pay(h)
    assert r.status_code == 201, r.text
    corr = r.json()
    assert corr["version"] == 2 and corr["paid_version"] == 1
    lines = _lines(corr)
    diffs = {u: new[u] - old[u] for u in new}
    assert diffs[B] > 0 and diffs[A] < 0 and diffs[C] < 0  # money moved from A and C to B
    assert set(lines) == {u for u, d in diffs.items() if d != 0}
    for u, d in diffs.items():
        ln = lines[u]
        assert D(ln["amount_sek"]) == d  # exactly the difference, each unit its own line
        assert ln["kind"] == ("credit" if d < 0 else "correction")
        assert (ln["period"], ln["paid_version"], ln["version"]) == ("2026-03", 1, 2)
    # never netted: the credits stay negative lines, the total is their plain sum
    assert D(corr["total_sek"]) == sum(diffs.values())
    assert approve_payout(h, corr["payout_id"]).status_code == 200
    # paid + corrected = the new version, per unit
    for u in new:
        assert D(_lines(first)[u]["amount_sek"]) + D(lines[u]["amount_sek"]) == new[u]
    # the corrected version cannot be paid again
    assert pay(h).status_code == 409


def test_a_correction_waits_for_the_pending_payout(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    first = pay(h).json()
    b_gains_a_listing(h)
    approved_run(h)
    blocked = pay(h)
    assert blocked.status_code == 409 and first["payout_id"] in blocked.json()["detail"]


def test_approved_statements_do_not_change_when_paid(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    before = h.client.get("/v1/statements?period=2026-03", headers=ADMIN)
    etag = before.headers.get("etag")
    p = pay(h).json()
    approve_payout(h, p["payout_id"])
    after = h.client.get("/v1/statements?period=2026-03", headers=ADMIN)
    assert after.json() == before.json()
    assert after.headers.get("etag") == etag


def test_concurrent_payouts_of_one_version_store_one(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    h = make_harness(payee_units())
    approved_model(h)
    approved_run(h)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: pay(h), range(4)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409], [a.text for a in answers]
    assert len(h.client.get("/v1/payouts", headers=ADMIN).json()["payouts"]) == 1
