"""A corpus of bad bodies and parameters: each is a 422 problem+json naming the field, and
nothing changed (a digest of every table before and after).

One seeded system per module (designations, accounts, a model and a settlement), so that a bad
request that did write would show in the digest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from services.lastresort.db.migrate import migrate
from services.lastresort.main import create_app
from shared.auth import mint_token
from shared.db import make_engine
from shared.settings import Settings
from tests.conftest import USE_POSTGRES
from tests.lastresort.conftest import TODAY, YEAR, FakeListing, FakePayment, hsa, unit
from tests.security.conftest import Databases, snapshot

R1, R2 = hsa("R1"), hsa("R2")
DEFICIT = {
    "method": "deficit_capped",
    "coverage": "0.9",
    "cap_sek": "5000000.00",
    "neutrality": {"enabled": False},
}
FIXED = {
    "method": "fixed_sum",
    "annual_sek_by_municipality": {"2303": "1.00"},
    "neutrality": {"enabled": False},
}
ACCOUNT = {"costs_sek": "100.00", "other_revenue_sek": "0.00", "targeted_grants_sek": "0.00"}
SETTLE = {"year": YEAR, "care_type": "primary"}
NOT_UTF8 = b'{"hsa_id": "SE2321000218-R\xe9"}'


@dataclass
class Seeded:
    client: TestClient
    engine: Engine
    admin: dict[str, str]


@pytest.fixture(scope="module")
def seeded(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Seeded]:
    admin_url = request.getfixturevalue("postgres_admin_url") if USE_POSTGRES else None
    dbs = Databases(tmp_path_factory.mktemp("lastresort-bad-input"), admin_url)
    url = dbs.make("lastresort")
    migrate(url)
    settings = Settings(env="test", halsoval_today=TODAY)
    listing, payment = FakeListing(), FakePayment()
    listing.add(unit("R1", municipality="2303"), 1000)
    listing.add(unit("R2", municipality="2380"), 3000)
    payment.approve_year({R1: "1000000.00", R2: "2500000.50"})
    app = create_app(
        settings,
        database_url=url,
        listing_transport=httpx.MockTransport(listing.handler),
        payment_transport=httpx.MockTransport(payment.handler),
    )
    admin = {
        "Authorization": "Bearer " + mint_token(settings, sub="test:admin", roles=["region_admin"])
    }
    engine = make_engine(url)
    try:
        with TestClient(app) as client:
            for muni, h in (("2303", R1), ("2380", R2)):
                r = client.put(
                    f"/v1/designations/{YEAR}/primary/{muni}", json={"hsa_id": h}, headers=admin
                )
                assert r.status_code == 200, r.text
                r = client.put(f"/v1/accounts/{YEAR}/{h}", json=ACCOUNT, headers=admin)
                assert r.status_code == 200, r.text
            assert client.put(f"/v1/models/{YEAR}", json=DEFICIT, headers=admin).status_code == 201
            finance = {
                "Authorization": "Bearer "
                + mint_token(settings, sub="test:finance", roles=["finance_approver"])
            }
            approve = f"/v1/models/{YEAR}/versions/1/approve"
            assert client.post(approve, headers=finance).status_code == 200
            assert client.post("/v1/settlements", json=SETTLE, headers=admin).status_code == 201
            yield Seeded(client, engine, admin)
    finally:
        engine.dispose()
        dbs.drop_all()


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    field: str
    body: Any = None
    raw: bytes | None = None
    params: dict[str, str] | None = None
    content_type: str = "application/json"


def model(**change: Any) -> dict[str, Any]:
    return {**DEFICIT, **change}


def fixed(annual: dict[str, Any]) -> dict[str, Any]:
    return {**FIXED, "annual_sek_by_municipality": annual}


def neutrality(enabled: Any) -> dict[str, Any]:
    return model(neutrality={"enabled": enabled, "scope": "region"})


def account(**change: Any) -> dict[str, Any]:
    return {**ACCOUNT, **change}


def settle(**change: Any) -> dict[str, Any]:
    return {**SETTLE, **change}


PUT_DESIGNATION = f"/v1/designations/{YEAR}/primary/2303"
PUT_ACCOUNT = f"/v1/accounts/{YEAR}/{R1}"
PUT_MODEL = f"/v1/models/{YEAR}"
SETTLEMENTS = f"/v1/settlements/{YEAR}"

CASES: dict[str, Case] = {
    # --- years in every path: 2000..2100, ASCII digits
    "year below 2000": Case("GET", "/v1/designations/1999", "year"),
    "year above 2100": Case("GET", "/v1/models/2101", "year"),
    "year as a word": Case("GET", "/v1/accounts/twenty", "year"),
    "year beyond int64": Case("GET", "/v1/settlements/99999999999999999999999", "year"),
    "year with a fraction": Case("GET", "/v1/settlements/2026.5", "year"),
    "year in Arabic-Indic digits": Case("PUT", "/v1/models/٢٠٢٦", "year", body=DEFICIT),
    "year of a designation put": Case(
        "PUT", "/v1/designations/1999/primary/2303", "year", body={"hsa_id": R1}
    ),
    "year of an account put": Case("PUT", f"/v1/accounts/2101/{R1}", "year", body=ACCOUNT),
    "year of an account read": Case("GET", f"/v1/accounts/1999/{R1}", "year"),
    # --- care types and municipality codes in paths and queries
    "care type in the path": Case(
        "PUT", f"/v1/designations/{YEAR}/surgery/2303", "care_type", body={"hsa_id": R1}
    ),
    "care type in a query": Case("GET", SETTLEMENTS, "care_type", params={"care_type": "eye"}),
    "care type in capitals": Case(
        "PUT", PUT_MODEL, "care_type", body=DEFICIT, params={"care_type": "PRIMARY"}
    ),
    "care type of designations": Case(
        "GET", f"/v1/designations/{YEAR}", "care_type", params={"care_type": ""}
    ),
    "municipality of three digits": Case(
        "PUT", f"/v1/designations/{YEAR}/primary/238", "municipality_code", body={"hsa_id": R1}
    ),
    "municipality of five digits": Case(
        "PUT", f"/v1/designations/{YEAR}/primary/23800", "municipality_code", body={"hsa_id": R1}
    ),
    "municipality in fullwidth digits": Case(
        "PUT", f"/v1/designations/{YEAR}/primary/２３８０", "municipality_code", body={"hsa_id": R1}
    ),
    "municipality outside the region": Case(
        "PUT", f"/v1/designations/{YEAR}/primary/0180", "municipality_code", body={"hsa_id": R1}
    ),
    # --- HSA-ids in paths and bodies
    "HSA-id without its local part": Case("GET", f"/v1/accounts/{YEAR}/SE2321000218", "hsa_id"),
    "HSA-id too long": Case(
        "PUT", f"/v1/accounts/{YEAR}/SE2321000218-{'X' * 40}", "hsa_id", body=ACCOUNT
    ),
    "HSA-id with fullwidth digits": Case("GET", f"/v1/accounts/{YEAR}/SE２３21000218-R1", "hsa_id"),
    "HSA-id in a body": Case("PUT", PUT_DESIGNATION, "hsa_id", body={"hsa_id": "R1"}),
    "HSA-id as a number": Case("PUT", PUT_DESIGNATION, "hsa_id", body={"hsa_id": 2321000218}),
    "HSA-id null": Case("PUT", PUT_DESIGNATION, "hsa_id", body={"hsa_id": None}),
    "HSA-id missing": Case("PUT", PUT_DESIGNATION, "hsa_id", body={}),
    "designation with an extra key": Case(
        "PUT", PUT_DESIGNATION, "valid_from", body={"hsa_id": R1, "valid_from": "2026-01-01"}
    ),
    # --- integers in queries: versions 1..2^31-1
    "version 0": Case(
        "GET", SETTLEMENTS, "version", params={"care_type": "primary", "version": "0"}
    ),
    "version beyond int32": Case(
        "GET", SETTLEMENTS, "version", params={"care_type": "primary", "version": "2147483648"}
    ),
    "version with an exponent": Case(
        "GET", SETTLEMENTS, "version", params={"care_type": "primary", "version": "1e3"}
    ),
    "version as a word": Case(
        "GET", SETTLEMENTS, "version", params={"care_type": "primary", "version": "one"}
    ),
    "version without care type": Case("GET", SETTLEMENTS, "version", params={"version": "1"}),
    # --- amounts in accounts: SEK, non-negative, <= 10^12, two decimals, plain notation
    "negative amount": Case("PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek="-1.00")),
    "fractions of an öre": Case("PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek="1.001")),
    "amount above 10^12": Case(
        "PUT", PUT_ACCOUNT, "other_revenue_sek", body=account(other_revenue_sek="1000000000000.01")
    ),
    "amount with an exponent": Case("PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek="1E3")),
    "amount with a decimal comma": Case(
        "PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek="100,50")
    ),
    "amount as a float": Case("PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek=100.5)),
    "amount as a boolean": Case("PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek=True)),
    "amount null": Case(
        "PUT", PUT_ACCOUNT, "targeted_grants_sek", body=account(targeted_grants_sek=None)
    ),
    "amount NaN": Case("PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek="NaN")),
    "amount empty": Case("PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek="")),
    "amount in Arabic-Indic digits": Case(
        "PUT", PUT_ACCOUNT, "costs_sek", body=account(costs_sek="١٠٠")
    ),
    "amount missing": Case(
        "PUT",
        PUT_ACCOUNT,
        "targeted_grants_sek",
        body={k: v for k, v in ACCOUNT.items() if k != "targeted_grants_sek"},
    ),
    "account with an extra key": Case(
        "PUT", PUT_ACCOUNT, "rent_sek", body=account(rent_sek="1.00")
    ),
    # --- models: coverage a share 0..1 with at most 18 decimals, amounts as SEK, flags true/false
    "coverage above 1": Case(
        "PUT", PUT_MODEL, "deficit_capped.coverage", body=model(coverage="1.5")
    ),
    "coverage below 0": Case(
        "PUT", PUT_MODEL, "deficit_capped.coverage", body=model(coverage="-0.1")
    ),
    "coverage with an exponent": Case(
        "PUT", PUT_MODEL, "deficit_capped.coverage", body=model(coverage="9E-1")
    ),
    "coverage with 19 decimals": Case(
        "PUT", PUT_MODEL, "deficit_capped.coverage", body=model(coverage="0.9000000000000000000")
    ),
    "coverage as a float": Case(
        "PUT", PUT_MODEL, "deficit_capped.coverage", body=model(coverage=0.9)
    ),
    "coverage as a percentage": Case(
        "PUT", PUT_MODEL, "deficit_capped.coverage", body=model(coverage="90%")
    ),
    "coverage with a decimal comma": Case(
        "PUT", PUT_MODEL, "deficit_capped.coverage", body=model(coverage="0,9")
    ),
    "cap negative": Case("PUT", PUT_MODEL, "deficit_capped.cap_sek", body=model(cap_sek="-1.00")),
    "cap above 10^12": Case(
        "PUT", PUT_MODEL, "deficit_capped.cap_sek", body=model(cap_sek="1000000000001")
    ),
    "flag as yes": Case(
        "PUT", PUT_MODEL, "deficit_capped.neutrality.enabled", body=neutrality("yes")
    ),
    "flag as a string": Case(
        "PUT", PUT_MODEL, "deficit_capped.neutrality.enabled", body=neutrality("true")
    ),
    "flag as 1": Case("PUT", PUT_MODEL, "deficit_capped.neutrality.enabled", body=neutrality(1)),
    "flag null": Case("PUT", PUT_MODEL, "deficit_capped.neutrality.enabled", body=neutrality(None)),
    "neutrality scope unknown": Case(
        "PUT",
        PUT_MODEL,
        "deficit_capped.neutrality.scope",
        body=model(neutrality={"enabled": True, "scope": "county"}),
    ),
    "method unknown": Case("PUT", PUT_MODEL, "method", body=model(method="lottery")),
    "method missing": Case(
        "PUT", PUT_MODEL, "method", body={k: v for k, v in DEFICIT.items() if k != "method"}
    ),
    "model with an extra key": Case(
        "PUT", PUT_MODEL, "deficit_capped.surprise", body=model(surprise=True)
    ),
    "map without municipalities": Case(
        "PUT", PUT_MODEL, "fixed_sum.annual_sek_by_municipality", body=fixed({})
    ),
    "map of 291 municipalities": Case(
        "PUT",
        PUT_MODEL,
        "fixed_sum.annual_sek_by_municipality",
        body=fixed({f"{i:04d}": "1.00" for i in range(291)}),
    ),
    "map key not a municipality code": Case(
        "PUT",
        PUT_MODEL,
        "fixed_sum.annual_sek_by_municipality.23.[key]",
        body=fixed({"23": "1.00"}),
    ),
    "map amount negative": Case(
        "PUT", PUT_MODEL, "fixed_sum.annual_sek_by_municipality.2303", body=fixed({"2303": "-5.00"})
    ),
    "map municipality outside the region": Case(
        "PUT", PUT_MODEL, "annual_sek_by_municipality.0180", body=fixed({"0180": "1.00"})
    ),
    # --- settlement requests
    "settlement year below 2000": Case("POST", "/v1/settlements", "year", body=settle(year=1999)),
    "settlement year above 2100": Case("POST", "/v1/settlements", "year", body=settle(year=2101)),
    "settlement year as a word": Case(
        "POST", "/v1/settlements", "year", body=settle(year="twenty")
    ),
    "settlement year with a fraction": Case(
        "POST", "/v1/settlements", "year", body=settle(year=2026.5)
    ),
    "settlement year beyond int64": Case(
        "POST", "/v1/settlements", "year", body=settle(year=10**20)
    ),
    "settlement year null": Case("POST", "/v1/settlements", "year", body=settle(year=None)),
    "settlement care type unknown": Case(
        "POST", "/v1/settlements", "care_type", body=settle(care_type="eye")
    ),
    "settlement with an extra key": Case(
        "POST", "/v1/settlements", "force", body=settle(force=True)
    ),
    # --- bodies that are no JSON object
    "body a list": Case("POST", "/v1/settlements", "body", body=[SETTLE]),
    "body a string": Case("PUT", PUT_ACCOUNT, "body", body="costs"),
    "model body a list": Case("PUT", PUT_MODEL, "body", body=[DEFICIT]),
    # FastAPI names the character position where malformed JSON breaks.
    "body malformed JSON": Case("PUT", PUT_MODEL, "body", raw=b'{"method": "fixed_sum",'),
    "body not UTF-8": Case("PUT", PUT_DESIGNATION, "body", raw=NOT_UTF8),
    "body not UTF-8 (settlement)": Case(
        "POST", "/v1/settlements", "body", raw=b'{"year": 2026, "care_type": "prim\xe4ry"}'
    ),
    "body nested too deeply": Case("PUT", PUT_ACCOUNT, "body", raw=b"[" * 100_000),
    "body as text/plain": Case(
        "PUT", PUT_ACCOUNT, "body", raw=json.dumps(ACCOUNT).encode(), content_type="text/plain"
    ),
    "body empty": Case("POST", "/v1/settlements", "body", raw=b""),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    seeded: Seeded, name: str
) -> None:
    case = CASES[name]
    before = snapshot(seeded.engine)
    content = case.raw if case.raw is not None else json.dumps(case.body).encode()
    r = seeded.client.request(
        case.method,
        case.path,
        content=content if case.method != "GET" else None,
        params=case.params,
        headers={**seeded.admin, "Content-Type": case.content_type},
    )
    assert r.status_code == 422, (name, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert case.field in fields, (name, r.json())
    assert snapshot(seeded.engine) == before, f"{name} changed the stored state"


def test_the_seeded_state_reads_back(seeded: Seeded) -> None:
    """The corpus ran against real data: the settlement and its inputs are there."""
    r = seeded.client.get(SETTLEMENTS, headers=seeded.admin)
    assert r.status_code == 200 and r.json()["settlements"][0]["version"] == 1
    assert seeded.client.get(PUT_ACCOUNT, headers=seeded.admin).json()["costs_sek"] == "100.00"
