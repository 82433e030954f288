"""Payment test fixtures: a fake listing service over an httpx transport, the app, tokens."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.payment.db.migrate import migrate
from services.payment.main import create_app
from services.payment.settings import PaymentConfig
from shared.auth import mint_token
from shared.settings import Settings

# The business date the tests run on, fixed so that nothing moves with the calendar: the day of
# issue 11's example, when every month of 2026 can run and 2027-01 (counting on 2026-12-31)
# cannot yet.
YEAR = 2026
TODAY = dt.date(YEAR, 12, 1)
SETTINGS = Settings(env="test", demo=False, halsoval_today=TODAY)
A, B, C = "SE2321000207-A001", "SE2321000207-B002", "SE2321000207-C003"


def unit_json(
    hsa_id: str,
    distance: str,
    *,
    name: str | None = None,
    care_type: str = "primary",
    active_from: str = "2020-01-01",
    active_to: str | None = None,
) -> dict[str, Any]:
    return {
        "hsa_id": hsa_id,
        "name": name or f"Hälsocentral {hsa_id[-4:]}",
        "municipality_code": "2380",
        "ownership": "private",
        "care_type": care_type,
        "distance_to_hospital_km": distance,
        "active_from": active_from,
        "active_to": active_to,
    }


def count_json(hsa_id: str, ages: dict[int, int], desos: dict[str | None, int]) -> dict[str, Any]:
    """A unit's aggregated counts; ages {age: count}, desos {code or None: count}."""
    assert sum(ages.values()) == sum(desos.values())
    return {
        "hsa_id": hsa_id,
        "listed": sum(ages.values()),
        "by_age_sex": [
            {"age": a, "sex": "F" if a % 2 else "M", "count": n} for a, n in ages.items()
        ],
        "by_deso": [{"deso_code": d, "count": n} for d, n in desos.items()],
    }


@dataclass
class FakeListing:
    """The listing service's routes, with a history so that as_known_at re-reads the past.

    `units` are known from the start for their whole life; `edit_unit` records a later
    version (from a date, or for the whole life) and its unit_changed entry in the feed, and
    `change` any other feed entry. Counts, unit versions and feed entries share one clock.
    """

    units: list[dict[str, Any]] = field(default_factory=list)
    history: list[tuple[dt.datetime, list[dict[str, Any]]]] = field(default_factory=list)
    unit_edits: list[tuple[dt.datetime, dt.date | None, dict[str, Any]]] = field(
        default_factory=list
    )
    feed: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    excluded: list[dict[str, Any]] = field(default_factory=list)  # Counts.excluded
    calls: list[httpx.Request] = field(default_factory=list)
    clock: dt.datetime = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)

    def set_counts(self, units: list[dict[str, Any]]) -> dt.datetime:
        """New counts become known one minute after the previous ones (the same for every date)."""
        self.clock += dt.timedelta(minutes=1)
        self.history.append((self.clock, copy.deepcopy(units)))
        return self.clock

    def change(
        self,
        kind: str = "listing_created",
        *,
        affects_from: dt.date | None,
        affects_to: dt.date | None = None,
        care_type: str | None = "primary",
        **more: Any,
    ) -> dict[str, Any]:
        """A feed entry committed one minute after the last thing the fake knew."""
        self.clock += dt.timedelta(minutes=1)
        entry = {
            "cursor": len(self.feed) + 1,
            "recorded_at": self.clock.isoformat(),
            "kind": kind,
            "care_type": care_type,
            "affects_from": affects_from.isoformat() if affects_from else None,
            "affects_to": affects_to.isoformat() if affects_to else None,
            **more,
        }
        self.feed.append(entry)
        return entry

    def edit_unit(self, unit: dict[str, Any], *, effective_from: dt.date | None = None) -> None:
        """A unit's new version, from `effective_from` (None: its whole life), in the feed."""
        self.change(
            "unit_changed",
            affects_from=effective_from or dt.date.fromisoformat(unit["active_from"]),
            care_type=unit["care_type"],
            hsa_id=unit["hsa_id"],
        )
        self.unit_edits.append((self.clock, effective_from, copy.deepcopy(unit)))

    def units_on(self, day: dt.date | None, known: dt.datetime | None) -> list[dict[str, Any]]:
        found = {u["hsa_id"]: u for u in self.units}
        for at, effective_from, unit in self.unit_edits:
            if known is not None and at > known:
                continue
            if effective_from is None or day is None or effective_from <= day:
                found[unit["hsa_id"]] = unit
        return list(found.values())

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return httpx.Response(401)
        q = request.url.params
        if request.url.path == "/v1/units":
            day = dt.date.fromisoformat(q["date"]) if "date" in q else None
            known = dt.datetime.fromisoformat(q["as_known_at"]) if "as_known_at" in q else None
            return httpx.Response(200, json=self.units_on(day, known))
        if request.url.path == "/v1/changes":
            after, limit = int(q.get("after", "0")), int(q.get("limit", "100"))
            found = [c for c in self.feed if c["cursor"] > after][: limit + 1]
            page = found[:limit]
            more = len(found) > limit
            return httpx.Response(
                200,
                json={"changes": page, "next_after": page[-1]["cursor"] if more else None},
            )
        if request.url.path == "/v1/counts":
            known = (
                dt.datetime.fromisoformat(q["as_known_at"]) if "as_known_at" in q else self.clock
            )
            snapshot = [units for at, units in self.history if at <= known]
            rows = snapshot[-1] if snapshot else []
            return httpx.Response(
                200,
                json={
                    "date": q["date"],
                    "care_type": q["care_type"],
                    "as_known_at": known.isoformat(),
                    "total": sum(r["listed"] for r in rows),
                    "units": rows,
                    "excluded": self.excluded,
                },
            )
        return httpx.Response(404)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def three_units() -> FakeListing:
    """The hand-computed example of test_domain.py, as the listing service would answer it."""
    fake = FakeListing(units=[unit_json(A, "120"), unit_json(B, "40"), unit_json(C, "10")])
    fake.set_counts(
        [
            count_json(A, {30: 3, 70: 1}, {"2380C1010": 4}),
            count_json(B, {80: 2}, {"2380C1010": 1, None: 1}),
            count_json(C, {10: 1}, {"2380A0020": 1}),
        ]
    )
    return fake


