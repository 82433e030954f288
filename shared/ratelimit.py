"""Per-token rate limits on provider-facing endpoints.

In-process token buckets keyed by the token's subject: each replica limits on its own,
so the effective limit behind a load balancer is the per-replica limit times the
replicas (docs/security.md). Region roles and services are not limited here. The rate
and burst come from PROVIDER_RATE_PER_S and PROVIDER_BURST; each app gets its own buckets.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Principal, current_principal
from shared.errors import HalsovalError


class TooManyRequests(HalsovalError):
    status_code = 429
    title = "Too many requests"


class TokenBucket:
    """A token bucket per key; full (idle) buckets are forgotten so memory stays bounded."""

    def __init__(self, rate_per_s: float, burst: int, *, max_keys: int = 100_000) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self.rate = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._state = {k: v for k, v in self._state.items() if now - v[1] < full_after}

    def allow(self, key: str) -> tuple[bool, float]:
        """Take one token; answer whether allowed and, if not, seconds until one is free."""
        now = time.monotonic()
        with self._lock:
            if len(self._state) >= self.max_keys:
                self._prune(now)
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                return True, 0.0
            self._state[key] = (tokens, now)
            return False, (1 - tokens) / self.rate


PROVIDER_BUCKET = TokenBucket(rate_per_s=50.0, burst=200)


def provider_bucket(request: Request) -> TokenBucket:
    """The app's bucket, built from its settings on first use (PROVIDER_BUCKET without settings)."""
    bucket = getattr(request.app.state, "provider_bucket", None)
    if bucket is None:
        settings = getattr(request.app.state, "settings", None)
        bucket = (
            PROVIDER_BUCKET
            if settings is None
            else TokenBucket(rate_per_s=settings.provider_rate_per_s, burst=settings.provider_burst)
        )
        request.app.state.provider_bucket = bucket
    return bucket


async def provider_rate_limit(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """Limit provider tokens; add as a dependency on every provider-facing route."""
    if principal.is_provider_only:
        ok, wait = provider_bucket(request).allow(principal.sub)
        if not ok:
            raise TooManyRequests(
                "rate limit exceeded for this token; retry later",
                headers={"Retry-After": str(max(1, int(wait + 0.999)))},
            )
    return principal
