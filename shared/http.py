"""Calls between services: their own `service` token, retries on transient failures, clear 503s.

A service never forwards a user's token. Its own token comes, in this order, from
SERVICE_TOKEN_FILE (a file the platform refreshes, e.g. a Kubernetes projected token), from
the identity provider by OAuth2 client credentials (AUTH_TOKEN_URL, AUTH_CLIENT_ID,
AUTH_CLIENT_SECRET), or, in development, is minted as HS256 from AUTH_SECRET.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any, Literal, TypeVar, overload

import httpx
import stamina
from pydantic import TypeAdapter, ValidationError

from shared.auth import Role, mint_token
from shared.errors import BadGateway, ServiceUnavailable
from shared.settings import ServiceName, Settings


class ServiceTokenSource:
    """A service's own bearer token, cached until shortly before it expires."""

    def __init__(
        self, *, caller: str, settings: Settings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.caller = caller
        self.settings = settings
        self._transport = transport
        self._token: str | None = None
        self._expires = 0.0
        self._file_mtime: float | None = None
        self._lock = threading.Lock()

    @property
    def kind(self) -> str:
        s = self.settings
        if s.service_token_file:
            return "file"
        if s.auth_token_url:
            return "client_credentials"
        return "dev"

    def invalidate(self) -> None:
        """Forget the cached token (a peer answered 401: it may have been revoked or rotated)."""
        with self._lock:
            self._token, self._expires, self._file_mtime = None, 0.0, None

    def token(self) -> str:
        with self._lock:
            kind = self.kind
            if kind == "file":
                return self._from_file()
            if self._token is None or time.time() > self._expires - 60:
                if kind == "client_credentials":
                    self._token, ttl = self._client_credentials()
                else:
                    if self.settings.env == "production" and (
                        self.settings.auth_jwks_url or self.settings.auth_jwks_file
                    ):
                        raise ServiceUnavailable(
                            "no service token source: set SERVICE_TOKEN_FILE or AUTH_TOKEN_URL"
                        )
                    ttl = 600.0
                    self._token = mint_token(
                        self.settings,
                        sub=f"service:{self.caller}",
                        roles=[Role.service],
                        ttl=dt.timedelta(seconds=ttl),
                    )
                self._expires = time.time() + ttl
            return self._token

    def _from_file(self) -> str:
        path = self.settings.service_token_file
        assert path is not None
        try:
            mtime = path.stat().st_mtime
            if self._token is None or mtime != self._file_mtime:
                self._token, self._file_mtime = path.read_text().strip(), mtime
        except OSError as exc:
            raise ServiceUnavailable("the service token file cannot be read") from exc
        if not self._token:
            raise ServiceUnavailable("the service token file is empty")
        return self._token

    def _client_credentials(self) -> tuple[str, float]:
        s = self.settings
        assert s.auth_token_url is not None
        data = {"grant_type": "client_credentials"}
        if s.auth_token_scope:
            data["scope"] = s.auth_token_scope
        if s.auth_audience:
            data["audience"] = s.auth_audience
        try:
            with httpx.Client(transport=self._transport, timeout=10.0) as client:
                response = client.post(
                    s.auth_token_url,
                    data=data,
                    auth=(s.auth_client_id or "", s.auth_client_secret or ""),
                )
            response.raise_for_status()
            body = response.json()
            token = body["access_token"]
            ttl = float(body.get("expires_in", 300))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise ServiceUnavailable(
                f"the identity provider did not issue a service token ({type(exc).__name__})"
            ) from exc
        if not isinstance(token, str) or not token:
            raise ServiceUnavailable("the identity provider issued an empty service token")
        return token, ttl


T = TypeVar("T")
log = logging.getLogger("halsoval.http")


class ServiceClient:
    """A small client for one peer service; never forwards the caller's token.

    One error policy for every peer call, so no service answers the same fault differently:
    unreachable, timed out or a 5xx → 503 with Retry-After (the peer may come back); an answer
    that breaks the contract (an unexpected status, not JSON, not the shape of the shared
    model) → 502 (retrying will not help); a 404 the caller asked to tolerate → None.
    """

    def __init__(
        self,
        *,
        caller: str,
        peer: ServiceName,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        token_source: ServiceTokenSource | None = None,
    ) -> None:
        self.caller = caller
        self.peer = peer
        self.settings = settings
        self.base_url = settings.service_url(peer)
        self._client = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)
        self.token_source = token_source or ServiceTokenSource(caller=caller, settings=settings)

    def _service_token(self) -> str:
        return self.token_source.token()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._client.is_closed:  # the service is shutting down: a request still in flight
            raise ServiceUnavailable(f"the {self.peer} service is not available: shutting down")
        headers = dict(kwargs.pop("headers", {}) or {})
        try:
            for attempt in stamina.retry_context(
                on=(httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError),
                attempts=3,
                wait_initial=0.1,
                wait_max=1.0,
            ):
                with attempt:
                    headers["Authorization"] = f"Bearer {self._service_token()}"
                    response = self._client.request(method, path, headers=headers, **kwargs)
                    if response.status_code == 401 and self.token_source.kind != "dev":
                        # An identity-provider token may have been rotated: fetch a fresh one once.
                        self.token_source.invalidate()
                        headers["Authorization"] = f"Bearer {self._service_token()}"
                        response = self._client.request(method, path, headers=headers, **kwargs)
                    return response
        except httpx.HTTPError as exc:
            # The peer's address stays in the log: an answer never reveals internal hosts.
            log.warning("%s service at %s unreachable: %r", self.peer, self.base_url, exc)
            raise ServiceUnavailable(
                f"the {self.peer} service could not be reached ({type(exc).__name__})"
            ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """The JSON of a 200 answer, under the error policy above."""
        return self._json(self._checked(self.request("GET", path, **kwargs), path, False), path)

    @overload
    def get(
        self,
        path: str,
        contract: TypeAdapter[T],
        *,
        params: dict[str, str] | None = None,
        missing_ok: Literal[False] = False,
    ) -> T: ...

    @overload
    def get(
        self,
        path: str,
        contract: TypeAdapter[T],
        *,
        params: dict[str, str] | None = None,
        missing_ok: Literal[True],
    ) -> T | None: ...

    def get(
        self,
        path: str,
        contract: TypeAdapter[T],
        *,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> T | None:
        """GET and validate against a shared contract; None for a tolerated 404."""
        response = self._checked(self.request("GET", path, params=params), path, missing_ok)
        if response is None:
            return None
        try:
            return contract.validate_json(response.content)
        except ValidationError as exc:
            errors = exc.errors()
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            what = errors[0]["msg"] if errors else "invalid"
            raise BadGateway(
                f"the {self.peer} service answered {path} with data this service cannot read "
                f"({where or 'body'}: {what})"
            ) from exc

    def _checked(
        self, response: httpx.Response, path: str, missing_ok: bool
    ) -> httpx.Response | None:
        status = response.status_code
        if status >= 500:
            raise ServiceUnavailable(f"the {self.peer} service answered {status} for {path}")
        if status == 404 and missing_ok:
            return None
        if status != 200:
            raise BadGateway(f"the {self.peer} service refused {path} with {status}")
        return response

    def _json(self, response: httpx.Response | None, path: str) -> Any:
        assert response is not None
        try:
            return response.json()
        except ValueError as exc:
            raise BadGateway(f"the {self.peer} service answered {path} with no JSON") from exc

    def close(self) -> None:
        self._client.close()
