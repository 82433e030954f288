"""Calls between services: their own `service` token, retries on transient failures, clear 503s."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx
import stamina

from shared.auth import Role, mint_token
from shared.errors import ServiceUnavailable
from shared.settings import ServiceName, Settings


class ServiceClient:
    """A small client for one peer service; never forwards the caller's token."""

    def __init__(self, *, caller: str, peer: ServiceName, settings: Settings,
                 transport: httpx.BaseTransport | None = None, timeout: float = 60.0) -> None:
        self.caller = caller
        self.peer = peer
        self.settings = settings
        self.base_url = settings.service_url(peer)
        self._client = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)
        self._token: str | None = None
        self._token_expires = 0.0

    def _service_token(self) -> str:
        if self._token is None or time.time() > self._token_expires - 60:
            ttl = dt.timedelta(minutes=10)
            self._token = mint_token(self.settings, sub=f"service:{self.caller}",
                                     roles=[Role.service], ttl=ttl)
            self._token_expires = time.time() + ttl.total_seconds()
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {}) or {}
        headers["Authorization"] = f"Bearer {self._service_token()}"
        try:
            for attempt in stamina.retry_context(on=(httpx.ConnectError, httpx.ReadTimeout,
                                                     httpx.RemoteProtocolError),
                                                 attempts=3, wait_initial=0.1, wait_max=1.0):
                with attempt:
                    return self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"the {self.peer} service at {self.base_url} could not be reached ({type(exc).__name__})"
            ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(self, path: str, **kwargs: Any) -> Any:
        response = self.request("GET", path, **kwargs)
        if response.status_code >= 500:
            raise ServiceUnavailable(f"the {self.peer} service answered {response.status_code} for {path}")
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._client.close()
