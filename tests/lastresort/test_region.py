"""The region's municipalities come from the listing service (GET /v1/region), its one source:
designations, the missing list and fixed sums follow it, cached per process for a short while;
a listing service that is away is a 503, one that answers outside the contract a 502."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.lastresort.clients import ListingClient
from services.lastresort.settings import LastResortConfig
from shared.errors import BadGateway
from shared.http import ServiceClient
from shared.settings import Settings
from tests.lastresort.conftest import YEAR, Env, FakeListing, hsa, unit

STOCKHOLM = {"0114": "Upplands Väsby", "0180": "Stockholm"}
FIXED = {"method": "fixed_sum", "neutrality": {"enabled": False}}


def _missing(env: Env) -> list[str]:
    r = env.client.get(f"/v1/designations/{YEAR}?care_type=primary", headers=env.admin)
    assert r.status_code == 200, r.text
    return [m["municipality_code"] for m in r.json()["missing"]]


def test_the_municipalities_are_the_listing_services(env: Env) -> None:
    env.listing.region_code, env.listing.municipalities = "01", dict(STOCKHOLM)
    env.listing.add(unit("S1", municipality="0180"))
    env.listing.add(unit("J1", municipality="2303"))
    assert _missing(env) == ["0114", "0180"]
    r = env.put(f"/v1/designations/{YEAR}/primary/0180", {"hsa_id": hsa("S1")})
    assert r.status_code == 200, r.text
    assert _missing(env) == ["0114"]
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": hsa("J1")})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "municipality_code", "message": "not a municipality of the region"}
    ]
    r = env.put(f"/v1/models/{YEAR}", {**FIXED, "annual_sek_by_municipality": {"0180": "1.00"}})
    assert r.status_code == 201, r.text
    r = env.put(f"/v1/models/{YEAR}", {**FIXED, "annual_sek_by_municipality": {"2380": "1.00"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "annual_sek_by_municipality.2380"


def test_the_answer_is_reused_within_a_process(env: Env) -> None:
    for _ in range(3):
        assert len(_missing(env)) == 8
    assert env.listing.calls.count("/v1/region") == 1


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(fake: FakeListing, clock: _Clock, cache_s: float = 60.0) -> ListingClient:
    service = ServiceClient(
        caller="lastresort",
        peer="listing",
        settings=Settings(env="test"),
        transport=httpx.MockTransport(fake.handler),
    )
    return ListingClient(service, region_cache_s=cache_s, clock=clock)


def test_the_cache_lasts_region_cache_s_seconds() -> None:
    fake, clock = FakeListing(), _Clock()
    client = _client(fake, clock, cache_s=60)
    assert len(client.region_municipalities()) == 8
    fake.municipalities = dict(STOCKHOLM)
    clock.now += 59.9
    assert len(client.region_municipalities()) == 8
    clock.now += 0.2
    assert client.region_municipalities() == ("0114", "0180")
    assert fake.calls.count("/v1/region") == 2
    uncached = _client(fake, clock, cache_s=0)
    uncached.region()
    uncached.region()
    assert fake.calls.count("/v1/region") == 4


def test_the_cache_time_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert LastResortConfig().region_cache_s == 60
    monkeypatch.setenv("LASTRESORT_REGION_CACHE_S", "5")
    assert LastResortConfig().region_cache_s == 5
    monkeypatch.setenv("LASTRESORT_MUNICIPALITIES", "2303")  # the old setting is gone
    assert not hasattr(LastResortConfig(), "municipality_codes")


def test_a_listing_service_that_is_away_is_503_and_nothing_is_kept(env: Env) -> None:
    def away(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/v1/region":
            raise httpx.ConnectError("refused", request=request)
        return None

    env.listing.fault = away
    r = env.client.get(f"/v1/designations/{YEAR}", headers=env.admin)
    assert r.status_code == 503 and "Retry-After" in r.headers
    assert "listing" in r.json()["detail"]
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": hsa("R1")})
    assert r.status_code == 503
    env.listing.fault = None
    assert len(_missing(env)) == 8


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ({"code": "23", "county_codes": ["23"], "municipalities": []}, "without municipalities"),
        (
            {
                "code": "23",
                "county_codes": ["23"],
                "municipalities": [
                    {"code": "2303", "name": "Ragunda", "county_code": "23"},
                    {"code": "2303", "name": "Ragunda", "county_code": "23"},
                ],
            },
            "listed twice",
        ),
        (
            {
                "code": "23",
                "county_codes": ["23"],
                "municipalities": [{"code": "0180", "name": "Stockholm", "county_code": "01"}],
            },
            "outside its counties: 0180",
        ),
        ({"code": "23", "county_codes": ["23"]}, "municipalities"),
    ],
)
def test_an_answer_outside_the_contract_is_502(answer: dict[str, Any], phrase: str) -> None:
    fake = FakeListing()
    fake.fault = lambda request: httpx.Response(200, json=answer)
    with pytest.raises(BadGateway, match=phrase):
        _client(fake, _Clock()).region()
