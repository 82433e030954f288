"""Bearer tokens, roles and the principal a request acts as.

Development and tests sign HS256 tokens with AUTH_SECRET. A real identity provider is
configured with AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL (or AUTH_JWKS_FILE); its
RS256/ES256 tokens are verified against the published keys, picked by `kid`. Once an
identity provider is configured, HS256 tokens are never accepted: a leaked or default
development secret must not open a production system.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.errors import Forbidden, Unauthorized
from shared.ratelimit import limit_provider
from shared.settings import DEFAULT_AUTH_SECRET, Settings, get_settings


class Role(StrEnum):
    region_admin = "region_admin"
    finance_approver = "finance_approver"
    provider = "provider"
    ops = "ops"
    service = "service"


# Roles that see every unit's data; a provider without one of them sees only its own units.
WIDE_ROLES = frozenset({Role.region_admin, Role.finance_approver, Role.service})

ASYMMETRIC_ALGORITHMS = ["RS256", "ES256"]
LEEWAY_S = 30


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject, its known roles and, for providers, its units."""

    sub: str
    roles: frozenset[Role]
    hsa_ids: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_wide(self) -> bool:
        """Holds a role that reads every unit (WIDE_ROLES)."""
        return bool(self.roles & WIDE_ROLES)

    @property
    def is_provider_only(self) -> bool:
        """A provider without any wider role: its reads are scoped to its own units."""
        return Role.provider in self.roles and not self.is_wide

    def may_see_unit(self, hsa_id: str) -> bool:
        if self.is_wide:
            return True
        return Role.provider in self.roles and hsa_id in self.hsa_ids


def _str_list(value: Any) -> list[str]:
    """A claim given as a JSON list or a space-separated string (both are common in IdPs)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


_KNOWN_ROLES = frozenset(r.value for r in Role)


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    # Unknown roles are dropped, never mapped: a token only ever gets less than it asks for.
    roles = frozenset(Role(r) for r in _str_list(claims.get("roles", [])) if r in _KNOWN_ROLES)
    hsa_ids = frozenset(h for h in _str_list(claims.get("hsa_ids", [])) if h)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("token has no subject")
    return Principal(sub=sub, roles=roles, hsa_ids=hsa_ids)


class JwksKeys:
    """The identity provider's published keys, refetched when a token names a new `kid`.

    Keys rotate: an unknown `kid` triggers one refetch, but not more often than every
    `refresh_cooldown_s`, so random kids from an attacker cannot turn us into a flood of
    requests against the identity provider. Keys are also refreshed after `max_age_s`.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        file: Path | None = None,
        refresh_cooldown_s: float = 10.0,
        max_age_s: float = 300.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (url is None) == (file is None):
            raise ValueError("give exactly one of a JWKS URL or a JWKS file")
        self.url, self.file = url, file
        self.refresh_cooldown_s, self.max_age_s = refresh_cooldown_s, max_age_s
        self._transport = transport
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        if self.file is not None:
            document: object = json.loads(self.file.read_text())
        else:
            assert self.url is not None
            with httpx.Client(transport=self._transport, timeout=5.0) as client:
                response = client.get(self.url, headers={"Accept": "application/json"})
                response.raise_for_status()
                document = response.json()
        return document if isinstance(document, dict) else {}  # not a JWKS: no keys

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        data = self._load()
        keys: dict[str, jwt.PyJWK] = {}
        for jwk in data.get("keys", []):
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig" or not jwk.get("kid"):
                continue
            try:
                key = jwt.PyJWK(jwk)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                continue
            if key.algorithm_name in ASYMMETRIC_ALGORITHMS:
                keys[str(jwk["kid"])] = key
        self._keys = keys

    def key_for(self, kid: str) -> jwt.PyJWK:
        """The signing key named `kid`; raises InvalidTokenError when it is not published."""
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at > self.max_age_s
            age = None if self._fetched_at is None else now - self._fetched_at
            may_refetch = age is None or age >= self.refresh_cooldown_s
            if stale or (kid not in self._keys and may_refetch):
                try:
                    self._refresh()
                except (httpx.HTTPError, OSError, ValueError) as exc:
                    if not self._keys:
                        raise jwt.InvalidTokenError(
                            "the identity provider's keys are unavailable"
                        ) from exc
            key = self._keys.get(kid)
        if key is None:
            raise jwt.InvalidTokenError("unknown signing key")
        return key


