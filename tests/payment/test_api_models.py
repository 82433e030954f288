"""PUT/GET /v1/models/{year}: strict validation, versions frozen once used."""

from __future__ import annotations

from tests.payment.conftest import ADMIN, FINANCE, PaymentHarness, auth, example_model


def test_put_then_get_round_trips_decimals_as_strings(harness: PaymentHarness) -> None:
    r = harness.put_model()
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["outcome"] == "created"
    got = harness.client.get("/v1/models/2026", headers=FINANCE)
    assert got.status_code == 200
    body = got.json()["model"]
    assert body["annual_budget_sek"] == "1000000.00"
    assert body["shares"]["cni"] == "0.3"
    assert body["age_weights"][1] == {"from_age": 65, "to_age": None, "weight": "2"}


def test_invalid_model_is_422_naming_the_field_and_nothing_stored(harness: PaymentHarness) -> None:
    bad = example_model(shares={"capitation": "0.70", "cni": "0.22", "sparsity": "0.07"})
    r = harness.client.put("/v1/models/2026", json=bad, headers=ADMIN)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"] == "shares" and "sum" in e["message"] for e in r.json()["errors"])
    assert harness.client.get("/v1/models/2026", headers=ADMIN).status_code == 404

    gap = example_model(
        age_weights=[
            {"from_age": 0, "to_age": 9, "weight": "1"},
            {"from_age": 11, "to_age": None, "weight": "1"},
        ]
    )
    r = harness.client.put("/v1/models/2026", json=gap, headers=ADMIN)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "age_weights"
    assert "gap" in r.json()["errors"][0]["message"]

    r = harness.client.put("/v1/models/2026", json=example_model(extra="x"), headers=ADMIN)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"


def test_roles(harness: PaymentHarness) -> None:
    assert (
        harness.client.put("/v1/models/2026", json=example_model(), headers=FINANCE).status_code
        == 403
    )
    assert harness.client.put("/v1/models/2026", json=example_model()).status_code == 401
    harness.put_model()
    for role in ("region_admin", "finance_approver", "ops", "service"):
        assert harness.client.get("/v1/models/2026", headers=auth(role)).status_code == 200
    assert (
        harness.client.get("/v1/models/2026", headers=auth("provider", hsa_ids=["x"])).status_code
        == 403
    )


def test_unchanged_put_is_a_no_op_and_unused_model_is_edited_in_place(
    harness: PaymentHarness,
) -> None:
    harness.put_model()
    again = harness.put_model()
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert again.json()["version"] == 1
    edited = harness.put_model(annual_budget_sek="2000000.00")
    assert edited.status_code == 200 and edited.json()["outcome"] == "updated"
    assert edited.json()["version"] == 1
    assert (
        harness.client.get("/v1/models/2026", headers=ADMIN).json()["model"]["annual_budget_sek"]
        == "2000000.00"
    )


def test_a_used_model_gets_a_new_version_and_runs_keep_theirs(harness: PaymentHarness) -> None:
    harness.put_model()
    run = harness.run("2026-03")
    assert run.status_code == 201, run.text
    assert run.json()["model_version"] == 1
    assert harness.client.get("/v1/models/2026", headers=ADMIN).json()["used"] is True
    assert harness.put_model().json()["outcome"] == "unchanged"

    changed = harness.put_model(shares={"capitation": "0.4", "cni": "0.4", "sparsity": "0.2"})
    assert changed.status_code == 201 and changed.json()["version"] == 2
    assert changed.json()["outcome"] == "new_version"
    v1 = harness.client.get("/v1/models/2026?version=1", headers=ADMIN).json()
    assert v1["model"]["shares"]["cni"] == "0.3"  # the used version is untouched
    rerun = harness.run("2026-03")
    assert rerun.status_code == 201 and rerun.json()["model_version"] == 2
    assert rerun.json()["version"] == 2


def test_a_created_model_version_says_where_it_is(harness: PaymentHarness) -> None:
    first = harness.put_model()
    assert first.status_code == 201
    assert first.headers["location"] == "/v1/models/2026?version=1"
    harness.run("2026-03")  # version 1 is used: a change is version 2
    second = harness.put_model(annual_budget_sek="2000000.00")
    assert second.status_code == 201
    assert second.headers["location"] == "/v1/models/2026?version=2"
    read = harness.client.get(second.headers["location"], headers=ADMIN).json()
    assert read["version"] == 2 and read["model"]["annual_budget_sek"] == "2000000.00"
    assert "location" not in harness.put_model(annual_budget_sek="2000000.00").headers
