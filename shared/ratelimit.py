"""Per-token rate limits on provider-facing endpoints.

In-process token buckets keyed by the token's subject: each replica limits on its own,
so the effective limit behind a load balancer is the per-replica limit times the
replicas (docs/security.md). Region roles and services are not limited here.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, current_principal
from shared.errors import HalsovalError


class TooManyRequests(HalsovalError):
    status_code = 429
    title = "Too many requests"


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """Take one token; answer whether allowed and, if not, seconds until one is free."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                return True, 0.0
            self._state[key] = (tokens, now)
            return False, (1 - tokens) / self.rate


PROVIDER_BUCKET = TokenBucket(rate_per_s=50.0, burst=200)


def provider_rate_limit(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Limit provider tokens; add as a dependency on every provider-facing route."""
    if principal.is_provider_only:
        ok, wait = PROVIDER_BUCKET.allow(principal.sub)
        if not ok:
            raise TooManyRequests("rate limit exceeded for this token; retry later",
                                  headers={"Retry-After": str(max(1, int(wait + 0.999)))})
    return principal