class TokenVerifier:
    """Verifies tokens with the development secret or the identity provider's JWKS."""

    def __init__(self, settings: Settings, *, jwks: JwksKeys | None = None) -> None:
        self.settings = settings
        self.jwks = jwks
        if self.jwks is None and settings.auth_jwks_url:
            self.jwks = JwksKeys(url=settings.auth_jwks_url)
        elif self.jwks is None and settings.auth_jwks_file:
            self.jwks = JwksKeys(file=settings.auth_jwks_file)

    @property
    def may_fetch_keys(self) -> bool:
        """Whether verifying can mean an HTTP call to the identity provider (a JWKS URL)."""
        return self.jwks is not None and self.jwks.url is not None

    def _decode(self, token: str) -> dict[str, Any]:
        s = self.settings
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        require = ["exp", "sub"]
        require += (["iss"] if s.auth_issuer else []) + (["aud"] if s.auth_audience else [])
        options: Any = {"require": require}
        common: dict[str, Any] = {
            "audience": s.auth_audience,
            "issuer": s.auth_issuer,
            "options": options,
            "leeway": LEEWAY_S,
        }
        if self.jwks is not None:
            # The algorithm comes from our allow-list and the published key, never from the
            # token alone: `none` and HS256-signed-with-the-public-key are refused here.
            if alg not in ASYMMETRIC_ALGORITHMS:
                raise jwt.InvalidAlgorithmError(
                    "only RS256/ES256 tokens from the identity provider"
                )
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise jwt.InvalidTokenError("token names no signing key")
            key = self.jwks.key_for(kid)
            return jwt.decode(token, key, algorithms=[key.algorithm_name], **common)
        if s.env == "production" and s.auth_secret == DEFAULT_AUTH_SECRET:
            raise jwt.InvalidTokenError("the development secret is refused in production")
        if alg != "HS256":
            raise jwt.InvalidAlgorithmError("only HS256 development tokens are configured")
        return jwt.decode(token, s.auth_secret, algorithms=["HS256"], **common)

    def verify(self, token: str) -> Principal:
        try:
            claims = self._decode(token)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("token is not yet valid") from exc
        except (jwt.InvalidTokenError, jwt.PyJWKError, ValueError) as exc:
            raise Unauthorized("token is not valid") from exc
        return _principal_from_claims(claims)


def mint_token(
    settings: Settings,
    *,
    sub: str,
    roles: Iterable[str | Role],
    hsa_ids: Iterable[str] = (),
    ttl: dt.timedelta = dt.timedelta(hours=8),
) -> str:
    """An HS256 token signed with AUTH_SECRET: `halsoval token`, tests and dev service calls."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": [str(r) for r in roles],
        "iat": now,
        "nbf": now,
        "exp": now + int(ttl.total_seconds()),
    }
    hsa = list(hsa_ids)
    if hsa:
        claims["hsa_ids"] = hsa
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
    return verifier


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller. Async: checking a signature is pure CPU (tens of µs), so it runs
    on the event loop rather than costing a threadpool hop on every request; only a remote
    JWKS, which may have to be fetched, is verified in a worker thread."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    verifier = get_verifier(request)
    if verifier.may_fetch_keys:
        principal = await run_in_threadpool(verifier.verify, credentials.credentials)
    else:
        principal = verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


class RoleCheck:
    """A dependency that lets through only principals holding one of `allowed_roles` (which the
    roles-table test reads from every route). A route open to providers is provider-facing, so
    the check also counts a provider token against its rate limit (shared.ratelimit)."""

    def __init__(self, allowed: Iterable[Role]) -> None:
        self.allowed_roles = frozenset(allowed)

    async def __call__(
        self, request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        if not principal.has(*self.allowed_roles):
            raise Forbidden("this role may not call this endpoint")
        if Role.provider in self.allowed_roles and principal.is_provider_only:
            await limit_provider(request, principal.sub)
        return principal


def require_roles(*allowed: Role) -> RoleCheck:
    """The dependency for a route that only these roles may call."""
    return RoleCheck(allowed)


@dataclass(frozen=True)
class RouteRoles:
    """One route and the roles its require_roles dependencies let through (None: no check)."""

    method: str
    path: str
    roles: frozenset[Role] | None


def role_checks(dependant: Any) -> list[RoleCheck]:
    """Every require_roles in a route's dependency tree."""
    found: list[RoleCheck] = []
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, RoleCheck):
            found.append(dep.call)
        stack.extend(dep.dependencies)
    return found


def _allowed_roles(dependant: Any) -> frozenset[Role] | None:
    """Intersection of every require_roles found in the dependency tree (all must pass)."""
    found: frozenset[Role] | None = None
    for check in role_checks(dependant):
        found = check.allowed_roles if found is None else found & check.allowed_roles
    return found


def api_routes(app: FastAPI) -> Iterable[tuple[str, set[str], Any]]:
    """(path, methods, dependant) of every API route, included routers flattened."""
    try:  # FastAPI versions that include routers lazily expose their effective routes here
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI: included routes are copied in
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, set(route.methods or ()), route.dependant
        return
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute):
            yield str(ctx.path), set(ctx.methods or ()), ctx.dependant


def route_roles(app: FastAPI) -> list[RouteRoles]:
    """Every API route of the app with its enforced roles, for the roles-table test and docs."""
    rows: list[RouteRoles] = []
    for path, methods, dependant in api_routes(app):
        roles = _allowed_roles(dependant)
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            rows.append(RouteRoles(method=method, path=path, roles=roles))
    return sorted(rows, key=lambda r: (r.path, r.method))


def refuse_own_approval(principal: Principal, *, author: str, what: str, did: str) -> None:
    """Four eyes, the one rule for runs, models, settlements and payouts: whoever made a
    decision's text cannot also approve it, whatever roles they hold (403)."""
    if principal.sub == author:
        raise Forbidden(
            f"four-eyes rule: {what} must be approved by someone other than the person who {did} it"
        )
