"""Concurrent runs of one period never make two versions from the same state, nor a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.payment.conftest import ADMIN, PaymentHarness


def test_concurrent_runs_of_a_period(harness: PaymentHarness) -> None:
    harness.put_model()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: harness.run("2026-03"), range(4)))
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {200, 201, 409}, [a.text for a in answers]
    assert codes.count(201) == 1
    runs = harness.client.get("/v1/runs?period=2026-03", headers=ADMIN).json()["runs"]
    assert [r["version"] for r in runs] == [1]


def test_concurrent_model_puts(harness: PaymentHarness) -> None:
    harness.put_model()
    harness.run("2026-03")  # version 1 is used: each different PUT wants a new version
    budgets = [f"{1000000 + i}.00" for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda b: harness.put_model(approve=False, annual_budget_sek=b), budgets)
        )
    assert {a.status_code for a in answers} <= {200, 201, 409}, [a.text for a in answers]
    latest = harness.client.get("/v1/models/2026", headers=ADMIN).json()
    assert latest["version"] >= 2
    assert latest["model"]["annual_budget_sek"] in budgets
