"""The approved-statement cache only saves work: who may read what is still decided in SQL."""

from __future__ import annotations

from services.payment.db.repository import APPROVED_STATEMENTS
from tests.payment.conftest import ADMIN, A, B, PaymentHarness, auth


def test_a_warm_cache_never_widens_what_a_provider_reads(harness: PaymentHarness) -> None:
    harness.put_model()
    run = harness.run("2026-03").json()
    # Calculated, not approved: nothing is cached, and a provider sees nothing.
    everyone = harness.client.get("/v1/statements?period=2026-03", headers=ADMIN).json()
    assert all(APPROVED_STATEMENTS.get(s["statement_id"]) is None for s in everyone["statements"])
    provider_a = auth("provider", sub="hc-a", hsa_ids=[A])
    assert (
        harness.client.get("/v1/statements?period=2026-03", headers=provider_a).json()["statements"]
        == []
    )
    assert harness.approve(run["run_id"]).status_code == 200
    # The region's read warms the cache with every unit's statement...
    everyone = harness.client.get("/v1/statements?period=2026-03", headers=ADMIN).json()
    by_unit = {s["hsa_id"]: s for s in everyone["statements"]}
    assert all(
        APPROVED_STATEMENTS.get(s["statement_id"]) is not None for s in everyone["statements"]
    )
    assert everyone["statements"][0]["status"] == "approved"
    # ...and still a provider reads only its own, by list and by id.
    own = harness.client.get("/v1/statements?period=2026-03", headers=provider_a).json()
    assert [s["hsa_id"] for s in own["statements"]] == [A]
    assert own["statements"][0] == by_unit[A]
    other = harness.client.get(f"/v1/statements/{by_unit[B]['statement_id']}", headers=provider_a)
    assert other.status_code == 404
