"""Token verification: development HS256, identity-provider JWKS, rotation and refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared.auth import (
    JwksKeys,
    Principal,
    Role,
    TokenVerifier,
    current_principal,
    mint_token,
    require_roles,
    route_roles,
)
from shared.errors import Unauthorized
from shared.http import ServiceClient, ServiceTokenSource
from shared.settings import DEFAULT_AUTH_SECRET, Settings

ISS = "https://idp.region.example"
AUD = "halsoval"
JWKS_URL = "https://idp.region.example/jwks"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key: Any, kid: str) -> dict[str, Any]:
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    alg = jwt.algorithms.RSAAlgorithm if is_rsa else jwt.algorithms.ECAlgorithm
    data = json.loads(alg.to_jwk(key.public_key()))
    data.update(kid=kid, use="sig", alg="RS256" if is_rsa else "ES256")
    return data


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "anna@region",
        "roles": ["region_admin"],
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: Any, kid: str, alg: str = "RS256", **over: Any) -> str:
    return jwt.encode(_claims(**over), key, algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "k1": _rsa(),
        "k2": _rsa(),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "other": _rsa(),
    }


@pytest.fixture
def jwks_file(tmp_path: Path, keys: dict[str, Any]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(keys["k1"], "k1"), _jwk(keys["ec"], "ec")]}))
    return path


@pytest.fixture
def idp_verifier(jwks_file: Path) -> TokenVerifier:
    return TokenVerifier(Settings(auth_jwks_file=jwks_file, auth_issuer=ISS, auth_audience=AUD))


def test_dev_token_round_trip_keeps_known_roles_and_units() -> None:
    s = Settings()
    token = mint_token(s, sub="p1", roles=["provider", "superuser"], hsa_ids=["SE1"])
    p = TokenVerifier(s).verify(token)
    assert p == Principal(sub="p1", roles=frozenset({Role.provider}), hsa_ids=frozenset({"SE1"}))


def test_unknown_roles_are_dropped_so_the_token_gets_nothing() -> None:
    s = Settings()
    p = TokenVerifier(s).verify(mint_token(s, sub="x", roles=["admin", "root"]))
    assert p.roles == frozenset()
    assert not p.may_see_unit("SE1")


def test_provider_without_units_sees_no_unit() -> None:
    p = Principal(sub="p", roles=frozenset({Role.provider}))
    assert p.is_provider_only and not p.may_see_unit("SE1")


@pytest.mark.parametrize("alg,kid", [("RS256", "k1"), ("ES256", "ec")])
def test_identity_provider_tokens_verify(
    idp_verifier: TokenVerifier, keys: dict[str, Any], alg: str, kid: str
) -> None:
    token = _sign(keys[kid], kid, alg, roles="provider ops", hsa_ids=["SE1", "SE2"])
    p = idp_verifier.verify(token)
    assert p.sub == "anna@region"
    assert p.roles == {Role.provider, Role.ops}
    assert p.hsa_ids == {"SE1", "SE2"}


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "not_yet_valid",
        "wrong_issuer",
        "wrong_audience",
        "no_audience",
        "no_expiry",
        "no_subject",
        "other_key",
        "unknown_kid",
        "no_kid",
        "alg_none",
        "hs256_with_public_key",
        "hs256_dev_secret",
        "garbage",
    ],
)
def test_identity_provider_refusals(
    idp_verifier: TokenVerifier, keys: dict[str, Any], jwks_file: Path, case: str
) -> None:
    now = int(time.time())
    k1 = keys["k1"]
    token = {
        "expired": lambda: _sign(k1, "k1", exp=now - 120),
        "not_yet_valid": lambda: _sign(k1, "k1", nbf=now + 600),
        "wrong_issuer": lambda: _sign(k1, "k1", iss="https://evil.example"),
        "wrong_audience": lambda: _sign(k1, "k1", aud="another-system"),
        "no_audience": lambda: _sign(k1, "k1", aud=None),
        "no_expiry": lambda: _sign(k1, "k1", exp=None),
        "no_subject": lambda: _sign(k1, "k1", sub=None),
        "other_key": lambda: _sign(keys["other"], "k1"),
        "unknown_kid": lambda: _sign(keys["other"], "k9"),
        "no_kid": lambda: jwt.encode(_claims(), k1, algorithm="RS256"),
        "alg_none": lambda: jwt.encode(_claims(), None, algorithm="none", headers={"kid": "k1"}),
        # The classic confusion: HMAC keyed with the published public key.
        "hs256_with_public_key": lambda: _hs256_with_public_key(k1),
        "hs256_dev_secret": lambda: jwt.encode(
            _claims(), DEFAULT_AUTH_SECRET, algorithm="HS256", headers={"kid": "k1"}
        ),
        "garbage": lambda: "not.a.token",
    }[case]()
    with pytest.raises(Unauthorized):
        idp_verifier.verify(token)


def _hs256_with_public_key(key: rsa.RSAPrivateKey) -> str:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    body = jwt.utils.base64url_encode(json.dumps(_claims()).encode())
    sig = hmac.new(pem, header + b"." + body, hashlib.sha256).digest()
    return (header + b"." + body + b"." + jwt.utils.base64url_encode(sig)).decode()


def test_dev_mode_refuses_alg_none_and_other_secret() -> None:
    s = Settings()
    v = TokenVerifier(s)
    with pytest.raises(Unauthorized):
        v.verify(jwt.encode(_claims(iss=None, aud=None), None, algorithm="none"))
    with pytest.raises(Unauthorized):
        v.verify(
            mint_token(
                Settings(auth_secret="another-secret-0123456789abcdefghij"),
                sub="x",
                roles=["region_admin"],
            )
        )


def test_dev_mode_with_issuer_and_audience_checks_them() -> None:
    s = Settings(auth_issuer=ISS, auth_audience=AUD)
    v = TokenVerifier(s)
    assert v.verify(mint_token(s, sub="x", roles=["ops"])).roles == {Role.ops}
    with pytest.raises(Unauthorized):  # a token minted without iss/aud
        v.verify(mint_token(Settings(), sub="x", roles=["ops"]))


@respx.mock
def test_key_rotation_refetches_jwks_for_a_new_kid(keys: dict[str, Any]) -> None:
    route = respx.get(JWKS_URL).mock(
        side_effect=[
            httpx.Response(200, json={"keys": [_jwk(keys["k1"], "k1")]}),
            httpx.Response(200, json={"keys": [_jwk(keys["k1"], "k1"), _jwk(keys["k2"], "k2")]}),
        ]
    )
    s = Settings(auth_jwks_url=JWKS_URL, auth_issuer=ISS, auth_audience=AUD)
    clock = [1000.0]
    v = TokenVerifier(s, jwks=JwksKeys(url=JWKS_URL, clock=lambda: clock[0]))
    assert v.verify(_sign(keys["k1"], "k1")).sub == "anna@region"
    assert v.verify(_sign(keys["k1"], "k1")).sub == "anna@region"
    assert route.call_count == 1  # cached
    clock[0] += 11  # past the refetch cool-down
    assert v.verify(_sign(keys["k2"], "k2")).sub == "anna@region"
    assert route.call_count == 2


@respx.mock
def test_unknown_kids_do_not_flood_the_identity_provider(keys: dict[str, Any]) -> None:
    route = respx.get(JWKS_URL).mock(
        return_value=httpx.Response(200, json={"keys": [_jwk(keys["k1"], "k1")]})
    )
    s = Settings(auth_jwks_url=JWKS_URL, auth_issuer=ISS, auth_audience=AUD)
    v = TokenVerifier(s, jwks=JwksKeys(url=JWKS_URL, clock=lambda: 1000.0))
    for i in range(20):
        with pytest.raises(Unauthorized):
            v.verify(_sign(keys["other"], f"random-{i}"))
    assert route.call_count == 1


def test_jwks_file_is_reread_for_a_rotated_key(tmp_path: Path, keys: dict[str, Any]) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(keys["k1"], "k1")]}))
    clock = [0.0]
    s = Settings(auth_jwks_file=path, auth_issuer=ISS, auth_audience=AUD)
    v = TokenVerifier(s, jwks=JwksKeys(file=path, clock=lambda: clock[0]))
    assert v.verify(_sign(keys["k1"], "k1"))
    with pytest.raises(Unauthorized):
        v.verify(_sign(keys["k2"], "k2"))
    path.write_text(json.dumps({"keys": [_jwk(keys["k2"], "k2")]}))
    clock[0] += 60
    assert v.verify(_sign(keys["k2"], "k2")).sub == "anna@region"
    with pytest.raises(Unauthorized):  # the retired key is gone
        v.verify(_sign(keys["k1"], "k1"))


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValueError, match="default AUTH_SECRET"):
        Settings(
            env="production",
            listing_database_url="postgresql://x/l",
            payment_database_url="postgresql://x/p",
            lastresort_database_url="postgresql://x/r",
        )


def test_production_with_identity_provider_needs_issuer_and_audience(jwks_file: Path) -> None:
    pg = {
        "listing_database_url": "postgresql://x/l",
        "payment_database_url": "postgresql://x/p",
        "lastresort_database_url": "postgresql://x/r",
    }
    with pytest.raises(ValueError, match="AUTH_ISSUER"):
        Settings(env="production", auth_jwks_file=jwks_file, **pg)
    s = Settings(
        env="production", auth_jwks_file=jwks_file, auth_issuer=ISS, auth_audience=AUD, **pg
    )
    # Even a token signed with the (known) secret is refused once an IdP is configured.
    with pytest.raises(Unauthorized):
        TokenVerifier(s).verify(mint_token(s, sub="svc", roles=["service"]))


def _app() -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings()

    @app.get("/v1/a", dependencies=[Depends(require_roles(Role.region_admin, Role.ops))])
    def a() -> dict[str, str]:
        return {}

    @app.post("/v1/b")
    def b(p: Principal = Depends(require_roles(Role.provider))) -> dict[str, str]:  # noqa: B008
        return {"sub": p.sub}

    @app.get("/v1/open")
    def open_(p: Principal = Depends(current_principal)) -> dict[str, str]:  # noqa: B008
        return {}

    return app


def test_route_roles_lists_every_route_with_its_roles() -> None:
    rows = {(r.method, r.path): r.roles for r in route_roles(_app())}
    assert rows == {
        ("GET", "/v1/a"): {Role.region_admin, Role.ops},
        ("POST", "/v1/b"): {Role.provider},
        ("GET", "/v1/open"): None,
    }


def test_require_roles_answers_401_then_403_then_200() -> None:
    app = _app()
    from shared.errors import install_error_handlers

    install_error_handlers(app)
    s = app.state.settings
    c = TestClient(app)
    assert c.post("/v1/b").status_code == 401
    assert c.post("/v1/b", headers={"Authorization": "Basic abc"}).status_code == 401
    admin = mint_token(s, sub="a", roles=["region_admin"])
    assert c.post("/v1/b", headers={"Authorization": f"Bearer {admin}"}).status_code == 403
    prov = mint_token(s, sub="p", roles=["provider"], hsa_ids=["SE1"])
    assert c.post("/v1/b", headers={"Authorization": f"Bearer {prov}"}).json() == {"sub": "p"}


# --- the service's own token (shared/http.py) ---


def test_service_token_from_a_refreshed_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first-token\n")
    src = ServiceTokenSource(caller="payment", settings=Settings(service_token_file=path))
    assert src.token() == "first-token"
    path.write_text("second-token")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert src.token() == "second-token"


@respx.mock
def test_service_token_by_client_credentials_is_cached() -> None:
    route = respx.post("https://idp.region.example/token").mock(
        return_value=httpx.Response(200, json={"access_token": "idp-token", "expires_in": 300})
    )
    s = Settings(
        auth_token_url="https://idp.region.example/token",
        auth_client_id="payment",
        auth_client_secret="s3cret",
        auth_audience=AUD,
    )
    src = ServiceTokenSource(caller="payment", settings=s)
    assert src.token() == "idp-token" and src.token() == "idp-token"
    assert route.call_count == 1
    sent = route.calls[0].request
    assert b"grant_type=client_credentials" in sent.content
    assert sent.headers["Authorization"].startswith("Basic ")


@respx.mock
def test_service_client_sends_its_own_token_never_the_callers() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"ok": True})

    respx.get("http://127.0.0.1:8001/v1/x").mock(side_effect=handler)
    s = Settings()
    client = ServiceClient(caller="payment", peer="listing", settings=s)
    assert client.get_json("/v1/x", headers={"Authorization": "Bearer user-token"}) == {"ok": True}
    principal = TokenVerifier(s).verify(seen[0].removeprefix("Bearer "))
    assert principal.sub == "service:payment" and principal.roles == {Role.service}


def test_production_with_idp_and_no_token_source_fails_clearly(jwks_file: Path) -> None:
    from shared.errors import ServiceUnavailable

    s = Settings(
        env="production",
        auth_jwks_file=jwks_file,
        auth_issuer=ISS,
        auth_audience=AUD,
        listing_database_url="postgresql://x/l",
        payment_database_url="postgresql://x/p",
        lastresort_database_url="postgresql://x/r",
    )
    with pytest.raises(ServiceUnavailable):
        ServiceTokenSource(caller="payment", settings=s).token()


def test_mint_token_ttl() -> None:
    s = Settings()
    token = mint_token(s, sub="x", roles=["ops"], ttl=dt.timedelta(seconds=-120))
    with pytest.raises(Unauthorized, match="expired"):
        TokenVerifier(s).verify(token)


def test_a_closed_peer_client_answers_503_not_a_crash() -> None:
    """A request still in flight while the service shuts down (its clients closed) is a 503."""
    from shared.errors import ServiceUnavailable

    s = Settings(env="test")
    client = ServiceClient(caller="payment", peer="listing", settings=s)
    client.close()
    with pytest.raises(ServiceUnavailable, match="shutting down"):
        client.get_json("/v1/units")


def test_whoever_made_a_decision_cannot_approve_it() -> None:
    from shared.auth import Principal, Role, refuse_own_approval
    from shared.errors import Forbidden

    approver = Principal(sub="bob", roles=frozenset({Role.finance_approver}), hsa_ids=frozenset())
    refuse_own_approval(approver, author="alice", what="a run", did="created")
    with pytest.raises(Forbidden, match="four-eyes rule: a run must be approved by someone other"):
        refuse_own_approval(approver, author="bob", what="a run", did="created")
