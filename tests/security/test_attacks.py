"""Every /v1 endpoint of every service under attack, parametrized from the apps' own routes.

A new endpoint is covered as soon as it exists: no token, expired, not yet valid, wrong
issuer, wrong audience, `alg: none`, another key, an unknown key id, HS256 with the
development secret or with the identity provider's public key: 401. A role that may not:
403. A provider aimed at another provider's unit (by id in path, query and body): 404/403, or
an answer without the other unit. Each leaves every table of the service unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader

from services.lastresort.main import create_app as lastresort_app
from services.listing.main import create_app as listing_app
from services.payment.main import create_app as payment_app
from shared.auth import Role, api_routes, route_roles
from shared.settings import DEFAULT_AUTH_SECRET, Settings
from tests.security.conftest import (
    AUDIENCE,
    ISSUER,
    KID,
    OTHER_KEY,
    REGION_KEY,
    YEAR,
    A,
    B,
    System,
    bearer,
    sign,
)

# Reference data every provider may read whatever the unit: public decisions and registers.
PUBLIC_TO_PROVIDERS = {
    ("listing", "GET", "/v1/units"),  # the region's care units (names, places) are public
    ("listing", "GET", "/v1/units/{hsa_id}"),
    ("listing", "GET", "/v1/region"),  # the region's municipalities: reference data, no unit
    ("lastresort", "GET", "/v1/designations/{year}"),  # who is designated is a public decision
    ("lastresort", "GET", "/v1/models/{year}"),  # the compensation model is public
}


@dataclass(frozen=True)
class Endpoint:
    service: str
    method: str
    path: str
    roles: frozenset[Role] | None
    query: tuple[str, ...]  # required query parameters
    has_body: bool

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"


def _params(dependant: Any) -> tuple[list[Any], list[Any]]:
    """Query and body parameters of a route and all its dependencies."""
    query, body = list(dependant.query_params), list(dependant.body_params)
    for sub in dependant.dependencies:
        q, b = _params(sub)
        query += q
        body += b
    return query, body


def _endpoints() -> list[Endpoint]:
    settings = Settings(env="test", demo=False)
    url = "sqlite:///:memory:"
    apps = {
        "listing": listing_app(settings, database_url=url),
        "payment": payment_app(settings, database_url=url),
        "lastresort": lastresort_app(settings, database_url=url),
    }
    found = []
    for service, app in apps.items():
        details = {}
        for path, methods, dependant in api_routes(app):
            query_params, body_params = _params(dependant)
            query = tuple(sorted(p.alias for p in query_params if p.field_info.is_required()))
            has_body = bool(body_params)
            for method in methods:
                details[(method, path)] = (query, has_body)
        for r in route_roles(app):
            if r.path.startswith("/v1"):
                query, has_body = details[(r.method, r.path)]
                found.append(Endpoint(service, r.method, r.path, r.roles, query, has_body))
    return found


ENDPOINTS = _endpoints()
IDS = [str(e) for e in ENDPOINTS]


def test_every_service_has_endpoints_and_each_declares_its_roles() -> None:
    assert {e.service for e in ENDPOINTS} == {"listing", "payment", "lastresort"}
    assert [str(e) for e in ENDPOINTS if not e.roles] == []


QUERY_VALUES = {
    "date": f"{YEAR}-02-28",
    "period": f"{YEAR}-03",
    "care_type": "primary",
    "year": str(YEAR),
}
VALID_BODIES: dict[tuple[str, str, str], Any] = {
    ("listing", "PUT", "/v1/units/{hsa_id}"): {
        "name": "Renamed",
        "municipality_code": "2303",
        "ownership": "private",
        "care_type": "primary",
        "distance_to_hospital_km": "1",
        "active_from": "2020-01-01",
    },
    ("payment", "POST", "/v1/runs"): {"period": f"{YEAR}-03"},
    ("lastresort", "POST", "/v1/settlements"): {"year": YEAR, "care_type": "primary"},
    ("lastresort", "PUT", "/v1/designations/{year}/{care_type}/{municipality_code}"): {"hsa_id": B},
    ("lastresort", "PUT", "/v1/accounts/{year}/{hsa_id}"): {
        "costs_sek": "1.00",
        "other_revenue_sek": "0.00",
        "targeted_grants_sek": "0.00",
    },
}


def _path(system: System, e: Endpoint, unit: str) -> str:
    values = {
        "hsa_id": unit,
        "year": str(YEAR),
        "care_type": "primary",
        "municipality_code": "2303",
        "period": f"{YEAR}-03",
        "run_id": system.facts["run_id"],
        "statement_id": system.facts["statement_of"][unit],
        "listing_id": "1",
        "version": "1",
        "payout_id": system.facts.get("payout_id", "0" * 32),
        "file_format": "csv",
    }
    path = e.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no test value for a path parameter of {e}"
    return path


def _call(
    system: System,
    e: Endpoint,
    headers: dict[str, str],
    *,
    unit: str = A,
    extra_query: dict[str, str] | None = None,
    body: Any = None,
) -> httpx.Response:
    client = system.clients[e.service]
    params = {q: QUERY_VALUES.get(q, "x") for q in e.query} | (extra_query or {})
    kwargs: dict[str, Any] = {"params": params, "headers": headers}
    if e.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = (
            body
            if body is not None
            else VALID_BODIES.get((e.service, e.method, e.path), {"hsa_id": unit})
        )
    return client.request(e.method, _path(system, e, unit), **kwargs)


def _hs256_with_public_key() -> str:
    pem = REGION_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    now = int(time.time())
    head = b64(json.dumps({"alg": "HS256", "kid": KID, "typ": "JWT"}).encode())
    body = b64(
        json.dumps(
            {
                "sub": "mallory",
                "roles": ["region_admin"],
                "iss": ISSUER,
                "aud": AUDIENCE,
                "exp": now + 600,
            }
        ).encode()
    )
    sig = b64(hmac.new(pem, head + b"." + body, hashlib.sha256).digest())
    return (head + b"." + body + b"." + sig).decode()


def _bad_tokens() -> dict[str, dict[str, str]]:
    """Every token here names region_admin (and the units): only its flaw stops it."""
    now = int(time.time())
    good: dict[str, Any] = {"sub": "mallory", "roles": [r.value for r in Role], "hsa_ids": [A, B]}
    return {
        "no token": {},
        "not bearer": {"Authorization": "Basic bWFsbG9yeTpzZWNyZXQ="},
        "garbage": bearer("not-a-token"),
        "expired": bearer(sign(**good, exp=now - 3600)),
        "not yet valid": bearer(sign(**good, nbf=now + 3600)),
        "wrong issuer": bearer(sign(**good, iss="https://idp.evil.test")),
        "wrong audience": bearer(sign(**good, aud="another-system")),
        "alg none": bearer(
            jwt.encode(
                {**good, "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600},
                None,
                algorithm="none",
                headers={"kid": KID},
            )
        ),
        "another key": bearer(sign(**good, key=OTHER_KEY)),
        "unknown kid": bearer(sign(**good, key=OTHER_KEY, kid="mallory-key")),
        "hs256 dev secret": bearer(sign(**good, key=DEFAULT_AUTH_SECRET, alg="HS256")),
        "hs256 with the public key": bearer(_hs256_with_public_key()),
    }


def _unchanged(system: System, service: str, act: Callable[[], None]) -> None:
    before = system.snapshot(service)
    act()
    assert system.snapshot(service) == before, "the refused request changed the database"


@pytest.mark.parametrize("e", ENDPOINTS, ids=IDS)
def test_bad_tokens_get_401_and_change_nothing(seeded_system: System, e: Endpoint) -> None:
    def act() -> None:
        for name, headers in _bad_tokens().items():
            r = _call(seeded_system, e, headers)
            assert r.status_code == 401, f"{name}: {r.status_code} {r.text}"
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["WWW-Authenticate"] == "Bearer"

    _unchanged(seeded_system, e.service, act)


@pytest.mark.parametrize("e", ENDPOINTS, ids=IDS)
def test_roles_that_may_not_get_403_and_change_nothing(seeded_system: System, e: Endpoint) -> None:
    assert e.roles
    denied = [[r.value] for r in Role if r not in e.roles] + [[], ["superuser", "admin"]]

    def act() -> None:
        for roles in denied:
            r = _call(seeded_system, e, bearer(sign(sub="mallory", roles=roles, hsa_ids=[A, B])))
            assert r.status_code == 403, f"{roles}: {r.status_code} {r.text}"

    _unchanged(seeded_system, e.service, act)
    if e.method == "GET":  # the control: an allowed role does get past the check
        allowed = sorted(e.roles)[0]
        r = _call(seeded_system, e, bearer(sign(sub="ok", roles=[allowed.value], hsa_ids=[B])))
        assert r.status_code not in (401, 403), r.text


PROVIDER_ENDPOINTS = [
    e
    for e in ENDPOINTS
    if e.roles
    and Role.provider in e.roles
    and (e.service, e.method, e.path) not in PUBLIC_TO_PROVIDERS
]


def test_provider_facing_endpoints_exist() -> None:
    assert {e.service for e in PROVIDER_ENDPOINTS} == {"listing", "payment", "lastresort"}


def _text(r: httpx.Response) -> str:
    """What an answer says: a PDF's text as a reader sees it (its streams are compressed)."""
    if r.headers.get("content-type", "").startswith("application/pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    return r.text


@pytest.mark.parametrize("e", PROVIDER_ENDPOINTS, ids=[str(e) for e in PROVIDER_ENDPOINTS])
def test_a_provider_cannot_reach_another_providers_unit(seeded_system: System, e: Endpoint) -> None:
    attacker = bearer(sign(sub="provider:b", roles=["provider"], hsa_ids=[B]))
    body = {"hsa_id": A, "hsa_ids": [A]}

    def act() -> None:
        # by id in the path (the unit, or an object of the unit), in the query, in the body
        r = _call(seeded_system, e, attacker, unit=A, extra_query={"hsa_id": A}, body=body)
        assert r.status_code in (200, 403, 404), r.text
        assert A not in _text(r), f"{r.status_code}: another provider's unit in {_text(r)}"
        if r.status_code == 200 and not r.headers["content-type"].startswith("application/pdf"):
            assert r.json(), "an empty answer is fine, a missing one is not"

    _unchanged(seeded_system, e.service, act)
    # The control: the same call for the provider's own unit does show it.
    own = _call(
        seeded_system,
        e,
        attacker,
        unit=B,
        extra_query={"hsa_id": B},
        body={"hsa_id": B, "hsa_ids": [B]},
    )
    assert own.status_code == 200 and B in _text(own), _text(own)


@pytest.mark.parametrize("e", PROVIDER_ENDPOINTS, ids=[str(e) for e in PROVIDER_ENDPOINTS])
def test_a_provider_without_units_sees_no_unit(seeded_system: System, e: Endpoint) -> None:
    nobody = bearer(sign(sub="provider:none", roles=["provider"], hsa_ids=[]))
    r = _call(seeded_system, e, nobody, unit=B, extra_query={"hsa_id": B})
    assert r.status_code in (200, 403, 404), r.text
    assert A not in r.text and B not in r.text, r.text
