"""A database written by the code before the component registry reads, and compares, the same.

fixtures/previous_rows.json holds the rows commit 5880f9a stored (fixtures/make_previous_rows.py
made them): the 2026 model used by 2026-03 v1 (approved), its correction v2 and 2026-04 v1,
and an unused 2027 model. They are written at migration 0001 (the schema of that release) and
the newer migrations then run over them. Re-PUT and re-run, the new code must answer
`unchanged` to each, also once a component is added to the registry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, Table, insert

from services.payment.db.models import metadata
from services.payment.domain import components
from services.payment.domain.components import ComponentSpec
from shared.audit import AuditLog
from shared.db import make_engine
from tests.payment.conftest import ADMIN, PaymentHarness, example_model, three_units

FIXTURE = Path(__file__).parent / "fixtures" / "previous_rows.json"
TABLES = (
    "payment_model",
    "payment_run",
    "payment_run_component",
    "payment_statement",
    "payment_statement_line",
)
MODELS = {2026: example_model(), 2027: example_model(annual_budget_sek="1200000.00")}


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        column = table.c[name]
        if column.autoincrement is True:
            continue  # let the database number it, so its sequence stays right
        if value is not None and isinstance(column.type, DateTime):
            at = dt.datetime.fromisoformat(value)
            value = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite kept UTC, naive
        elif value is not None and isinstance(column.type, Date):
            value = dt.date.fromisoformat(value)
        out[name] = value
    return out


@pytest.fixture
def previous(make_harness: Callable[..., PaymentHarness]) -> tuple[PaymentHarness, dict[str, Any]]:
    """The app on a database holding the previous code's rows; the listings as they were."""
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert doc["written_by"] == "5880f9a"
    listing = three_units()
    listing.set_counts(doc["counts"])

    def write_rows(url: str) -> None:
        engine = make_engine(url)
        with engine.begin() as conn:
            for name in TABLES:
                table = metadata.tables[name]
                conn.execute(insert(table), [_typed(table, r) for r in doc["rows"][name]])
        engine.dispose()

    return make_harness(listing, at_0001=write_rows), doc


def _runs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The latest stored run of each period."""
    latest: dict[str, dict[str, Any]] = {}
    for run in doc["rows"]["payment_run"]:
        if run["period"] not in latest or run["version"] > latest[run["period"]]["version"]:
            latest[run["period"]] = run
    return latest


def _assert_unchanged(h: PaymentHarness, doc: dict[str, Any]) -> None:
    for year, model in MODELS.items():
        r = h.client.put(f"/v1/models/{year}", json=model, headers=ADMIN)
        assert r.status_code == 200, r.text
        assert (r.json()["outcome"], r.json()["version"]) == ("unchanged", 1)
    for period, stored in sorted(_runs(doc).items()):
        r = h.run(period)
        assert r.status_code == 200, r.text
        assert r.json()["unchanged"] is True
        assert (r.json()["run_id"], r.json()["version"]) == (stored["id"], stored["version"])


def test_previous_rows_re_put_and_re_run_are_unchanged(
    previous: tuple[PaymentHarness, dict[str, Any]],
) -> None:
    h, doc = previous
    _assert_unchanged(h, doc)
    # and they read as they did: lines in the rules' order, the figures of the hand example
    r = h.client.get("/v1/statements?period=2026-03&version=1", headers=ADMIN)
    assert r.status_code == 200, r.text
    statements = r.json()["statements"]
    assert [s["total_sek"] for s in statements] == ["50000.00", "27083.34", "6250.00"]
    assert [ln["component"] for ln in statements[0]["lines"]] == ["capitation", "cni", "sparsity"]


def test_a_component_added_later_leaves_previous_rows_unchanged(
    previous: tuple[PaymentHarness, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new component with a default share: old models still read, compare and run the same."""
    h, doc = previous
    added = ComponentSpec(
        id="continuity",
        label_sv="Kontinuitet",
        share_key="continuity",
        weight=lambda _model, unit: Decimal(unit.listed),
        default_share=Decimal(0),
        since=2,
    )
    monkeypatch.setattr(components, "COMPONENTS", (*components.COMPONENTS, added))
    _assert_unchanged(h, doc)
    got = h.client.get("/v1/models/2026", headers=ADMIN).json()["model"]["shares"]
    assert got == {"capitation": "0.5", "cni": "0.3", "sparsity": "0.2", "continuity": "0"}
    # a model that pays the new component is a new version, and its run carries it
    shares = {"capitation": "0.4", "cni": "0.3", "sparsity": "0.2", "continuity": "0.1"}
    r = h.client.put("/v1/models/2026", json=example_model(shares=shares), headers=ADMIN)
    assert r.status_code == 201 and r.json()["outcome"] == "new_version", r.text
    assert r.json()["status"] == "draft"
    assert h.run("2026-03").json()["model_version"] == 1  # the draft is not in force
    assert h.approve_model(2026, r.json()["version"]).status_code == 200
    run = h.run("2026-03")
    assert run.status_code == 201, run.text
    assert run.json()["version"] == 3
    pools = {c["component"]: c["pool_sek"] for c in run.json()["components"]}
    assert list(pools) == ["capitation", "cni", "sparsity", "continuity"]
    # R(100 000 × 3/12) − R(100 000 × 2/12) = 25 000.00 − 16 666.67 = 8 333.33; capitation
    # 33 333.33, cni 25 000.00, sparsity 16 666.67: 83 333.33, one öre less than v2's rounding
    assert pools["continuity"] == "8333.33"
    assert run.json()["total_sek"] == "83333.33" and run.json()["delta_sek"] == "-0.01"
    r = h.client.get("/v1/runs?period=2026-03", headers=ADMIN)
    assert [v["version"] for v in r.json()["runs"]] == [1, 2, 3]


