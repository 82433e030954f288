"""A corpus of bad requests: each is a 422 problem+json naming the field, and nothing changes.

Every class of bad model, simulation, run and statement request the payment service can get;
the database digest (every row of every table) is the same before and after each.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from services.payment.db.models import payment_model
from services.payment.domain.model import EdgeLimits
from shared.db import make_engine
from tests.payment.conftest import ADMIN, FINANCE, PaymentHarness, auth, example_model
from tests.security.conftest import snapshot

BIG = 2**63 + 1  # beyond any database integer
FULLWIDTH = "\uff12\uff10\uff12\uff16-03"  # "２０２６-03"
PROVIDER = auth("provider", "provider:a", ["SE2321000207-A001"])


def _band(**over: Any) -> dict[str, Any]:
    model = example_model()
    model["age_weights"] = copy.deepcopy(model["age_weights"])
    model["age_weights"][0].update(over)
    return model


def _sparsity(**over: Any) -> dict[str, Any]:
    model = example_model()
    model["sparsity"] = {**model["sparsity"], **over}
    return model


def _cni(**over: Any) -> dict[str, Any]:
    model = example_model()
    model["cni"] = {**model["cni"], **over}
    return model


def _shares(**over: str) -> dict[str, Any]:
    return example_model(shares={"capitation": "0.5", "cni": "0.3", "sparsity": "0.2", **over})


@dataclass(frozen=True)
class Bad:
    """One bad request: what is sent, and the field the 422 must name."""

    why: str
    method: str
    path: str
    field: str
    json: Any = None
    headers: dict[str, str] | None = None


def _put(why: str, body: Any, field: str, year: object = 2026) -> Bad:
    return Bad(why, "PUT", f"/v1/models/{year}", field, json=body)


MODELS = [
    _put("an exponent as a weight", _band(weight="1E+999999"), "age_weights.0.weight"),
    _put("a weight over 100", _band(weight="100.5"), "age_weights.0.weight"),
    _put("a weight with 7 decimals", _band(weight="1.0000001"), "age_weights.0.weight"),
    _put("a weight as a JSON float", _band(weight=1.5), "age_weights.0.weight"),
    _put("a negative weight", _band(weight="-1"), "age_weights.0.weight"),
    _put("a boolean as an age", _band(from_age=True), "age_weights.0.from_age"),
    _put("an age over 130", _band(to_age=131), "age_weights.0.to_age"),
    _put("an age beyond 2^63", _band(to_age=BIG), "age_weights.0.to_age"),
    _put("a gap between bands", _band(to_age=60), "age_weights"),
    _put(
        "more bands than ages",
        example_model(
            age_weights=[{"from_age": 0, "to_age": 0, "weight": "1"}] * (EdgeLimits.bands + 1)
        ),
        "age_weights",
    ),
    _put(
        "a share with 7 decimals",
        _shares(capitation="0.4999995", sparsity="0.2000005"),
        "shares.capitation",
    ),
    _put(
        "a share over 1", _shares(capitation="1.5", cni="-0.5", sparsity="0"), "shares.capitation"
    ),
    _put("shares that do not sum to 1", _shares(sparsity="0.3"), "shares"),
    _put("an unknown share", _shares(bonus="0"), "shares.bonus"),
    _put("a zero budget", example_model(annual_budget_sek="0.00"), "annual_budget_sek"),
    _put(
        "a budget over 10^12",
        example_model(annual_budget_sek="1000000000000.01"),
        "annual_budget_sek",
    ),
    _put(
        "a budget with öre fractions", example_model(annual_budget_sek="1.001"), "annual_budget_sek"
    ),
    _put("a budget as an exponent", example_model(annual_budget_sek="1E+12"), "annual_budget_sek"),
    _put("a CNI value over 100", _cni(default="100.000001"), "cni.default"),
    _put(
        "a CNI value as an exponent",
        _cni(by_deso={"2380C1010": "1E+999999"}),
        "cni.by_deso.2380C1010",
    ),
    _put(
        "more DeSO entries than Sweden has",
        _cni(
            by_deso={
                f"2380C{i:04d}" if i < 10_000 else f"2380A{i - 10_000:04d}": "1"
                for i in range(EdgeLimits.deso_entries + 1)
            }
        ),
        "cni.by_deso",
    ),
    _put(
        "a size limit over 100,000 persons",
        _sparsity(size_limits=[100_001]),
        "sparsity.size_limits.0",
    ),
    _put("a size limit beyond 2^63", _sparsity(size_limits=[BIG]), "sparsity.size_limits.0"),
    _put(
        "a distance over 100,000 km",
        _sparsity(distance_limits_km=["40", "100001"]),
        "sparsity.distance_limits_km.1",
    ),
    _put(
        "points over a million",
        _sparsity(points=[[0, 0], [100, "1000001"], [300, 200]]),
        "sparsity.points.1.1",
    ),
    _put(
        "a points row longer than any matrix",
        _sparsity(points=[[0] * (EdgeLimits.limits + 2)] * 3),
        "sparsity.points.0",
    ),
    _put("a date far ahead (no such field)", example_model(valid_from="9999-12-31"), "valid_from"),
    _put("a date as JSON 0 (no such field)", example_model(valid_from=0), "valid_from"),
    _put("a count-date rule as a number", example_model(count_date_rule=0), "count_date_rule"),
    _put("a year outside 2000..2100", example_model(), "year", year=9999),
    _put("a year beyond 2^63", example_model(), "year", year=BIG),
    _put("a model that is not an object", [], "body"),
]


def _simulate(why: str, body: Any, field: str) -> Bad:
    return Bad(why, "POST", "/v1/simulations", field, json=body)


SIMULATIONS = [
    _simulate(
        "fullwidth digits in a period", {"period": FULLWIDTH, "model": example_model()}, "period"
    ),
    _simulate("a period as JSON 0", {"period": 0, "model": example_model()}, "period"),
    _simulate("a period after 2100-12", {"period": "2101-01", "model": example_model()}, "period"),
    _simulate(
        "an exponent as a weight",
        {"period": "2026-03", "model": _band(weight="1E+999999")},
        "model.age_weights.0.weight",
    ),
    _simulate(
        "a boolean as a size limit",
        {"period": "2026-03", "model": _sparsity(size_limits=[True])},
        "model.sparsity.size_limits.0",
    ),
    _simulate(
        "an unknown key", {"period": "2026-03", "model": example_model(), "dry": True}, "dry"
    ),
]

LONG_ID = "a" * 65
RUNS = [
    Bad("fullwidth digits in a period", "POST", "/v1/runs", "period", json={"period": FULLWIDTH}),
    Bad("a period as JSON 0", "POST", "/v1/runs", "period", json={"period": 0}),
    Bad("a period without a leading zero", "POST", "/v1/runs", "period", json={"period": "2026-3"}),
    Bad("a period before 2000-01", "POST", "/v1/runs", "period", json={"period": "1999-12"}),
    Bad(
        "a date far ahead (no such field)",
        "POST",
        "/v1/runs",
        "valid_from",
        json={"period": "2026-03", "valid_from": "9999-12-31"},
    ),
    Bad("month 13 in a query", "GET", "/v1/runs?period=2026-13", "period"),
    Bad("fullwidth digits in a query", "GET", f"/v1/runs?period={FULLWIDTH}", "period"),
    Bad("a run id longer than any", "GET", f"/v1/runs/{LONG_ID}", "run_id"),
    Bad(
        "approving a run id longer than any",
        "POST",
        f"/v1/runs/{LONG_ID}/approve",
        "run_id",
        headers=FINANCE,
    ),
    Bad("a model version beyond 2^63", "GET", f"/v1/models/2026?version={BIG}", "version"),
    Bad("a model version 0", "GET", "/v1/models/2026?version=0", "version"),
]

STATEMENTS = [
    Bad(
        "yes as a boolean",
        "GET",
        "/v1/statements?period=2026-03&approved_only=yes",
        "approved_only",
    ),
    Bad("1 as a boolean", "GET", "/v1/statements?period=2026-03&approved_only=1", "approved_only"),
    Bad("a version beyond 2^63", "GET", f"/v1/statements?period=2026-03&version={BIG}", "version"),
    Bad("a negative version", "GET", "/v1/statements?period=2026-03&version=-1", "version"),
    Bad("no period", "GET", "/v1/statements", "period"),
    Bad("fullwidth digits in a period", "GET", f"/v1/statements?period={FULLWIDTH}", "period"),
    Bad("a period after 2100-12", "GET", "/v1/statements?period=2101-01", "period"),
    Bad("a statement id longer than any", "GET", f"/v1/statements/{LONG_ID}", "statement_id"),
    Bad(
        "a provider's version beyond 2^63",
        "GET",
        f"/v1/statements?period=2026-03&version={BIG}",
        "version",
        headers=PROVIDER,
    ),
]


@pytest.fixture
def stored(harness: PaymentHarness) -> PaymentHarness:
    """A model, a run and its approval: there is something that could be changed."""
    assert harness.put_model().status_code == 201
    run = harness.run("2026-03")
    assert run.status_code == 201
    assert harness.approve(run.json()["run_id"]).status_code == 200
    return harness


def _send(h: PaymentHarness, bad: Bad) -> httpx.Response:
    return h.client.request(bad.method, bad.path, json=bad.json, headers=bad.headers or ADMIN)


def _check(h: PaymentHarness, corpus: list[Bad], send: Callable[[Bad], httpx.Response]) -> None:
    engine = make_engine(h.url)
    try:
        failures = []
        for bad in corpus:
            before = snapshot(engine)
            r = send(bad)
            fields = (
                [e["field"] for e in r.json().get("errors") or []]
                if r.headers.get("content-type") == "application/problem+json"
                else []
            )
            if r.status_code != 422 or bad.field not in fields:
                failures.append(f"{bad.why}: {r.status_code} {r.text[:300]}")
            elif not r.json()["detail"].startswith("invalid request"):
                failures.append(f"{bad.why}: detail {r.json()['detail']!r}")
            if snapshot(engine) != before:
                failures.append(f"{bad.why}: the database changed")
        assert failures == [], "\n".join(failures)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "corpus",
    [MODELS, SIMULATIONS, RUNS, STATEMENTS],
    ids=["models", "simulations", "runs", "statements"],
)
def test_each_bad_request_is_a_422_naming_the_field_and_changes_nothing(
    stored: PaymentHarness, corpus: list[Bad]
) -> None:
    _check(stored, corpus, lambda bad: _send(stored, bad))
    calls = len(stored.listing.calls)
    _send(stored, SIMULATIONS[0])
    assert len(stored.listing.calls) == calls  # refused before the listing service is asked


def test_a_model_whose_stored_text_would_be_too_large_is_refused(
    stored: PaymentHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The canonical text is bounded whatever the other limits allow (here lowered to show it)."""
    monkeypatch.setattr(EdgeLimits, "canonical_bytes", 200)
    bad = _put("a model stored as more than the limit", example_model(), "body")
    _check(stored, [bad], lambda b: _send(stored, b))


def test_a_model_stored_under_older_limits_still_reads_and_runs(harness: PaymentHarness) -> None:
    """Limits apply where a model enters: one written before them reads and runs as it did."""
    old = _band(weight="150.12345678")  # over 100 and 8 decimals: accepted before the limits
    old["annual_budget_sek"] = "0.00"
    engine = make_engine(harness.url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(payment_model).values(
                    year=2026,
                    version=1,
                    body=json.dumps(old),
                    used=False,
                    created_at=dt.datetime.now(dt.UTC),
                    created_by="before",
                    status="approved",
                    effective_from="2026-01",
                    approved_by="migration 0003",
                    approved_at=dt.datetime.now(dt.UTC),
                )
            )
    finally:
        engine.dispose()
    read = harness.client.get("/v1/models/2026", headers=ADMIN)
    assert read.status_code == 200
    assert read.json()["model"]["age_weights"][0]["weight"] == "150.12345678"
    run = harness.run("2026-03")
    assert run.status_code == 201 and run.json()["total_sek"] == "0.00"
    # Sent again, it meets the limits of today.
    assert harness.client.put("/v1/models/2026", json=old, headers=ADMIN).status_code == 422
