"""Faults answered honestly, nothing stored on any of them; 201s with Location; provider tokens
limited on reads; the document says what the code does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from services.lastresort.db import repository as repo
from services.lastresort.db.migrate import migrate
from services.lastresort.main import create_app
from shared.db import make_engine
from shared.settings import Settings
from shared.values import INT32_MAX
from tests.lastresort.conftest import TODAY, YEAR, Env, FakeListing, FakePayment, hsa, unit
from tests.lastresort.test_api import DEFICIT_MODEL, P1, R1, R2, designate_and_account, region
from tests.security.conftest import snapshot

NEUTRAL_MODEL = {**DEFICIT_MODEL, "neutrality": {"enabled": True, "scope": "municipality"}}
SETTLE = {"year": YEAR, "care_type": "primary"}


@pytest.fixture
def ready(env: Env) -> Iterator[Callable[[], str]]:
    """A region that can be settled with neutrality; yields a digest of the stored state."""
    region(env)
    designate_and_account(env)
    assert env.put(f"/v1/models/{YEAR}", NEUTRAL_MODEL).status_code == 201
    engine = make_engine(env.database_url)
    yield lambda: snapshot(engine)
    engine.dispose()


def post_settlement(env: Env) -> httpx.Response:
    return env.client.post("/v1/settlements", json=SETTLE, headers=env.admin)


def on(path: str, answer: Callable[[httpx.Request], httpx.Response]) -> Any:
    """A fault on one path of a fake peer."""
    return lambda request: answer(request) if request.url.path == path else None


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


# --- peers away: 503 with Retry-After ------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [unreachable, lambda r: httpx.Response(500, json={}), lambda r: httpx.Response(503)],
    ids=["unreachable", "500", "503"],
)
def test_listing_down_during_a_settlement_is_503_and_nothing_is_stored(
    env: Env, ready: Callable[[], str], answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    before = ready()
    env.listing.fault = on("/v1/counts", answer)
    r = post_settlement(env)
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "listing" in r.json()["detail"]
    assert ready() == before
    env.listing.fault = None
    assert post_settlement(env).status_code == 201  # and once it is back, it settles


def test_payment_down_during_a_settlement_is_503_and_nothing_is_stored(
    env: Env, ready: Callable[[], str]
) -> None:
    before = ready()
    env.payment.fault = unreachable
    r = post_settlement(env)
    assert r.status_code == 503 and "Retry-After" in r.headers
    assert ready() == before


def test_listing_down_during_a_designation_is_503_and_nothing_is_stored(env: Env) -> None:
    engine = make_engine(env.database_url)
    before = snapshot(engine)
    env.listing.fault = unreachable
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1})
    assert r.status_code == 503 and "Retry-After" in r.headers
    assert snapshot(engine) == before
    engine.dispose()


# --- peers answering outside their contract: 502 ----------------------------------------


def counts_answer(**change: Any) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {
            "date": request.url.params["date"],
            "as_known_at": request.url.params["as_known_at"],
            "care_type": "primary",
            "total": 1000,
            "units": [{"hsa_id": R1, "listed": 1000, "by_age_sex": [], "by_deso": []}],
        }
        return httpx.Response(200, json={**body, **change})

    return answer


def counted(*rows: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"hsa_id": h, "listed": n, "by_age_sex": [], "by_deso": []} for h, n in rows]


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (lambda r: httpx.Response(200, content=b"<html>"), "cannot read"),
        (lambda r: httpx.Response(200, json={"units": "many"}), "cannot read"),
        (lambda r: httpx.Response(403, json={}), "refused"),
        (counts_answer(units=counted((hsa("GHOST"), 5))), "does not know it"),
        (counts_answer(date=f"{YEAR}-06-30"), "outside its contract"),
        (counts_answer(care_type="dental"), "outside its contract"),
        (counts_answer(as_known_at="2026-06-30T00:00:00+00:00"), "as known at"),
        (counts_answer(units=counted((R1, 5), (R1, 6))), "counted twice"),
        (counts_answer(units=counted((R1, -5))), "-5 listed"),
        (counts_answer(units=counted((R1, INT32_MAX + 1))), "listed"),
    ],
    ids=[
        "not JSON",
        "wrong shape",
        "unexpected status",
        "unknown unit",
        "another date",
        "another care type",
        "another moment",
        "a unit twice",
        "negative count",
        "count beyond int32",
    ],
)
def test_listing_outside_its_contract_is_502_and_nothing_is_stored(
    env: Env,
    ready: Callable[[], str],
    answer: Callable[[httpx.Request], httpx.Response],
    fragment: str,
) -> None:
    before = ready()
    env.listing.fault = on("/v1/counts", answer)
    r = post_settlement(env)
    assert r.status_code == 502, r.text
    assert fragment in r.json()["detail"]
    assert ready() == before


def statements_answer(**change: Any) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        period = request.url.params["period"]
        statement = {
            "statement_id": f"s-{period}",
            "run_id": f"r-{period}",
            "period": period,
            "version": 1,
            "status": "approved",
            "count_date": f"{period}-01",
            "as_known_at": "2026-01-01T00:00:00+00:00",
            "model_year": YEAR,
            "model_version": 1,
            "hsa_id": R1,
            "listed": 1,
            "lines": [],
            "total_sek": "1.00",
        }
        body: dict[str, Any] = {"period": period, "version": 1, "statements": [statement]}
        for key, value in change.items():
            if key.startswith("statement_"):
                statement[key.removeprefix("statement_")] = value
            else:
                body[key] = value
        return httpx.Response(200, json=body)

    return answer


@pytest.mark.parametrize(
    "answer",
    [
        statements_answer(period="2025-01"),
        statements_answer(version=None),
        statements_answer(version=INT32_MAX + 1),
        statements_answer(statement_status="calculated"),
        statements_answer(statement_version=2),
    ],
    ids=[
        "another period",
        "statements without a version",
        "version beyond int32",
        "not approved",
        "another version",
    ],
)
def test_payment_outside_its_contract_is_502_and_nothing_is_stored(
    env: Env, ready: Callable[[], str], answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    before = ready()
    env.payment.fault = answer
    r = post_settlement(env)
    assert r.status_code == 502, r.text
    assert "payment service" in r.json()["detail"]
    assert ready() == before


def test_listing_naming_another_unit_for_a_designation_is_502(env: Env) -> None:
    other = unit("R2", municipality="2303")
    env.listing.fault = on(f"/v1/units/{R1}", lambda r: httpx.Response(200, json=other))
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1})
    assert r.status_code == 502 and R2 in r.json()["detail"]
    assert (
        env.client.get(f"/v1/designations/{YEAR}", headers=env.admin).json()["designations"] == []
    )


def test_a_unit_name_no_database_stores_is_502(env: Env) -> None:
    env.listing.add({**unit("R1", municipality="2303"), "name": "Unit\x00R1"})
    r = env.put(f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1})
    assert r.status_code == 502 and "NUL" in r.json()["detail"]


# --- stored inputs whose sums the contract cannot carry: 409 ----------------------------


def test_figures_beyond_10_to_the_12_are_refused_before_anything_is_stored(env: Env) -> None:
    region(env)
    designate_and_account(env)
    big = "1000000000000.00"
    assert (
        env.put(
            f"/v1/accounts/{YEAR}/{R1}",
            {"costs_sek": "0.00", "other_revenue_sek": big, "targeted_grants_sek": big},
        ).status_code
        == 200
    )
    assert env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL).status_code == 201
    engine = make_engine(env.database_url)
    before = snapshot(engine)
    r = post_settlement(env)
    assert r.status_code == 409, r.text
    assert f"units.{R1}.deficit_sek" in {e["field"] for e in r.json()["errors"]}
    assert snapshot(engine) == before
    fixed = {
        "method": "fixed_sum",
        "annual_sek_by_municipality": {"2303": big, "2380": big},
        "neutrality": {"enabled": False},
    }
    assert env.put(f"/v1/models/{YEAR}", fixed).status_code == 201  # version 1 was approved
    r = post_settlement(env)
    assert r.status_code == 409 and "total_compensation_sek" in r.json()["detail"]
    engine.dispose()


@pytest.mark.parametrize("what", ["account", "designation", "model"])
def test_a_first_put_racing_another_is_409_not_500(
    env: Env, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    env.listing.add(unit("R1", municipality="2303"))

    def raced(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("INSERT ...", {}, Exception("unique constraint"))

    function = {"account": "upsert_account", "designation": "upsert_designation"}
    monkeypatch.setattr(repo, function.get(what, "put_model"), raced)
    path, body = {
        "account": (
            f"/v1/accounts/{YEAR}/{R1}",
            dict.fromkeys(("costs_sek", "other_revenue_sek", "targeted_grants_sek"), "1.00"),
        ),
        "designation": (f"/v1/designations/{YEAR}/primary/2303", {"hsa_id": R1}),
        "model": (f"/v1/models/{YEAR}", DEFICIT_MODEL),
    }[what]
    r = env.put(path, body)
    assert r.status_code == 409 and "meanwhile" in r.json()["detail"], r.text


# --- 201 and Location ---------------------------------------------------------------------


def test_a_new_settlement_says_where_it_is_read(env: Env) -> None:
    region(env)
    designate_and_account(env)
    env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    r = post_settlement(env)
    assert r.status_code == 201
    location = r.headers["Location"]
    assert location == f"/v1/settlements/{YEAR}?care_type=primary&version=1"
    read = env.client.get(location, headers=env.admin)
    assert read.status_code == 200
    assert (
        read.json()["settlements"][0]["total_compensation_sek"]
        == r.json()["total_compensation_sek"]
    )
    again = post_settlement(env)
    assert again.status_code == 200 and "Location" not in again.headers


def test_a_new_model_version_says_where_it_is_read(env: Env) -> None:
    env.approve_models = False
    r = env.put(f"/v1/models/{YEAR}", DEFICIT_MODEL)
    assert r.status_code == 201 and r.headers["Location"] == f"/v1/models/{YEAR}"
    r = env.put(f"/v1/models/{YEAR}", {**DEFICIT_MODEL, "coverage": "0.8"})
    assert r.status_code == 200 and "Location" not in r.headers  # a draft: updated in place
    read = env.client.get(f"/v1/models/{YEAR}", headers=env.admin).json()
    assert [v["model"]["coverage"] for v in read["versions"]] == ["0.8"]


# --- provider tokens are limited on reads -------------------------------------------------


@pytest.mark.parametrize(
    "path", [f"/v1/designations/{YEAR}", f"/v1/models/{YEAR}", f"/v1/settlements/{YEAR}"]
)
def test_a_provider_token_is_limited_on_a_last_resort_read(
    new_database_url: Callable[[str], str], path: str
) -> None:
    url = new_database_url("lastresort")
    migrate(url)
    settings = Settings(
        env="test", provider_rate_per_s=0.01, provider_burst=3, halsoval_today=TODAY
    )
    listing, payment = FakeListing(), FakePayment()
    app = create_app(
        settings,
        database_url=url,
        listing_transport=httpx.MockTransport(listing.handler),
        payment_transport=httpx.MockTransport(payment.handler),
    )
    env = Env(TestClient(app), settings, listing, payment, url)
    provider = env.token("provider", sub="test:provider", hsa_ids=(P1,))
    with env.client:
        answers = [env.client.get(path, headers=provider).status_code for _ in range(4)]
        assert answers[:3] != [429, 429, 429] and 429 not in answers[:3]
        assert answers[3] == 429
        r = env.client.get(path, headers=provider)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert r.headers["content-type"].startswith("application/problem+json")
        # Another provider and the region's staff are not held back by this token's limit.
        other = env.token("provider", sub="test:other", hsa_ids=(P1,))
        assert env.client.get(path, headers=other).status_code != 429
        admin = env.token("region_admin")
        assert all(env.client.get(path, headers=admin).status_code != 429 for _ in range(5))


# --- the document says what the code does -------------------------------------------------


def test_the_document_lists_each_routes_own_answers(env: Env) -> None:
    doc = env.client.get("/openapi.json").json()
    paths = doc["paths"]
    post = paths["/v1/settlements"]["post"]["responses"]
    assert {"200", "201", "409", "502", "503"} <= set(post)
    assert post["201"]["headers"]["Location"]["required"] is True
    put_model = paths["/v1/models/{year}"]["put"]["responses"]
    assert {"200", "201", "409"} <= set(put_model) and "Location" in put_model["201"]["headers"]
    assert {"409", "502"} <= set(
        paths["/v1/designations/{year}/{care_type}/{municipality_code}"]["put"]["responses"]
    )
    assert "409" in paths["/v1/accounts/{year}/{hsa_id}"]["put"]["responses"]
    for methods in paths.values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "year":
                    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (
                        2000,
                        2100,
                    )
    (version,) = [
        p for p in paths["/v1/settlements/{year}"]["get"]["parameters"] if p["name"] == "version"
    ]
    assert version["schema"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": INT32_MAX}
    body = paths["/v1/models/{year}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    fixed, capped = body["oneOf"]
    assert fixed["properties"]["annual_sek_by_municipality"]["maxProperties"] == 290
    assert "18 decimals" in capped["properties"]["coverage"]["description"]
    assert capped["properties"]["neutrality"]["properties"]["enabled"]["type"] == "boolean"
