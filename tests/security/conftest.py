"""The three services wired together as in production, but in-process.

Each app is built with its own create_app on its own freshly migrated database, in
identity-provider mode: RS256 tokens checked against a JWKS file, with an issuer and an
audience. Payment and last-resort reach their peers through the peers' real apps (an
in-process transport), presenting their own IdP-signed service token (SERVICE_TOKEN_FILE).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from services.lastresort.db.migrate import migrate as migrate_lastresort
from services.lastresort.main import create_app as lastresort_app
from services.listing.db.migrate import migrate as migrate_listing
from services.listing.main import create_app as listing_app
from services.payment.db.migrate import migrate as migrate_payment
from services.payment.main import create_app as payment_app
from shared.db import make_engine
from shared.ids import make_identity_number
from shared.settings import Settings
from tests.conftest import USE_POSTGRES, _create_pg_database, _drop_pg_database

ISSUER = "https://idp.region.test"
AUDIENCE = "halsoval-test"
KID = "region-key-1"
YEAR = 2026
# The business date, fixed and relative to YEAR: every month of YEAR can run and the year can be
# settled, whatever the calendar says.
TODAY = dt.date(YEAR + 1, 1, 15)
A = "SE2321000207-A001"  # the victim provider's unit
B = "SE2321000207-B002"  # the attacking provider's unit
PERSONS = [
    make_identity_number(dt.date(1950 + i, 1 + i % 12, 1 + i % 28), 100 + i) for i in range(6)
]
SERVICES = ("listing", "payment", "lastresort")


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


REGION_KEY = _rsa()
OTHER_KEY = _rsa()


def sign(
    *,
    sub: str,
    roles: list[str],
    hsa_ids: list[str] | None = None,
    key: Any = REGION_KEY,
    kid: str = KID,
    alg: str = "RS256",
    **over: Any,
) -> str:
    """A token as the region's identity provider would issue it (override any claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": roles,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    }
    if hsa_ids is not None:
        claims["hsa_ids"] = hsa_ids
    claims.update(over)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_role(role: str, sub: str | None = None, hsa_ids: list[str] | None = None) -> dict[str, str]:
    return bearer(sign(sub=sub or f"test:{role}", roles=[role], hsa_ids=hsa_ids))


