"""The business date comes from one place (HALSOVAL_TODAY, else Stockholm's date), and moments
people read are on Stockholm's clock with the zone named."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from shared.clock import STOCKHOLM, business_today, latest_full_year, stockholm_text, to_stockholm
from shared.ids import today_in_sweden
from shared.period import CountDateRule
from shared.settings import Settings


def test_halsoval_today_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALSOVAL_TODAY", "2027-01-15")
    settings = Settings()
    assert settings.halsoval_today == dt.date(2027, 1, 15)
    assert business_today(settings) == dt.date(2027, 1, 15)
    assert business_today(Settings(halsoval_today=dt.date(2030, 6, 1))) == dt.date(2030, 6, 1)


def test_unset_it_is_the_date_in_stockholm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALSOVAL_TODAY", raising=False)
    settings = Settings()
    assert settings.halsoval_today is None
    assert business_today(settings) == today_in_sweden()


def test_a_date_that_is_no_date_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALSOVAL_TODAY", "2027-13-01")
    with pytest.raises(ValidationError, match="halsoval_today"):
        Settings()


def test_production_may_leave_it_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALSOVAL_TODAY", raising=False)
    urls = {f"{n}_database_url": f"postgresql+psycopg://db/{n}" for n in ("listing", "payment")}
    s = Settings(
        env="production",
        auth_secret="a-strong-secret-0123456789abcdef-xyz",
        lastresort_database_url="postgresql+psycopg://db/lastresort",
        **urls,
    )
    assert s.halsoval_today is None


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        (dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC), "2026-03-01 09:00 (Europe/Stockholm)"),
        (dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC), "2026-07-01 10:00 (Europe/Stockholm)"),
        # 23:30 UTC on New Year's Eve is already the next year in Stockholm
        (dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), "2027-01-01 00:30 (Europe/Stockholm)"),
        # a naive moment is UTC, as the services store them
        (dt.datetime(2026, 3, 1, 8, 0), "2026-03-01 09:00 (Europe/Stockholm)"),
    ],
)
def test_moments_are_shown_on_stockholms_clock(utc: dt.datetime, shown: str) -> None:
    assert stockholm_text(utc) == shown
    assert to_stockholm(utc).tzinfo is STOCKHOLM


@pytest.mark.parametrize(
    ("today", "rule", "year"),
    [
        (dt.date(2026, 11, 29), CountDateRule.last_day_prev_month, 2025),
        (dt.date(2026, 11, 30), CountDateRule.last_day_prev_month, 2026),
        (dt.date(2026, 12, 1), CountDateRule.last_day_prev_month, 2026),
        (dt.date(2027, 3, 1), CountDateRule.last_day_prev_month, 2026),
        (dt.date(2026, 12, 30), CountDateRule.last_day_of_month, 2025),
        (dt.date(2026, 12, 31), CountDateRule.last_day_of_month, 2026),
        (dt.date(2026, 12, 1), CountDateRule.first_of_month, 2026),
    ],
)
def test_the_latest_full_year(today: dt.date, rule: CountDateRule, year: int) -> None:
    assert latest_full_year(today, rule) == year
