"""Fakes of the listing and payment services (httpx MockTransport) and an app wired to them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.lastresort.db.migrate import migrate
from services.lastresort.main import create_app
from shared.auth import mint_token
from shared.settings import Settings

YEAR = 2026
# The business date the tests run on, fixed and relative to YEAR so that nothing moves with the
# calendar: YEAR is over (its last count date, 31 December, has come) and YEAR + 1 is not.
TODAY = dt.date(YEAR + 1, 1, 15)


def hsa(suffix: str) -> str:
    return f"SE2321000218-{suffix}"


def unit(
    suffix: str,
    *,
    municipality: str,
    ownership: str = "region",
    care_type: str = "primary",
    active_from: str = "2020-01-01",
    active_to: str | None = None,
) -> dict[str, Any]:
    return {
        "hsa_id": hsa(suffix),
        "name": f"Unit {suffix}",
        "municipality_code": municipality,
        "ownership": ownership,
        "care_type": care_type,
        "lat": None,
        "lon": None,
        "distance_to_hospital_km": "10",
        "active_from": active_from,
        "active_to": active_to,
    }


# A fault a fake peer shows instead of its answer: it may raise (an httpx error: the peer is
# unreachable) or answer itself; None lets the fake answer as usual.
Fault = Callable[[httpx.Request], httpx.Response | None]


# The region's municipalities as the fake listing service answers GET /v1/region: Jämtland's.
JAMTLAND = {
    "2303": "Ragunda",
    "2305": "Bräcke",
    "2309": "Krokom",
    "2313": "Strömsund",
    "2321": "Åre",
    "2326": "Berg",
    "2361": "Härjedalen",
    "2380": "Östersund",
}


@dataclass
class FakeListing:
    """Units by HSA-id, listed counts by (date, care type) and the region's municipalities."""

    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    # The query of each GET /v1/units, in order (units have a history: asked on a date).
    unit_queries: list[dict[str, str]] = field(default_factory=list)
    # The query of each GET /v1/counts, in order.
    count_queries: list[dict[str, str]] = field(default_factory=list)
    fault: Fault | None = None
    region_code: str = "23"
    municipalities: dict[str, str] = field(default_factory=lambda: dict(JAMTLAND))

    def region(self) -> dict[str, Any]:
        return {
            "code": self.region_code,
            "county_codes": sorted({c[:2] for c in self.municipalities}),
            "municipalities": [
                {"code": c, "name": n, "county_code": c[:2]}
                for c, n in sorted(self.municipalities.items())
            ],
        }

    def add(self, u: dict[str, Any], listed: int | None = None) -> None:
        """The unit, listed with the same count on each of the year's count dates."""
        self.units[u["hsa_id"]] = u
        if listed is not None:
            for date in COUNT_DATES:
                self.counts.setdefault((date, u["care_type"]), {})[u["hsa_id"]] = listed

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        assert request.headers["Authorization"].startswith("Bearer ")
        if self.fault is not None and (faulty := self.fault(request)) is not None:
            return faulty
        path = request.url.path
        if path == "/v1/region":
            return httpx.Response(200, json=self.region())
        if path == "/v1/units":
            self.unit_queries.append(dict(request.url.params))
            return httpx.Response(200, json=list(self.units.values()))
        if path.startswith("/v1/units/"):
            u = self.units.get(path.removeprefix("/v1/units/"))
            return httpx.Response(200, json=u) if u else httpx.Response(404, json={"status": 404})
        if path == "/v1/counts":
            date, care = request.url.params["date"], request.url.params["care_type"]
            self.count_queries.append(dict(request.url.params))
            per_unit = self.counts.get((date, care), {})
            rows = [
                {"hsa_id": h, "listed": n, "by_age_sex": [], "by_deso": []}
                for h, n in per_unit.items()
            ]
            return httpx.Response(
                200,
                json={
                    "date": date,
                    "care_type": care,
                    "as_known_at": request.url.params.get("as_known_at", COUNTS_KNOWN_AT),
                    "total": sum(per_unit.values()),
                    "units": rows,
                },
            )
        return httpx.Response(404, json={"status": 404})


