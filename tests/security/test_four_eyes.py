"""The four-eyes rule: whoever created a payment run may not approve it, whatever their roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.conftest import YEAR, Databases, System, bearer, build_system, seed, sign


@pytest.fixture
def system(tmp_path: Path, databases: Databases) -> Iterator[System]:
    for s in build_system(tmp_path, databases):
        seed(s, months=range(3, 4))
        yield s


def test_the_creator_may_not_approve_even_holding_both_roles(system: System) -> None:
    pc = system.clients["payment"]
    both = bearer(sign(sub="carol@region", roles=["region_admin", "finance_approver"]))
    run = pc.post("/v1/runs", json={"period": f"{YEAR}-05"}, headers=both)
    assert run.status_code == 201, run.text
    run_id = run.json()["run_id"]
    before = system.snapshot("payment")
    refused = pc.post(f"/v1/runs/{run_id}/approve", headers=both)
    assert refused.status_code == 403
    assert "four-eyes" in refused.json()["detail"]
    assert system.snapshot("payment") == before
    # A second person (a different `sub`) may, and the audit trail names them.
    dave = bearer(sign(sub="dave@region", roles=["finance_approver"]))
    approved = pc.post(f"/v1/runs/{run_id}/approve", headers=dave)
    assert approved.status_code == 200, approved.text
    admin = bearer(sign(sub="auditor@region", roles=["region_admin"]))
    trail = pc.get("/v1/audit", params={"entity_id": run_id}, headers=admin).json()["items"]
    assert [(i["action"], i["actor_sub"]) for i in trail][-1] == ("run.approve", "dave@region")
