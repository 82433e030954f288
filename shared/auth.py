"""Bearer tokens, roles and the principal a request acts as.

Development and tests sign HS256 tokens with AUTH_SECRET. A real identity provider is
configured with AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL (or AUTH_JWKS_FILE); its
RS256/ES256 tokens are verified against the published keys, picked by `kid`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthorized
from shared.settings import Settings, get_settings


class Role(StrEnum):
    region_admin = "region_admin"
    finance_approver = "finance_approver"
    provider = "provider"
    ops = "ops"
    service = "service"


ASYMMETRIC_ALGORITHMS = ["RS256", "ES256"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject, its known roles and, for providers, its units."""

    sub: str
    roles: frozenset[Role]
    hsa_ids: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_provider_only(self) -> bool:
        """A provider without any wider role: its reads are scoped to its own units."""
        return Role.provider in self.roles and not self.has(
            Role.region_admin, Role.finance_approver, Role.service)

    def may_see_unit(self, hsa_id: str) -> bool:
        if self.has(Role.region_admin, Role.finance_approver, Role.service):
            return True
        return Role.provider in self.roles and hsa_id in self.hsa_ids


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    raw_roles = claims.get("roles", [])
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.split()
    known = {r.value for r in Role}
    roles = frozenset(Role(r) for r in raw_roles if isinstance(r, str) and r in known)
    hsa = claims.get("hsa_ids", [])
    hsa_ids = frozenset(h for h in hsa if isinstance(h, str)) if isinstance(hsa, list) else frozenset()
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("token has no subject")
    return Principal(sub=sub, roles=roles, hsa_ids=hsa_ids)


class TokenVerifier:
    """Verifies tokens with the development secret or the identity provider's JWKS."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwk_client: jwt.PyJWKClient | None = None
        self._jwk_set: jwt.PyJWKSet | None = None
        if settings.auth_jwks_url:
            self._jwk_client = jwt.PyJWKClient(settings.auth_jwks_url, cache_keys=True, lifespan=300)
        elif settings.auth_jwks_file:
            self._jwk_set = jwt.PyJWKSet.from_dict(json.loads(settings.auth_jwks_file.read_text()))

    @property
    def uses_identity_provider(self) -> bool:
        return self._jwk_client is not None or self._jwk_set is not None

    def _signing_key(self, token: str) -> Any:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        if self._jwk_client is not None:
            return self._jwk_client.get_signing_key_from_jwt(token).key
        assert self._jwk_set is not None
        for key in self._jwk_set.keys:
            if key.key_id == kid:
                return key.key
        raise jwt.InvalidTokenError("unknown signing key")

    def verify(self, token: str) -> Principal:
        s = self.settings
        options = {"require": ["exp", "sub"]}
        try:
            if self.uses_identity_provider:
                claims = jwt.decode(
                    token, self._signing_key(token), algorithms=ASYMMETRIC_ALGORITHMS,
                    audience=s.auth_audience, issuer=s.auth_issuer, options=options, leeway=30)
            else:
                claims = jwt.decode(
                    token, s.auth_secret, algorithms=["HS256"], options=options,
                    audience=s.auth_audience, issuer=s.auth_issuer, leeway=30)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("token is not yet valid") from exc
        except (jwt.InvalidTokenError, jwt.PyJWKClientError, ValueError) as exc:
            raise Unauthorized("token is not valid") from exc
        return _principal_from_claims(claims)


def mint_token(settings: Settings, *, sub: str, roles: Iterable[str | Role],
               hsa_ids: Iterable[str] = (), ttl: dt.timedelta = dt.timedelta(hours=8)) -> str:
    """An HS256 token signed with AUTH_SECRET: for `halsoval token`, tests and service calls in dev."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub, "roles": [str(r) for r in roles], "iat": now, "nbf": now,
        "exp": now + int(ttl.total_seconds()),
    }
    if hsa_ids:
        claims["hsa_ids"] = list(hsa_ids)
    if settings.auth_issuer:
        claims["iss"] = settings.auth_issuer
    if settings.auth_audience:
        claims["aud"] = settings.auth_audience
    return jwt.encode(claims, settings.auth_secret, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)


def get_verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "verifier", None)
    if verifier is None:
        verifier = TokenVerifier(getattr(request.app.state, "settings", None) or get_settings())
        request.app.state.verifier = verifier
    return verifier  # type: ignore[no-any-return]


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    principal = get_verifier(request).verify(credentials.credentials)
    request.state.principal = principal
    return principal


def require_roles(*allowed: Role) -> Callable[..., Principal]:
    """A dependency that lets through only principals holding one of the roles."""

    def _check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has(*allowed):
            raise Forbidden("this role may not call this endpoint")
        return principal

    _check.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
    return _check


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