def test_previous_rows_upgraded_answer_their_periods(
    previous: tuple[PaymentHarness, dict[str, Any]],
) -> None:
    """Migration 0002 over the earlier release's rows: the runs read as before, and the year's
    periods say which versions there are; nothing is stale before the feed says anything."""
    h, doc = previous
    r = h.client.get("/v1/periods?year=2026", headers=ADMIN)
    assert r.status_code == 200, r.text
    periods = {p["period"]: p for p in r.json()["periods"]}
    stored = _runs(doc)
    march, april = periods["2026-03"], periods["2026-04"]
    assert march["latest_version"] == {
        "version": 2,
        "status": "calculated",
        "run_id": stored["2026-03"]["id"],
    }
    assert march["approved_version"]["version"] == 1
    assert march["approved_version"]["confirmed_as_known_at"] is None
    assert april["latest_version"]["status"] == "calculated" and april["approved_version"] is None
    assert not any(p["stale"] for p in periods.values())
    runs = h.client.get("/v1/runs?period=2026-03", headers=ADMIN).json()["runs"]
    assert [(v["version"], v["status"]) for v in runs] == [(1, "approved"), (2, "calculated")]
    assert [v["run_id"] for v in runs] == [
        r["id"] for r in doc["rows"]["payment_run"] if r["period"] == "2026-03"
    ]


def test_previous_models_are_approved_by_the_migration_in_the_audit_trail(
    previous: tuple[PaymentHarness, dict[str, Any]],
) -> None:
    """Migration 0003: every model stored before it is approved, effective from January, and
    each approval is a row of the audit chain, which still verifies."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from services.payment.db.models import audit_head, audit_log

    h, doc = previous
    got = h.client.get("/v1/models/2026", headers=ADMIN).json()
    assert (got["status"], got["approved_by"], got["effective_from"]) == (
        "approved",
        "migration 0003",
        "2026-01",
    )
    engine = make_engine(h.url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(audit_log.c.action, audit_log.c.actor_sub, audit_log.c.entity_id)
            ).all()
            problems = AuditLog(audit_log, audit_head, hash_key="x").verify_chain(session)
    finally:
        engine.dispose()
    versions = {(m["year"], m["version"]) for m in doc["rows"]["payment_model"]}
    approved = {
        r.entity_id for r in rows if (r.action, r.actor_sub) == ("model.approve", "migration 0003")
    }
    assert approved == {f"{y}/v{v}" for y, v in versions}
    assert problems == []
