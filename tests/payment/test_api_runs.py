"""POST /v1/runs and approval: the hand example over HTTP, versions, deltas, four eyes, 503."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D

from sqlalchemy import func, select

from services.payment.api.deps import PaymentContext
from services.payment.db.models import payment_run, payment_statement, payment_statement_line
from shared.context import context_of
from shared.db import make_engine
from tests.payment.conftest import (
    ADMIN,
    FINANCE,
    A,
    B,
    C,
    PaymentHarness,
    auth,
    count_json,
)


def _count_rows(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        runs, statements, lines = (
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (payment_run, payment_statement, payment_statement_line)
        )
    engine.dispose()
    return runs, statements, lines


def _statements(h: PaymentHarness, query: str) -> dict[str, dict[str, object]]:
    r = h.client.get(f"/v1/statements?{query}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return {s["hsa_id"]: s for s in r.json()["statements"]}


def test_run_matches_the_hand_example(harness: PaymentHarness) -> None:
    harness.put_model()
    r = harness.run("2026-03")
    assert r.status_code == 201, r.text
    run = r.json()
    # last_day_prev_month of 2026-03 is 2026-02-28; counts were asked for that day
    assert run["count_date"] == "2026-02-28" and run["status"] == "calculated"
    assert run["version"] == 1 and run["model_version"] == 1 and run["delta_sek"] is None
    counts_call = [c for c in harness.listing.calls if c.url.path == "/v1/counts"][-1]
    assert counts_call.url.params["date"] == "2026-02-28"
    assert counts_call.url.params["care_type"] == "primary"
    # the run records the moment the listing service said its counts were known
    assert dt.datetime.fromisoformat(run["as_known_at"]) == harness.listing.clock
    # pools 41 666.67 + 25 000.00 + 16 666.67 = 83 333.34, all paid out (see test_domain)
    assert run["total_sek"] == "83333.34" and run["undistributed_sek"] == "0.00"
    st = _statements(harness, "period=2026-03")
    assert {h: s["total_sek"] for h, s in st.items()} == {
        A: "50000.00",
        B: "27083.34",
        C: "6250.00",
    }
    lines = {ln["component"]: ln for ln in st[B]["lines"]}
    assert lines["capitation"] == {
        "component": "capitation",
        "weight": "4",
        "total_weight": "10",
        "share": "0.400000000000",
        "pool_sek": "41666.67",
        "amount_sek": "16666.67",
        "delta_sek": None,
    }
    assert lines["cni"]["weight"] == "3.0" and lines["cni"]["amount_sek"] == "6250.00"
    assert st[A]["unit_name"] == "Hälsocentral A001"


def test_unchanged_rerun_makes_no_new_version(harness: PaymentHarness) -> None:
    harness.put_model()
    first = harness.run().json()
    harness.listing.clock += dt.timedelta(hours=1)  # time passes, nothing changes
    again = harness.run()
    assert again.status_code == 200
    assert again.json()["unchanged"] is True
    assert again.json()["run_id"] == first["run_id"] and again.json()["version"] == 1
    assert _count_rows(harness.url) == (1, 3, 9)


def test_correction_creates_next_version_with_deltas(harness: PaymentHarness) -> None:
    harness.put_model()
    v1 = harness.run().json()
    assert harness.approve(v1["run_id"]).status_code == 200
    # B gains a 30-year-old in an unknown DeSO after the month was paid
    harness.listing.set_counts(
        [
            count_json(A, {30: 3, 70: 1}, {"2380C1010": 4}),
            count_json(B, {80: 2, 30: 1}, {"2380C1010": 1, None: 1, "2380A0020": 1}),
            count_json(C, {10: 1}, {"2380A0020": 1}),
        ]
    )
    r = harness.run()
    assert r.status_code == 201
    v2 = r.json()
    assert v2["version"] == 2 and v2["status"] == "calculated"
    # the pool is the same, and all of it was paid both times: the total delta is 0
    assert v2["total_sek"] == "83333.34" and v2["delta_sek"] == "0.00"
    old, new = (
        _statements(harness, "period=2026-03&version=1"),
        _statements(harness, "period=2026-03"),
    )
    # capitation weights now 5 : 5 : 1 (total 11): B 4 166 667 × 5/11 = 1 893 939.5454… → 1 893 939
    # A the same floor with the same remainder; C 378 787.909… r .909 gets the first spare öre,
    # then A (tie with B at .5454…, lower hsa_id): A 1 893 940, B 1 893 939, C 378 788
    cap = {
        h: next(ln for ln in s["lines"] if ln["component"] == "capitation") for h, s in new.items()
    }
    assert [cap[h]["amount_sek"] for h in (A, B, C)] == ["18939.40", "18939.39", "3787.88"]
    # delta per line = new − old: B capitation 18 939.39 − 16 666.67 = 2 272.72
    assert cap[B]["delta_sek"] == "2272.72"
    for h in (A, B, C):
        assert D(str(new[h]["total_sek"])) - D(str(old[h]["total_sek"])) == D(
            str(new[h]["delta_sek"])
        )
    assert sum(D(str(s["delta_sek"])) for s in new.values()) == 0
    # version 1 stays readable and approved
    assert old[A]["status"] == "approved" and old[A]["version"] == 1


def test_approval_needs_four_eyes_and_is_final(harness: PaymentHarness) -> None:
    harness.put_model()
    run = harness.run().json()
    both = auth("finance_approver", "alice")  # same person as the creator (ADMIN sub alice)
    r = harness.approve(run["run_id"], both)
    assert r.status_code == 403 and "four-eyes" in r.json()["detail"]
    assert harness.approve(run["run_id"], ADMIN).status_code == 403  # region_admin may not approve
    ok = harness.approve(run["run_id"])
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert ok.json()["approved_by"] == "bob"
    again = harness.approve(run["run_id"], auth("finance_approver", "carol"))
    assert again.status_code == 409 and "immutable" in again.json()["detail"]
    assert harness.approve("nope").status_code == 404


def test_only_the_latest_version_can_be_approved(harness: PaymentHarness) -> None:
    harness.put_model()
    v1 = harness.run().json()
    harness.put_model(shares={"capitation": "0.4", "cni": "0.4", "sparsity": "0.2"})
    v2 = harness.run().json()
    assert v2["version"] == 2
    r = harness.approve(v1["run_id"])
    assert r.status_code == 409 and "superseded" in r.json()["detail"]
    assert harness.approve(v2["run_id"]).status_code == 200


def test_listing_down_is_503_and_nothing_is_stored(harness: PaymentHarness) -> None:
    harness.put_model()
    harness.listing.down = True
    r = harness.run()
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "listing service" in r.json()["detail"] and "could not be reached" in r.json()["detail"]
    assert _count_rows(harness.url) == (0, 0, 0)
    harness.listing.down = False
    assert harness.run().status_code == 201


def test_run_needs_a_model_and_the_right_role(harness: PaymentHarness) -> None:
    r = harness.run()
    assert r.status_code == 404 and "PUT /v1/models/2026" in r.json()["detail"]
    harness.put_model()
    assert harness.run(headers=FINANCE).status_code == 403
    assert harness.run(headers=auth("ops")).status_code == 403
    bad = harness.client.post("/v1/runs", json={"period": "2026-13"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"


def test_runs_are_listed_and_readable_by_ops(harness: PaymentHarness) -> None:
    harness.put_model()
    run = harness.run().json()
    harness.run("2026-04")
    ops = auth("ops")
    listed = harness.client.get("/v1/runs?period=2026-03", headers=ops)
    assert listed.status_code == 200
    assert [r["run_id"] for r in listed.json()["runs"]] == [run["run_id"]]
    one = harness.client.get(f"/v1/runs/{run['run_id']}", headers=ops).json()
    assert {c["component"]: c["pool_sek"] for c in one["components"]} == {
        "capitation": "41666.67",
        "cni": "25000.00",
        "sparsity": "16666.67",
    }
    assert harness.client.get("/v1/runs", headers=auth("provider", hsa_ids=[A])).status_code == 403


def test_nobody_listed_leaves_the_month_undistributed(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    from tests.payment.conftest import FakeListing, unit_json

    fake = FakeListing(units=[unit_json(A, "300")])
    fake.set_counts([])
    h = make_harness(fake)
    h.put_model()
    run = h.run().json()
    assert run["total_sek"] == "0.00" and run["undistributed_sek"] == "83333.34"
    st = _statements(h, "period=2026-03")
    assert st[A]["total_sek"] == "0.00" and st[A]["listed"] == 0


def test_twelve_months_add_up_to_the_annual_budget(harness: PaymentHarness) -> None:
    harness.put_model(annual_budget_sek="98765432.11")
    total = D(0)
    for m in range(1, 13):
        run = harness.run(f"2026-{m:02d}").json()
        total += D(run["total_sek"]) + D(run["undistributed_sek"])
    # R(98 765 432.11 × 0.5) + R(× 0.3) + R(× 0.2) = 49 382 716.06 (…055 half up) + 29 629 629.63
    # (…633) + 19 753 086.42 (…422) = 98 765 432.11
    assert total == D("98765432.11")


def test_rereading_a_versions_counts_reproduces_it_exactly(harness: PaymentHarness) -> None:
    from services.payment.db import repository as repo
    from services.payment.domain.calculation import calculate_month
    from services.payment.domain.inputs import unit_inputs
    from shared.period import Period

    harness.put_model()
    v1 = harness.run().json()
    harness.listing.set_counts([count_json(A, {30: 1}, {None: 1})])  # the listings change later
    assert harness.run().json()["version"] == 2
    app = harness.client.app
    context = context_of(app, PaymentContext)
    reader = context.listing
    known = dt.datetime.fromisoformat(v1["as_known_at"])
    counts = reader.counts(dt.date(2026, 2, 28), as_known_at=known)
    with context.db.sessionmaker() as session:
        stored = repo.get_model(session, 2026, v1["model_version"])
        run = repo.get_run(session, v1["run_id"])
    assert stored is not None and run is not None
    units = reader.units(dt.date(2026, 2, 28), known)
    result = calculate_month(stored.model, Period(2026, 3), unit_inputs(counts, units))
    assert (
        result.fingerprint(model_year=2026, model_version=1, count_date="2026-02-28")
        == run.fingerprint
    )


def test_counts_breaking_the_contract_are_502_and_nothing_stored(harness: PaymentHarness) -> None:
    harness.put_model()
    broken = count_json(A, {30: 3}, {None: 3})
    broken["listed"] = 4  # the groups add up to 3
    harness.listing.set_counts([broken])
    r = harness.run()
    assert r.status_code == 502 and "do not add up" in r.json()["detail"]
    harness.listing.set_counts([count_json("SE2321000207-X999", {30: 1}, {None: 1})])
    r = harness.run()
    assert r.status_code == 502 and "SE2321000207-X999" in r.json()["detail"]
    assert _count_rows(harness.url) == (0, 0, 0)


def test_counts_that_leave_persons_out_are_refused(harness: PaymentHarness) -> None:
    """Counts.excluded: persons whose stored data breaks a rule are not counted; no run pays."""
    harness.put_model()
    harness.listing.excluded = [{"rule": "birth_after_count_date", "persons": 2}]
    r = harness.run()
    assert r.status_code == 409, r.text
    assert "2 persons (birth_after_count_date)" in r.json()["detail"]
    assert _count_rows(harness.url) == (0, 0, 0)
    harness.listing.excluded = []
    assert harness.run().status_code == 201


def test_a_created_run_says_where_it_is(harness: PaymentHarness) -> None:
    harness.put_model()
    created = harness.run("2026-03")
    assert created.status_code == 201
    location = created.headers["location"]
    assert location == f"/v1/runs/{created.json()['run_id']}"
    assert harness.client.get(location, headers=ADMIN).json() == created.json()
    again = harness.run("2026-03")
    assert again.status_code == 200 and "location" not in again.headers
