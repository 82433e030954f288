"""Four eyes on last-resort models and settlements over HTTP, and the upgrade that approves the
models stored before it (issue 12, items 1 and 6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from services.lastresort.db import models as m
from services.lastresort.db.migrate import migrate
from shared.audit import AuditLog
from shared.db import make_engine
from tests.lastresort.conftest import COUNT_DATES, YEAR, Env, hsa, run_known_at, unit
from tests.lastresort.test_api import DEFICIT_MODEL, designate_and_account, region, settle

FIXED = {
    "method": "fixed_sum",
    "annual_sek_by_municipality": {"2303": "1000000.00"},
    "neutrality": {"enabled": True, "scope": "municipality"},
}


def approve_model(
    env: Env, version: int, headers: dict[str, str], care_type: str | None = None
) -> Any:
    query = f"?care_type={care_type}" if care_type else ""
    return env.client.post(f"/v1/models/{YEAR}/versions/{version}/approve{query}", headers=headers)


def approve_settlement(env: Env, version: int, headers: dict[str, str]) -> Any:
    return env.client.post(
        f"/v1/settlements/{YEAR}/versions/{version}/approve?care_type=primary", headers=headers
    )


def test_a_model_is_draft_until_a_second_person_approves_it(env: Env) -> None:
    env.approve_models = False
    region(env)
    designate_and_account(env)
    put = env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL).json()
    assert (put["status"], put["written_by"], put["approved_by"]) == ("draft", "test:admin", None)
    # A draft-only year cannot be settled, and the answer says how to approve.
    r = env.client.post(
        "/v1/settlements", json={"year": YEAR, "care_type": "primary"}, headers=env.admin
    )
    assert r.status_code == 409 and "has no approved version" in r.json()["detail"]
    models = env.client.get(f"/v1/models/{YEAR}", headers=env.admin).json()
    assert models["effective"] == {"primary": None, "dental": None}
    # The author is refused even with the approver's role; the admin role alone is refused.
    both = env.token("region_admin", "finance_approver", sub="test:admin")
    r = approve_model(env, 1, both)
    assert r.status_code == 403 and "four-eyes" in r.json()["detail"]
    assert approve_model(env, 1, env.admin).status_code == 403
    assert approve_model(env, 2, env.finance).status_code == 404
    assert approve_model(env, 1, env.finance, "dental").status_code == 404
    # Naming the body read: a draft edited since is refused, the body as stored is approved.
    stale = put["body_sha256"]
    edited = env.put(f"/v1/models/{YEAR}", {**DEFICIT_MODEL, "coverage": "0.85"}).json()
    assert edited["version"] == 1 and edited["body_sha256"] != stale
    r = env.client.post(
        f"/v1/models/{YEAR}/versions/1/approve?body_sha256={stale}", headers=env.finance
    )
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "body_sha256"
    r = env.client.post(
        f"/v1/models/{YEAR}/versions/1/approve?body_sha256=nothex", headers=env.finance
    )
    assert r.status_code == 422 and "body_sha256" in r.text
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    r = env.client.post(
        f"/v1/models/{YEAR}/versions/1/approve?body_sha256={stale}", headers=env.finance
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["approved_by"]) == ("approved", "test:finance")
    assert body["approved_at"] is not None
    assert approve_model(env, 1, env.finance).status_code == 409
    models = env.client.get(f"/v1/models/{YEAR}", headers=env.admin).json()
    assert models["effective"]["primary"] == {"applies_to": "all", "version": 1}
    assert settle(env)["model_version"] == 1
    # Approved is final: a changed PUT is a new draft, and settlements keep to version 1.
    r = env.put(f"/v1/models/{YEAR}", {**DEFICIT_MODEL, "coverage": "0.5"})
    assert (r.status_code, r.json()["version"], r.json()["status"]) == (201, 2, "draft")
    assert settle(env, expect=200)["model_version"] == 1
    # Written by someone else, the draft is theirs: the first admin may approve it then.
    other = env.token("region_admin", sub="test:admin2")
    env.put(f"/v1/models/{YEAR}", {**DEFICIT_MODEL, "coverage": "0.6"}, other)
    assert approve_model(env, 2, both).status_code == 200
    assert settle(env)["model_version"] == 2
    audit = env.client.get("/v1/audit", headers=env.admin).json()["items"]
    approvals = [e for e in audit if e["action"] == "model.approve"]
    assert [e["entity_id"] for e in approvals] == [f"{YEAR}/all/1", f"{YEAR}/all/2"]


def test_a_care_types_own_draft_is_not_replaced_by_the_years_model(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)  # approved by test:finance
    env.approve_models = False
    env.put(f"/v1/models/{YEAR}?care_type=primary", {**DEFICIT_MODEL, "coverage": "0.5"})
    r = env.client.post(
        "/v1/settlements", json={"year": YEAR, "care_type": "primary"}, headers=env.admin
    )
    assert r.status_code == 409
    assert r.json()["detail"].startswith(f"the {YEAR} last-resort model for primary has no")
    assert approve_model(env, 1, env.finance, "primary").status_code == 200
    body = settle(env)
    assert (body["model_applies_to"], body["model"]["coverage"]) == ("primary", "0.5")


def test_a_settlement_is_calculated_until_a_second_person_approves_it(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(f"/v1/models/{YEAR}", {**DEFICIT_MODEL, "neutrality": FIXED["neutrality"]})
    first = settle(env)
    assert (first["status"], first["created_by"], first["approved_by"]) == (
        "calculated",
        "test:admin",
        None,
    )
    provider = env.token("provider", hsa_ids=(hsa("P1"),))
    assert env.client.get(f"/v1/settlements/{YEAR}", headers=provider).status_code == 404
    both = env.token("region_admin", "finance_approver", sub="test:admin")
    r = approve_settlement(env, 1, both)
    assert r.status_code == 403 and "four-eyes" in r.json()["detail"]
    assert approve_settlement(env, 1, env.admin).status_code == 403
    assert approve_settlement(env, 9, env.finance).status_code == 404
    r = approve_settlement(env, 1, env.finance)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["approved_by"]) == ("approved", "test:finance")
    assert approve_settlement(env, 1, env.finance).status_code == 409
    (seen,) = env.client.get(f"/v1/settlements/{YEAR}", headers=provider).json()["settlements"]
    assert (seen["version"], seen["status"]) == (1, "approved")
    # New accounts make version 2, calculated: the provider keeps reading approved version 1,
    # version 1 can no longer be approved over it, and version 2 needs its own approval.
    env.put(
        f"/v1/accounts/{YEAR}/{hsa('R1')}",
        {"costs_sek": "16000000.00", "other_revenue_sek": "0.00", "targeted_grants_sek": "0.00"},
    )
    second = settle(env)
    assert (second["version"], second["status"]) == (2, "calculated")
    (seen,) = env.client.get(f"/v1/settlements/{YEAR}", headers=provider).json()["settlements"]
    assert seen["version"] == 1
    r = env.client.get(f"/v1/settlements/{YEAR}?care_type=primary&version=2", headers=provider)
    assert r.status_code == 404
    admin_view = env.client.get(f"/v1/settlements/{YEAR}", headers=env.admin).json()
    assert [(s["version"], s["status"]) for s in admin_view["settlements"]] == [(2, "calculated")]
    assert approve_settlement(env, 2, env.finance).status_code == 200
    (seen,) = env.client.get(f"/v1/settlements/{YEAR}", headers=provider).json()["settlements"]
    assert seen["version"] == 2
    audit = env.client.get("/v1/audit", headers=env.admin).json()["items"]
    assert [e["entity_id"] for e in audit if e["action"] == "settlement.approve"] == [
        f"{YEAR}/primary/1",
        f"{YEAR}/primary/2",
    ]


def test_a_settlement_is_refused_before_the_year_is_over(make_env: Callable[..., Env]) -> None:
    env = make_env(today=dt.date(YEAR, 12, 31))
    region(env)
    designate_and_account(env)
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    r = env.client.post(
        "/v1/settlements", json={"year": YEAR, "care_type": "primary"}, headers=env.admin
    )
    assert r.status_code == 409 and f"from {YEAR + 1}-01-01" in r.json()["detail"]


def test_neutrality_over_twelve_count_dates_computed_by_hand(env: Env) -> None:
    """2303: designated R1 gets C = 1 000 000.00 (fixed sum). R1 has 100 listed on each of the
    twelve runs' count dates, R2 (opened 1 July) 50 from July on: Σ region = 1200 + 300 = 1500.
    Private P1 has 10 on each date but March, when a surge shows 40: Σ = 150; P2 closed after
    May: 7 on January–May, not counted after: Σ = 35.
      P1 = 1 000 000 × 150 / 1500 = 100 000.00;
      P2 = 1 000 000 × 35 / 1500 = 23 333.333… → 23 333.33.
    On 31 December alone P1 would have had 1 000 000 × 10 / 150 = 66 666.67."""
    for suffix, ownership in (("R1", "region"), ("R2", "region"), ("P1", "private")):
        env.listing.add(unit(suffix, municipality="2303", ownership=ownership))
    env.listing.add(unit("P2", municipality="2303", ownership="private", active_to="2026-05-31"))
    for i, date in enumerate(COUNT_DATES, start=1):
        counts = {hsa("R1"): 100, hsa("P1"): 40 if i == 3 else 10}
        if i >= 7:
            counts[hsa("R2")] = 50
        if i <= 5:
            counts[hsa("P2")] = 7
        env.listing.counts[(date, "primary")] = counts
    env.payment.approve_year({hsa("R1"): "1.00"})
    assert env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": hsa("R1")}).is_success
    env.put(f"/v1/models/{YEAR}", FIXED)
    body = settle(env)
    neutrality = body["neutrality"]
    # Each run's count date, read as known at that run's moment.
    assert [
        (c["period"], c["count_date"], dt.datetime.fromisoformat(c["as_known_at"]))
        for c in neutrality["count_dates"]
    ] == [(d[:7], d, dt.datetime.fromisoformat(run_known_at(d[:7]))) for d in COUNT_DATES]
    assert [q["as_known_at"] for q in env.listing.count_queries] == [
        run_known_at(d[:7]) for d in COUNT_DATES
    ]
    (scope,) = neutrality["scopes"]
    assert [c["listed"] for c in scope["region_counts"]] == [100] * 6 + [150] * 6
    assert scope["region_listed"] == 1500 and scope["total_compensation_sek"] == "1000000.00"
    units = {u["hsa_id"]: u for u in scope["units"]}
    assert [c["listed"] for c in units[hsa("P1")]["counts"]] == [10, 10, 40] + [10] * 9
    assert [c["listed"] for c in units[hsa("P2")]["counts"]] == [7] * 5 + [0] * 7
    assert [c["count_date"] for c in units[hsa("P2")]["counts"]] == COUNT_DATES
    assert units[hsa("P1")]["listed"] == 150 and units[hsa("P1")]["amount_sek"] == "100000.00"
    assert units[hsa("P2")]["listed"] == 35 and units[hsa("P2")]["amount_sek"] == "23333.33"
    assert units[hsa("R2")]["amount_sek"] is None
    assert body["total_neutrality_sek"] == "123333.33"
    # Stored as shown: reading it back gives the same counts.
    (read,) = env.client.get(f"/v1/settlements/{YEAR}", headers=env.admin).json()["settlements"]
    assert read["neutrality"] == neutrality


def test_the_upgrade_approves_existing_models_in_the_audit_trail(
    new_database_url: Callable[[str], str],
) -> None:
    url = new_database_url("lastresort")
    migrate(url, "0001")
    engine = make_engine(url)
    model = sa.table(
        "lastresort_model",
        *(sa.column(c) for c in ("id", "year", "applies_to", "version", "body", "used")),
        sa.column("created_at"),
        sa.column("updated_at"),
    )
    settlement = sa.table(
        "lastresort_settlement",
        *(
            sa.column(c)
            for c in (
                "id year care_type version created_at created_by model_id model_applies_to "
                "model_version model_body neutrality_enabled inputs_hash "
                "total_compensation_ore total_neutrality_ore"
            ).split()
        ),
    )
    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    body = '{"method":"x"}'
    with engine.begin() as conn:
        for i, applies_to in enumerate(("all", "dental"), start=1):
            conn.execute(
                model.insert().values(
                    id=i,
                    year=YEAR,
                    applies_to=applies_to,
                    version=1,
                    body=body,
                    used=i == 1,
                    created_at=now,
                    updated_at=now,
                )
            )
        conn.execute(
            settlement.insert().values(
                id=1,
                year=YEAR,
                care_type="primary",
                version=1,
                created_at=now,
                created_by="old:admin",
                model_id=1,
                model_applies_to="all",
                model_version=1,
                model_body=body,
                neutrality_enabled=False,
                inputs_hash="h",
                total_compensation_ore=0,
                total_neutrality_ore=0,
            )
        )
    migrate(url)
    with engine.connect() as conn:
        models = conn.execute(
            sa.select(m.model.c.applies_to, m.model.c.status, m.model.c.approved_by).order_by(
                m.model.c.id
            )
        ).all()
        assert [tuple(r) for r in models] == [
            ("all", "approved", "migration 0002"),
            ("dental", "approved", "migration 0002"),
        ]
        status = conn.execute(sa.select(m.settlement.c.status, m.settlement.c.approved_by)).one()
        assert tuple(status) == ("calculated", None)
        rows = conn.execute(
            sa.select(m.audit_log.c.actor_sub, m.audit_log.c.action, m.audit_log.c.entity_id)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("migration 0002", "model.approve", f"{YEAR}/all/1"),
            ("migration 0002", "model.approve", f"{YEAR}/dental/1"),
        ]
    with sa.orm.Session(engine) as session:
        assert AuditLog(m.audit_log, m.audit_head, hash_key="").verify_chain(session) == []
    engine.dispose()