def idp_settings(tmp: Path) -> Settings:
    jwks = tmp / "jwks.json"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(REGION_KEY.public_key()))
    jwks.write_text(json.dumps({"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}))
    token_file = tmp / "service-token"
    token_file.write_text(sign(sub="service:test", roles=["service"], exp=int(time.time()) + 86400))
    return Settings(
        env="test",
        demo=False,
        auth_jwks_file=jwks,
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
        service_token_file=token_file,
        audit_hash_key="security-test-key",
        halsoval_today=TODAY,
    )


class Databases:
    """Fresh databases that outlive one test (module-scoped systems)."""

    def __init__(self, tmp: Path, admin_url: str | None) -> None:
        self.tmp, self.admin_url = tmp, admin_url
        self.created: list[str] = []

    def make(self, label: str) -> str:
        if self.admin_url is None:
            return f"sqlite:///{self.tmp / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"halsoval_test_sec_{label}_{uuid.uuid4().hex[:10]}"
        self.created.append(name)
        return _create_pg_database(self.admin_url, name)

    def drop_all(self) -> None:
        for name in self.created:
            assert self.admin_url is not None
            _drop_pg_database(self.admin_url, name)


def snapshot(engine: Engine) -> str:
    """A digest of every row of every table: equal digests mean nothing changed."""
    metadata = MetaData()
    metadata.reflect(engine)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for name in sorted(metadata.tables):
            rows = sorted(repr(tuple(r)) for r in conn.execute(select(metadata.tables[name])))
            digest.update(name.encode() + b"\0" + "\n".join(rows).encode())
    return digest.hexdigest()


@dataclass
class System:
    settings: Settings
    apps: dict[str, FastAPI]
    clients: dict[str, TestClient]
    urls: dict[str, str]
    engines: dict[str, Engine] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def snapshot(self, service: str) -> str:
        return snapshot(self.engines[service])


def _transport(client: TestClient) -> httpx.BaseTransport:
    return client._transport  # the in-process ASGI transport of the peer's TestClient


def build_system(
    tmp: Path,
    dbs: Databases,
    wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] = lambda t: t,
) -> Iterator[System]:
    """The three apps on fresh migrated databases, peers wired to each other in-process.

    `wrap` can wrap the service-to-service transports (to record those calls too).
    """
    settings = idp_settings(tmp)
    urls = {name: dbs.make(name) for name in SERVICES}
    migrate_listing(urls["listing"])
    migrate_payment(urls["payment"])
    migrate_lastresort(urls["lastresort"])
    listing = listing_app(settings, database_url=urls["listing"])
    with TestClient(listing) as lc:
        payment = payment_app(
            settings, database_url=urls["payment"], listing_transport=wrap(_transport(lc))
        )
        with TestClient(payment) as pc:
            lastresort = lastresort_app(
                settings,
                database_url=urls["lastresort"],
                listing_transport=wrap(_transport(lc)),
                payment_transport=wrap(_transport(pc)),
            )
            with TestClient(lastresort) as rc:
                system = System(
                    settings=settings,
                    apps={"listing": listing, "payment": payment, "lastresort": lastresort},
                    clients={"listing": lc, "payment": pc, "lastresort": rc},
                    urls=urls,
                    engines={n: make_engine(u) for n, u in urls.items()},
                )
                try:
                    yield system
                finally:
                    for engine in system.engines.values():
                        engine.dispose()


ADMIN = as_role("region_admin", "alice@region")
FINANCE = as_role("finance_approver", "bob@region")


def _unit(municipality: str) -> dict[str, Any]:
    return {
        "name": "Hälsocentral",
        "municipality_code": municipality,
        "ownership": "region",
        "care_type": "primary",
        "lat": 63.18,
        "lon": 14.64,
        "distance_to_hospital_km": "12.5",
        "active_from": "2020-01-01",
        "active_to": None,
    }


PAYMENT_MODEL: dict[str, Any] = {
    "annual_budget_sek": "1200000.00",
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


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), (response.request.url, response.text)
    return response.json() if response.content else None


def seed(system: System, *, months: range = range(1, 13)) -> None:
    """Units A and B, a register, listings, approved payment runs and (a full year) a settlement.

    `months` must include March, the period the attack tests read.
    """
    lc, pc, rc = (system.clients[n] for n in SERVICES)
    for hsa_id, municipality in ((A, "2303"), (B, "2380")):
        ok(lc.put(f"/v1/units/{hsa_id}", json=_unit(municipality), headers=ADMIN))
    rows = [
        "personnummer,municipality_code,deso_code,lat,lon,protected_identity,deceased_on,"
        "moved_out_on"
    ]
    rows += [f"{p},2380,2380C1010,63.18,14.64,false,," for p in PERSONS]
    ok(
        lc.post(
            "/v1/register/import",
            content=("\n".join(rows) + "\n").encode(),
            headers={**ADMIN, "Content-Type": "text/csv"},
        )
    )
    for i, p in enumerate(PERSONS):
        ok(
            lc.post(
                "/v1/listings",
                json={
                    "personnummer": p,
                    "hsa_id": A if i % 2 else B,
                    "valid_from": "2025-01-01",
                    "reason": "choice",
                },
                headers=ADMIN,
            )
        )
    model = ok(pc.put(f"/v1/models/{YEAR}", json=PAYMENT_MODEL, headers=ADMIN))
    ok(pc.post(f"/v1/models/{YEAR}/versions/{model['version']}/approve", headers=FINANCE))
    for month in months:
        run = ok(pc.post("/v1/runs", json={"period": f"{YEAR}-{month:02d}"}, headers=ADMIN))
        ok(pc.post(f"/v1/runs/{run['run_id']}/approve", headers=FINANCE))
    statements = ok(pc.get("/v1/statements", params={"period": f"{YEAR}-03"}, headers=ADMIN))
    system.facts["statement_of"] = {
        s["hsa_id"]: s["statement_id"] for s in statements["statements"]
    }
    system.facts["run_id"] = statements["statements"][0]["run_id"]
    if len(months) >= 3:
        payout = ok(
            pc.post(
                "/v1/payouts", json={"period": f"{YEAR}-03", "care_type": "primary"}, headers=ADMIN
            )
        )
        ok(pc.post(f"/v1/payouts/{payout['payout_id']}/approve", headers=FINANCE))
        system.facts["payout_id"] = payout["payout_id"]
    for municipality, hsa_id in (("2303", A), ("2380", B)):
        ok(
            rc.put(
                f"/v1/designations/{YEAR}/primary/{municipality}",
                json={"hsa_id": hsa_id},
                headers=ADMIN,
            )
        )
        ok(
            rc.put(
                f"/v1/accounts/{YEAR}/{hsa_id}",
                json={
                    "costs_sek": "900000.00",
                    "other_revenue_sek": "1000.00",
                    "targeted_grants_sek": "0.00",
                },
                headers=ADMIN,
            )
        )
    lr_model = ok(
        rc.put(
            f"/v1/models/{YEAR}",
            json={
                "method": "deficit_capped",
                "coverage": "0.9",
                "cap_sek": "5000000.00",
                "neutrality": {"enabled": False},
            },
            headers=ADMIN,
        )
    )
    ok(rc.post(f"/v1/models/{YEAR}/versions/{lr_model['version']}/approve", headers=FINANCE))
    if len(months) == 12:
        settled = ok(
            rc.post("/v1/settlements", json={"year": YEAR, "care_type": "primary"}, headers=ADMIN)
        )
        ok(
            rc.post(
                f"/v1/settlements/{YEAR}/versions/{settled['version']}/approve",
                params={"care_type": "primary"},
                headers=FINANCE,
            )
        )


@pytest.fixture(scope="module")
def databases(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Databases]:
    admin = request.getfixturevalue("postgres_admin_url") if USE_POSTGRES else None
    dbs = Databases(tmp_path_factory.mktemp("security-db"), admin)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="module")
def seeded_system(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[System]:
    """One seeded system per test module (building it takes seconds, not milliseconds)."""
    for system in build_system(tmp_path_factory.mktemp("security"), databases):
        seed(system)
        yield system