# The moment the fake's counts say they are known at when not asked for one.
COUNTS_KNOWN_AT = "2027-01-02T08:00:00+00:00"
# The fake payment runs' count dates (the first of each month) and the moments they were
# counted as known at (the next day, 06:00 UTC).
COUNT_DATES = [f"{YEAR}-{m:02d}-01" for m in range(1, 13)]


def run_known_at(period: str) -> str:
    return f"{period}-02T06:00:00+00:00"


@dataclass
class FakePayment:
    """Approved statements: period -> (version, {hsa_id: total_sek})."""

    approved: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    fault: Fault | None = None

    def approve_year(
        self, totals: dict[str, str], *, months: range = range(1, 13), version: int = 1
    ) -> None:
        for mth in months:
            self.approved[f"{YEAR}-{mth:02d}"] = (version, dict(totals))

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/statements"
        assert request.url.params["approved_only"] == "true"
        if self.fault is not None and (faulty := self.fault(request)) is not None:
            return faulty
        period = request.url.params["period"]
        if period not in self.approved:
            return httpx.Response(200, json={"period": period, "version": None, "statements": []})
        version, totals = self.approved[period]
        statements = [
            {
                "statement_id": f"s-{period}-{h}",
                "run_id": f"r-{period}",
                "period": period,
                "version": version,
                "status": "approved",
                "count_date": f"{period}-01",
                "as_known_at": run_known_at(period),
                "model_year": YEAR,
                "model_version": 1,
                "hsa_id": h,
                "listed": 1,
                "lines": [],
                "total_sek": t,
            }
            for h, t in totals.items()
        ]
        return httpx.Response(
            200, json={"period": period, "version": version, "statements": statements}
        )


@dataclass
class Env:
    client: TestClient
    settings: Settings
    listing: FakeListing
    payment: FakePayment
    database_url: str
    # A model PUT through `put` is approved by a second person (test:finance), as the region
    # does before settling; tests of the approval itself turn this off.
    approve_models: bool = True

    def token(
        self, *roles: str, sub: str = "test:user", hsa_ids: tuple[str, ...] = ()
    ) -> dict[str, str]:
        return {
            "Authorization": "Bearer "
            + mint_token(self.settings, sub=sub, roles=roles, hsa_ids=hsa_ids)
        }

    @property
    def admin(self) -> dict[str, str]:
        return self.token("region_admin", sub="test:admin")

    @property
    def finance(self) -> dict[str, str]:
        return self.token("finance_approver", sub="test:finance")

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        r = self.client.put(
            path,
            content=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or self.admin)},
        )
        if self.approve_models and path.startswith("/v1/models/") and r.status_code < 300:
            put = r.json()
            if put["status"] == "draft":
                query = "" if put["applies_to"] == "all" else f"?care_type={put['applies_to']}"
                approved = self.client.post(
                    f"/v1/models/{put['year']}/versions/{put['version']}/approve{query}",
                    headers=self.finance,
                )
                assert approved.status_code == 200, approved.text
        return r

    def approve_settlement(self, body: dict[str, Any]) -> dict[str, Any]:
        """Approve a settlement answer's version as a second person (test:finance)."""
        r = self.client.post(
            f"/v1/settlements/{body['year']}/versions/{body['version']}/approve"
            f"?care_type={body['care_type']}",
            headers=self.finance,
        )
        assert r.status_code == 200, r.text
        approved: dict[str, Any] = r.json()
        return approved


@pytest.fixture
def make_env(new_database_url: Callable[[str], str]) -> Iterator[Callable[..., Env]]:
    """Envs on a business date of the test's choosing (`env` is the one on TODAY)."""
    made: list[TestClient] = []

    def make(*, today: dt.date = TODAY) -> Env:
        url = new_database_url("lastresort")
        migrate(url)
        settings = Settings(env="test", halsoval_today=today)
        listing, payment = FakeListing(), FakePayment()
        app = create_app(
            settings,
            database_url=url,
            listing_transport=httpx.MockTransport(listing.handler),
            payment_transport=httpx.MockTransport(payment.handler),
        )
        client = TestClient(app)
        client.__enter__()
        made.append(client)
        return Env(client, settings, listing, payment, url)

    yield make
    for c in made:
        c.__exit__(None, None, None)


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    return make_env()


def dec_date(year: int = YEAR) -> dt.date:
    return dt.date(year, 12, 31)
