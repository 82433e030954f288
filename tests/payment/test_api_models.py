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


def test_unchanged_put_is_a_no_op_and_a_draft_is_edited_in_place(
    harness: PaymentHarness,
) -> None:
    first = harness.put_model(approve=False)
    assert first.json()["status"] == "draft" and first.json()["approved_by"] is None
    again = harness.put_model(approve=False)
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert again.json()["version"] == 1
    edited = harness.put_model(approve=False, annual_budget_sek="2000000.00")
    assert edited.status_code == 200 and edited.json()["outcome"] == "updated"
    assert edited.json()["version"] == 1
    assert (
        harness.client.get("/v1/models/2026", headers=ADMIN).json()["model"]["annual_budget_sek"]
        == "2000000.00"
    )


def test_an_approved_version_is_never_edited_a_put_makes_a_new_draft(
    harness: PaymentHarness,
) -> None:
    harness.put_model()  # approved by bob
    v1 = harness.client.get("/v1/models/2026", headers=ADMIN).json()
    assert v1["status"] == "approved" and v1["approved_by"] == "bob"
    assert v1["effective_from"] == "2026-01"
    changed = harness.put_model(approve=False, annual_budget_sek="2000000.00")
    assert changed.status_code == 201 and changed.json()["version"] == 2
    assert changed.json()["status"] == "draft"
    still = harness.client.get("/v1/models/2026?version=1", headers=ADMIN).json()
    assert still["model"]["annual_budget_sek"] == "1000000.00" and still["status"] == "approved"


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


def test_four_eyes_on_models(harness: PaymentHarness) -> None:
    """A draft-only year refuses runs (409); its author cannot approve it (403); a second
    person can, once; then runs use it."""
    put = harness.put_model(approve=False)
    assert put.status_code == 201 and put.json()["status"] == "draft"
    refused = harness.run("2026-03")
    assert refused.status_code == 409 and "no approved payment model" in refused.json()["detail"]
    author = auth("finance_approver", "alice")  # alice wrote it, as region_admin
    own = harness.approve_model(2026, 1, headers=author)
    assert own.status_code == 403 and "four-eyes" in own.json()["detail"]
    assert harness.approve_model(2026, 1, headers=ADMIN).status_code == 403  # not finance
    assert harness.approve_model(2026, 2).status_code == 404
    dental = harness.client.post(
        "/v1/models/2026/versions/1/approve?care_type=dental", headers=FINANCE
    )
    assert dental.status_code == 422 and "care_type" in dental.text
    ok = harness.client.post(
        "/v1/models/2026/versions/1/approve?care_type=primary", headers=FINANCE
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["approved_by"]) == ("approved", "bob")
    assert ok.json()["approved_at"] is not None
    assert harness.approve_model(2026, 1).status_code == 409  # approved is final
    run = harness.run("2026-03")
    assert run.status_code == 201 and run.json()["model_version"] == 1


def test_effective_from_must_be_a_period_of_the_year(harness: PaymentHarness) -> None:
    r = harness.put_model(approve=False, effective_from="2027-03")
    assert r.status_code == 422 and "effective_from" in r.text
    r = harness.put_model(approve=False, effective_from="2026-13")
    assert r.status_code == 422 and "effective_from" in r.text


def test_the_approval_is_in_the_audit_trail(harness: PaymentHarness) -> None:
    harness.put_model()
    from sqlalchemy import create_engine, select

    from services.payment.db.models import audit_log

    engine = create_engine(harness.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(audit_log.c.action, audit_log.c.actor_sub, audit_log.c.entity_id)
            ).all()
    finally:
        engine.dispose()
    assert ("model.approve", "bob", "2026/v1") in [tuple(r) for r in rows]


def test_a_draft_only_year_refuses_previews_and_simulations(harness: PaymentHarness) -> None:
    harness.put_model(approve=False)
    preview = harness.client.post("/v1/periods/2026-03/preview", headers=ADMIN)
    assert preview.status_code == 409 and "no approved" in preview.json()["detail"]
    body = {"period": "2026-03", "model": example_model()}
    sim = harness.client.post("/v1/simulations", json=body, headers=ADMIN)
    assert sim.status_code == 409 and "no approved" in sim.json()["detail"]
    assert harness.approve_model(2026, 1).status_code == 200
    assert harness.client.post("/v1/simulations", json=body, headers=ADMIN).status_code == 200


def test_effective_from_january_is_the_default(harness: PaymentHarness) -> None:
    harness.put_model()
    same = harness.put_model(effective_from="2026-01")
    assert same.status_code == 200 and same.json()["outcome"] == "unchanged"
    assert same.json()["effective_from"] == "2026-01"
