"""Issue 11, item 6: no run (nor approval) before its count date, measured on the business date
(HALSOVAL_TODAY; the harness fixes it at TODAY, 2026-12-01), and the printed statements on
Stockholm's clock while the JSON keeps ISO 8601 with offset."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

from fastapi.testclient import TestClient

from services.payment.main import create_app
from tests.payment.conftest import (
    ADMIN,
    FINANCE,
    SETTINGS,
    TODAY,
    B,
    FakeListing,
    PaymentHarness,
    auth,
    example_model,
    three_units,
)

FUTURE = "period 2027-01 counts on 2026-12-31"


def _runs(h: PaymentHarness) -> list[dict[str, object]]:
    return list(h.client.get("/v1/runs", headers=ADMIN).json()["runs"])


def test_a_run_whose_count_date_is_after_today_is_409_naming_the_date(
    harness: PaymentHarness,
) -> None:
    assert TODAY == dt.date(2026, 12, 1)
    assert harness.put_model(2027).status_code == 201
    asked = len(harness.listing.calls)
    r = harness.run("2027-01")
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == f"{FUTURE}; it can run from 2026-12-31"
    # Refused before the listing service is asked; nothing stored.
    assert len(harness.listing.calls) == asked
    assert _runs(harness) == []
    # The months whose count date has come still run (2026-12 counts on 2026-11-30).
    assert harness.put_model(2026).status_code == 201
    assert harness.run("2026-12").status_code == 201


def test_the_same_run_is_accepted_once_the_business_date_reaches_the_count_date(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    for today in (dt.date(2026, 12, 31), dt.date(2027, 1, 15)):
        h = make_harness(today=today)
        assert h.put_model(2027).status_code == 201
        r = h.run("2027-01")
        assert r.status_code == 201, r.text
        assert r.json()["count_date"] == "2026-12-31"
        assert h.approve(r.json()["run_id"]).status_code == 200


def test_the_count_date_follows_the_models_rule(harness: PaymentHarness) -> None:
    assert harness.put_model(2026, count_date_rule="last_day_of_month").status_code == 201
    r = harness.run("2026-12")
    assert r.status_code == 409
    assert r.json()["detail"] == ("period 2026-12 counts on 2026-12-31; it can run from 2026-12-31")
    assert harness.run("2026-11").status_code == 201  # counts on 2026-11-30


def test_approving_a_run_stored_before_its_count_date_waits_for_the_date(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    """A run stored early (as 2027-01 was on 2026-12-01, before this rule) is not approved
    until its count date; on the date it is."""
    early = make_harness(today=dt.date(2027, 1, 15))
    assert early.put_model(2027).status_code == 201
    run = early.run("2027-01").json()

    def approve_on(today: dt.date) -> tuple[int, str]:
        settings = SETTINGS.model_copy(update={"halsoval_today": today})
        app = create_app(
            settings, database_url=early.url, listing_transport=early.listing.transport
        )
        with TestClient(app) as client:
            r = client.post(f"/v1/runs/{run['run_id']}/approve", headers=FINANCE)
            return r.status_code, r.json().get("detail", r.json().get("status"))

    assert approve_on(dt.date(2026, 12, 1)) == (
        409,
        f"{FUTURE}; it can be approved from 2026-12-31",
    )
    assert early.client.get(f"/v1/runs/{run['run_id']}", headers=ADMIN).json()["status"] == (
        "calculated"
    )
    assert approve_on(dt.date(2026, 12, 31)) == (200, "approved")


def test_a_simulation_of_a_future_month_is_planning_and_is_answered(
    harness: PaymentHarness,
) -> None:
    """What-ifs store and pay nothing, so a month not yet counted may be looked at."""
    r = harness.client.post(
        "/v1/simulations", json={"period": "2027-06", "model": example_model()}, headers=ADMIN
    )
    assert r.status_code == 200, r.text


def test_the_409_is_documented_on_run_and_approve(harness: PaymentHarness) -> None:
    paths = harness.client.get("/openapi.json").json()["paths"]
    assert "409" in paths["/v1/runs"]["post"]["responses"]
    assert "409" in paths["/v1/runs/{run_id}/approve"]["post"]["responses"]


# --- moments people read: Stockholm time, the zone named -------------------------------------


def _approved_statement(
    listing: FakeListing, make: Callable[..., PaymentHarness]
) -> tuple[PaymentHarness, dict[str, object], dict[str, object]]:
    h = make(listing)
    assert h.put_model().status_code == 201
    run = h.run("2026-03").json()
    approved = h.approve(run["run_id"]).json()
    statements = h.client.get("/v1/statements?period=2026-03", headers=ADMIN).json()["statements"]
    return h, approved, next(s for s in statements if s["hsa_id"] == B)


def _stockholm(iso: object) -> str:
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromisoformat(str(iso)).astimezone(ZoneInfo("Europe/Stockholm"))
    return f"{moment:%Y-%m-%d %H:%M} (Europe/Stockholm)"


def test_csv_shows_the_moments_on_stockholms_clock(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    listing = three_units()  # counts known at 2026-03-01 08:01 UTC: 09:01 in Stockholm (CET)
    h, run, s = _approved_statement(listing, make_harness)
    # The JSON keeps ISO 8601 with its offset.
    assert s["as_known_at"] == "2026-03-01T08:01:00Z"
    r = h.client.get(
        f"/v1/statements/{s['statement_id']}",
        headers={**auth("provider", "provider:b", [B]), "Accept": "text/csv"},
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-3:] == ["Listningar kända", "Beräknad", "Godkänd"]
    for row in rows[1:]:
        assert row[-3] == "2026-03-01 09:01 (Europe/Stockholm)"
        assert row[-2] == _stockholm(run["created_at"])
        assert row[-1] == _stockholm(run["approved_at"])


def test_pdf_shows_summer_time_with_the_zone_named(
    make_harness: Callable[..., PaymentHarness],
) -> None:
    from services.payment.api.render import PrintedStatement, statement_html
    from shared.schemas.payment import Statement

    listing = three_units()
    listing.clock = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)
    listing.set_counts(listing.history[-1][1])  # known at 08:01 UTC: 10:01 in Stockholm (CEST)
    h, run, s = _approved_statement(listing, make_harness)
    pdf = h.client.get(
        f"/v1/statements/{s['statement_id']}", headers={**ADMIN, "Accept": "application/pdf"}
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    printed = PrintedStatement.of(
        Statement.model_validate(s),
        created_at=dt.datetime.fromisoformat(str(run["created_at"])),
        approved_at=dt.datetime.fromisoformat(str(run["approved_at"])),
    )
    html = statement_html(printed)
    assert "<dt>Listningar kända</dt><dd>2026-07-01 10:01 (Europe/Stockholm)</dd>" in html
    assert f"<dt>Beräknad</dt><dd>{_stockholm(run['created_at'])}</dd>" in html
    assert f"<dt>Godkänd</dt><dd>{_stockholm(run['approved_at'])}</dd>" in html
    assert "+00:00" not in html
