"""Per-token rate limits on provider-facing endpoints, with the `limits` library.

Every route whose roles include `provider` limits a provider token (one without a wider role)
as part of its role check (`shared.auth.RoleCheck`), so no provider-facing route can forget it.
The window is a moving one: at most PROVIDER_BURST requests in any PROVIDER_BURST /
PROVIDER_RATE_PER_S seconds, which averages PROVIDER_RATE_PER_S. With REDIS_URL set the
counts live in Redis and every replica of a service shares them; otherwise each process counts
on its own (docs/security.md). Should Redis be unreachable, the process counts on its own until
it is back: a provider is still limited, and no request fails because of the limiter.
"""

from __future__ import annotations

import logging
import math
import time

from anyio import to_thread
from fastapi import Request
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from shared.errors import HalsovalError
from shared.settings import Settings

log = logging.getLogger("halsoval.ratelimit")


class TooManyRequests(HalsovalError):
    status_code = 429
    title = "Too many requests"


class ProviderLimiter:
    """The per-token limit of one service; `namespace` keeps services' counts apart in Redis."""

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int,
        namespace: str = "halsoval",
        redis_url: str | None = None,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("PROVIDER_RATE_PER_S must be > 0 and PROVIDER_BURST >= 1")
        self.item = RateLimitItemPerSecond(burst, max(1, math.ceil(burst / rate_per_s)))
        self.namespace = namespace
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = (
            MovingWindowRateLimiter(
                storage_from_string(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            )
            if redis_url
            else None
        )

    @property
    def is_shared(self) -> bool:
        return self._shared is not None

    def allow(self, key: str) -> tuple[bool, int]:
        """Count one request; answer whether it may pass and, if not, seconds to wait."""
        if self._shared is not None:
            try:
                return self._hit(self._shared, key)
            except Exception as exc:  # the Redis client's errors: connection, timeout, auth
                log.warning("rate limit store unreachable, counting in process: %s", type(exc))
        return self._hit(self._local, key)

    def _hit(self, limiter: MovingWindowRateLimiter, key: str) -> tuple[bool, int]:
        if limiter.hit(self.item, self.namespace, key):
            return True, 0
        reset = limiter.get_window_stats(self.item, self.namespace, key).reset_time
        return False, max(1, math.ceil(reset - time.time()))


def limiter_for(settings: Settings, namespace: str) -> ProviderLimiter:
    return ProviderLimiter(
        rate_per_s=settings.provider_rate_per_s,
        burst=settings.provider_burst,
        namespace=namespace,
        redis_url=settings.redis_url,
    )


def _app_limiter(request: Request) -> ProviderLimiter:
    """The app's limiter, built from its settings on first use."""
    limiter = getattr(request.app.state, "provider_limiter", None)
    if not isinstance(limiter, ProviderLimiter):
        settings = getattr(request.app.state, "settings", None)
        limiter = limiter_for(
            settings if isinstance(settings, Settings) else Settings(),
            str(getattr(request.app, "title", "halsoval")),
        )
        request.app.state.provider_limiter = limiter
    return limiter


async def limit_provider(request: Request, sub: str) -> None:
    """Count a provider token's request against its limit (once per request); 429 past it."""
    if getattr(request.state, "provider_limited", False):
        return
    request.state.provider_limited = True
    limiter = _app_limiter(request)
    if limiter.is_shared:
        ok, wait = await to_thread.run_sync(limiter.allow, sub)
    else:
        ok, wait = limiter.allow(sub)
    if not ok:
        raise TooManyRequests(
            "rate limit exceeded for this token; retry later",
            headers={"Retry-After": str(wait)},
        )