def example_model(**changes: Any) -> dict[str, Any]:
    model: dict[str, Any] = {
        "annual_budget_sek": "1000000.00",
        "count_date_rule": "last_day_prev_month",
        "shares": {"capitation": "0.5", "cni": "0.3", "sparsity": "0.2"},
        "age_weights": [
            {"from_age": 0, "to_age": 64, "weight": "1"},
            {"from_age": 65, "to_age": None, "weight": "2"},
        ],
        "cni": {"default": "1.0", "by_deso": {"2380C1010": "2.0"}},
        "sparsity": {
            "distance_limits_km": [40, 100],
            "size_limits": [2000],
            "points": [[0, 0], [100, 50], [300, 200]],
        },
    }
    model.update(changes)
    return model


def auth(role: str, sub: str | None = None, hsa_ids: list[str] | None = None) -> dict[str, str]:
    token = mint_token(SETTINGS, sub=sub or f"test:{role}", roles=[role], hsa_ids=hsa_ids or [])
    return {"Authorization": f"Bearer {token}"}


# The tests follow the feed by calling the follower; the background poller gets its own test.
NO_POLLING = PaymentConfig(change_poll_s=0)

ADMIN = auth("region_admin", "alice")
FINANCE = auth("finance_approver", "bob")


@dataclass
class PaymentHarness:
    client: TestClient
    listing: FakeListing
    url: str

    def put_model(
        self, year: int = 2026, *, approve: bool = True, **changes: Any
    ) -> httpx.Response:
        """PUT the model as region_admin (alice) and, unless `approve` is False, approve the
        version written as finance_approver (bob): the four eyes runs need."""
        r = self.client.put(f"/v1/models/{year}", json=example_model(**changes), headers=ADMIN)
        if approve and r.status_code in (200, 201) and r.json()["status"] == "draft":
            version = r.json()["version"]
            a = self.approve_model(year, version)
            assert a.status_code == 200, a.text
        return r

    def approve_model(
        self, year: int, version: int, headers: dict[str, str] = FINANCE
    ) -> httpx.Response:
        return self.client.post(f"/v1/models/{year}/versions/{version}/approve", headers=headers)

    def run(self, period: str = "2026-03", headers: dict[str, str] = ADMIN) -> httpx.Response:
        return self.client.post("/v1/runs", json={"period": period}, headers=headers)

    def approve(self, run_id: str, headers: dict[str, str] = FINANCE) -> httpx.Response:
        return self.client.post(f"/v1/runs/{run_id}/approve", headers=headers)


@pytest.fixture
def make_harness(new_database_url: Callable[[str], str]) -> Iterator[Callable[..., PaymentHarness]]:
    made: list[TestClient] = []

    def make(
        listing: FakeListing | None = None,
        *,
        today: dt.date = TODAY,
        at_0001: Callable[[str], None] | None = None,
        config: PaymentConfig = NO_POLLING,
    ) -> PaymentHarness:
        """`at_0001` writes to the database as the first release left it, before the newer
        migrations run over it."""
        url = new_database_url("payment")
        if at_0001 is not None:
            migrate(url, "0001")
            at_0001(url)
        migrate(url)
        fake = listing or three_units()
        settings = SETTINGS.model_copy(update={"halsoval_today": today})
        client = TestClient(
            create_app(settings, database_url=url, config=config, listing_transport=fake.transport)
        )
        client.__enter__()
        made.append(client)
        return PaymentHarness(client, fake, url)

    yield make
    for c in made:
        c.__exit__(None, None, None)


@pytest.fixture
def harness(make_harness: Callable[..., PaymentHarness]) -> PaymentHarness:
    return make_harness()
