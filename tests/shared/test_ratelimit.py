"""Per-token limits on provider-facing routes: applied by the role check, configured from
settings, per app in process, shared by replicas through Redis."""

from __future__ import annotations

import os
import uuid
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared.app import create_service_app
from shared.auth import Principal, Role, mint_token, require_roles
from shared.ratelimit import ProviderLimiter
from shared.settings import Settings

REDIS = os.environ.get("HALSOVAL_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """Redis for the shared-limit test; CI=true fails rather than skips when it is away."""
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS} and CI=true")
        pytest.skip(f"Redis is not reachable at {REDIS}")
    return REDIS


Providers = Annotated[Principal, Depends(require_roles(Role.provider, Role.region_admin))]
Staff = Annotated[Principal, Depends(require_roles(Role.ops, Role.region_admin))]


def _app(settings: Settings, title: str = "t") -> FastAPI:
    app = create_service_app(title=title, settings=settings)

    @app.get("/v1/statements")
    def statements(p: Providers) -> dict[str, str]:
        return {"sub": p.sub}

    @app.get("/v1/runs")
    def runs(p: Staff) -> dict[str, str]:
        return {"sub": p.sub}

    return app


def _h(settings: Settings, sub: str, *roles: str) -> dict[str, str]:
    token = mint_token(settings, sub=sub, roles=list(roles), hsa_ids=["SE1"])
    return {"Authorization": f"Bearer {token}"}


def test_a_provider_token_is_limited_to_its_burst_then_429() -> None:
    s = Settings(provider_rate_per_s=0.01, provider_burst=3)
    client = TestClient(_app(s))
    h = _h(s, "p1", "provider")
    assert [client.get("/v1/statements", headers=h).status_code for _ in range(3)] == [200] * 3
    r = client.get("/v1/statements", headers=h)
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert 1 <= int(r.headers["Retry-After"]) <= 300
    # Another provider's token has its own count.
    assert client.get("/v1/statements", headers=_h(s, "p2", "provider")).status_code == 200


def test_region_roles_are_not_limited_and_apps_do_not_share_counts() -> None:
    s = Settings(provider_rate_per_s=0.01, provider_burst=1)
    client = TestClient(_app(s))
    admin = _h(s, "a", "region_admin", "provider")
    assert all(client.get("/v1/statements", headers=admin).status_code == 200 for _ in range(5))
    h = _h(s, "p1", "provider")
    assert client.get("/v1/statements", headers=h).status_code == 200
    assert client.get("/v1/statements", headers=h).status_code == 429
    assert TestClient(_app(s)).get("/v1/statements", headers=h).status_code == 200


def test_unauthenticated_and_refused_calls_are_not_counted() -> None:
    s = Settings(provider_rate_per_s=0.01, provider_burst=1)
    client = TestClient(_app(s))
    assert client.get("/v1/statements").status_code == 401
    h = _h(s, "p1", "provider")
    assert client.get("/v1/runs", headers=h).status_code == 403
    assert client.get("/v1/statements", headers=h).status_code == 200


def test_replicas_share_the_count_through_redis(redis_url: str) -> None:
    s = Settings(provider_rate_per_s=0.01, provider_burst=2, redis_url=redis_url)
    title = f"t-{uuid.uuid4().hex}"  # the namespace: a count of its own for this test
    one, two = TestClient(_app(s, title)), TestClient(_app(s, title))
    h = _h(s, "p1", "provider")
    assert one.get("/v1/statements", headers=h).status_code == 200
    assert two.get("/v1/statements", headers=h).status_code == 200
    assert one.get("/v1/statements", headers=h).status_code == 429
    assert two.get("/v1/statements", headers=h).status_code == 429


def test_an_unreachable_redis_falls_back_to_counting_in_process() -> None:
    s = Settings(provider_rate_per_s=0.01, provider_burst=1, redis_url="redis://127.0.0.1:1/0")
    client = TestClient(_app(s))
    h = _h(s, "p1", "provider")
    assert client.get("/v1/statements", headers=h).status_code == 200
    assert client.get("/v1/statements", headers=h).status_code == 429


def test_the_window_averages_the_rate() -> None:
    limiter = ProviderLimiter(rate_per_s=50.0, burst=200)
    assert (limiter.item.amount, limiter.item.multiples) == (200, 4)
    assert all(limiter.allow("k")[0] for _ in range(200))
    ok, wait = limiter.allow("k")
    assert not ok and 1 <= wait <= 4


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="PROVIDER_RATE_PER_S"):
        ProviderLimiter(rate_per_s=0, burst=1)
    with pytest.raises(ValueError, match="PROVIDER_BURST"):
        ProviderLimiter(rate_per_s=1, burst=0)
