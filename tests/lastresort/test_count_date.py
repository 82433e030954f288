"""No settlement before 1 January of the next year, measured on the business date
(HALSOVAL_TODAY in these tests, so that nothing moves with the calendar)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.lastresort.conftest import YEAR, Env
from tests.lastresort.test_api import DEFICIT_MODEL, designate_and_account, region

NEUTRAL = {**DEFICIT_MODEL, "neutrality": {"enabled": True, "scope": "municipality"}}


def _settle(env: Env, year: int = YEAR) -> tuple[int, dict[str, Any]]:
    r = env.client.post(
        "/v1/settlements", json={"year": year, "care_type": "primary"}, headers=env.admin
    )
    return r.status_code, r.json()


@pytest.mark.parametrize("today", [dt.date(YEAR, 12, 30), dt.date(YEAR, 12, 31)])
def test_a_year_not_over_is_409_saying_from_when(
    make_env: Callable[..., Env], today: dt.date
) -> None:
    env = make_env(today=today)
    region(env)
    designate_and_account(env)
    assert env.put(f"/v1/models/{YEAR}", NEUTRAL).status_code == 201
    asked = list(env.listing.calls)
    status, body = _settle(env)
    assert status == 409, body
    assert body["detail"] == (
        f"the {YEAR} settlement can be made from {YEAR + 1}-01-01, after the year is over "
        f"(today is {today})"
    )
    # Refused before any peer is asked (no counts for a day that has not come) and nothing stored.
    assert env.listing.calls == asked
    assert env.client.get(f"/v1/settlements/{YEAR}", headers=env.admin).status_code == 404


def test_the_same_settlement_is_accepted_from_1_january(
    make_env: Callable[..., Env],
) -> None:
    env = make_env(today=dt.date(YEAR + 1, 1, 1))
    region(env)
    designate_and_account(env)
    assert env.put(f"/v1/models/{YEAR}", NEUTRAL).status_code == 201
    status, body = _settle(env)
    assert status == 201, body
    assert body["neutrality"]["count_date"] == f"{YEAR}-12-01"  # December's run's count date


def test_every_method_waits_for_the_year_and_the_check_comes_first(env: Env) -> None:
    """The next year is refused for its date before anything else is looked at (it has no
    designations, no model): the date is the one thing that only time mends."""
    status, body = _settle(env, YEAR + 1)
    assert status == 409
    assert body["detail"] == (
        f"the {YEAR + 1} settlement can be made from {YEAR + 2}-01-01, after the year is over "
        f"(today is {YEAR + 1}-01-15)"
    )
    assert env.listing.calls == []
