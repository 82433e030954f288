"""What-if: the month under a proposed model next to the current one; nothing stored."""

from __future__ import annotations

from decimal import Decimal as D

from tests.payment.conftest import ADMIN, A, B, C, PaymentHarness, auth, example_model


def test_simulation_compares_per_unit_and_stores_nothing(harness: PaymentHarness) -> None:
    harness.put_model()
    proposed = example_model(shares={"capitation": "0.4", "cni": "0.4", "sparsity": "0.2"})
    r = harness.client.post(
        "/v1/simulations", json={"period": "2026-03", "model": proposed}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    body = r.json()
    units = {u["hsa_id"]: u for u in body["units"]}
    # current: the hand example (A 50 000.00, B 27 083.34, C 6 250.00)
    assert [units[h]["current_sek"] for h in (A, B, C)] == ["50000.00", "27083.34", "6250.00"]
    # proposed capitation pool: R(400 000 × 3/12) − R(400 000 × 2/12) = 100 000 − 66 666.67
    # = 33 333.33 → 5:4:1 = 16 666.665 (r .5), 13 333.332, 3 333.333 → A gets the spare öre:
    # A 16 666.67, B 13 333.33, C 3 333.33;  cni pool the same 33 333.33 → 8:3:1 →
    # A 22 222.22 (r .2267), B 8 333.33 (r .25), C 2 777.77 (r .7775) → C gets 1 öre: 2 777.78
    # sparsity unchanged: A 12 500.00, B 4 166.67
    assert units[A]["proposed_sek"] == "51388.89"  # 16 666.67 + 22 222.22 + 12 500.00
    assert units[B]["proposed_sek"] == "25833.33"  # 13 333.33 + 8 333.33 + 4 166.67
    assert units[C]["proposed_sek"] == "6111.11"  # 3 333.33 + 2 777.78 + 0
    for u in units.values():
        assert D(u["proposed_sek"]) - D(u["current_sek"]) == D(u["difference_sek"])
    # the proposed pools: 33 333.33 + 33 333.33 + 16 666.67 = 83 333.33 (one öre less than now)
    assert body["current_total_sek"] == "83333.34" and body["proposed_total_sek"] == "83333.33"
    assert harness.client.get("/v1/runs?period=2026-03", headers=ADMIN).json()["runs"] == []
    assert harness.client.get("/v1/models/2026", headers=ADMIN).json()["version"] == 1


def test_simulation_without_a_current_model_and_roles(harness: PaymentHarness) -> None:
    r = harness.client.post(
        "/v1/simulations",
        json={"period": "2027-01", "model": example_model()},
        headers=auth("finance_approver"),
    )
    assert r.status_code == 200
    assert r.json()["current_model_version"] is None
    assert all(u["current_sek"] is None for u in r.json()["units"])
    bad = harness.client.post(
        "/v1/simulations",
        json={
            "period": "2027-01",
            "model": example_model(shares={"capitation": "1", "cni": "1", "sparsity": "0"}),
        },
        headers=ADMIN,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "model.shares"
    assert (
        harness.client.post(
            "/v1/simulations",
            json={"period": "2027-01", "model": example_model()},
            headers=auth("ops"),
        ).status_code
        == 403
    )
