"""Per-token limits on provider-facing routes, configured from settings, per app."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared.app import create_service_app
from shared.auth import Principal, mint_token
from shared.ratelimit import TokenBucket, provider_rate_limit
from shared.settings import Settings


def _app(settings: Settings) -> FastAPI:
    app = create_service_app(title="t", settings=settings)

    @app.get("/v1/statements")
    def statements(p: Annotated[Principal, Depends(provider_rate_limit)]) -> dict[str, str]:
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
    assert int(r.headers["Retry-After"]) >= 1
    # Another provider's token has its own bucket.
    assert client.get("/v1/statements", headers=_h(s, "p2", "provider")).status_code == 200


def test_region_roles_are_not_limited_and_apps_do_not_share_buckets() -> None:
    s = Settings(provider_rate_per_s=0.01, provider_burst=1)
    client = TestClient(_app(s))
    admin = _h(s, "a", "region_admin", "provider")
    assert all(client.get("/v1/statements", headers=admin).status_code == 200 for _ in range(5))
    h = _h(s, "p1", "provider")
    assert client.get("/v1/statements", headers=h).status_code == 200
    assert client.get("/v1/statements", headers=h).status_code == 429
    assert TestClient(_app(s)).get("/v1/statements", headers=h).status_code == 200


def test_unauthenticated_calls_are_401_not_counted() -> None:
    s = Settings(provider_rate_per_s=0.01, provider_burst=1)
    client = TestClient(_app(s))
    assert client.get("/v1/statements").status_code == 401


def test_bucket_refills_at_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("shared.ratelimit.time.monotonic", lambda: now[0])
    bucket = TokenBucket(rate_per_s=2.0, burst=2)
    assert bucket.allow("k")[0] and bucket.allow("k")[0]
    ok, wait = bucket.allow("k")
    assert not ok and wait == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.allow("k")[0]
    assert not bucket.allow("k")[0]


def test_idle_keys_are_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr("shared.ratelimit.time.monotonic", lambda: now[0])
    bucket = TokenBucket(rate_per_s=1.0, burst=1, max_keys=10)
    for i in range(10):
        bucket.allow(f"k{i}")
    now[0] += 5  # every bucket is full again
    bucket.allow("new")
    assert len(bucket._state) == 1


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate_per_s=0, burst=1)
