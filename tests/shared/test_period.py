"""Periods and count dates: month arithmetic, leap years, the wire format."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel, ValidationError

from shared.period import CountDateRule, Period, PeriodStr, age_on, count_date


class Body(BaseModel):
    period: PeriodStr


@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", "2026-01-01"]
)
def test_parse_refuses_malformed_periods(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.parse(bad)


def test_previous_crosses_the_year() -> None:
    assert Period.parse("2026-01").previous() == Period(2025, 12)
    assert Period.parse("2026-07").previous() == Period(2026, 6)


def test_first_and_last_day_know_leap_years() -> None:
    assert Period(2024, 2).last_day == dt.date(2024, 2, 29)
    assert Period(2026, 2).last_day == dt.date(2026, 2, 28)
    assert Period(2026, 12).first_day == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    "rule,expected",
    [
        (CountDateRule.last_day_prev_month, dt.date(2026, 2, 28)),
        (CountDateRule.first_of_month, dt.date(2026, 3, 1)),
        (CountDateRule.last_day_of_month, dt.date(2026, 3, 31)),
    ],
)
def test_count_dates(rule: CountDateRule, expected: dt.date) -> None:
    assert count_date(Period(2026, 3), rule) == expected


def test_periods_order_and_travel_as_strings() -> None:
    assert Period(2025, 12) < Period(2026, 1)
    assert Body(period="2026-03").model_dump(mode="json") == {"period": "2026-03"}
    with pytest.raises(ValidationError) as exc:
        Body(period="2026-3")
    assert exc.value.errors()[0]["loc"] == ("period",)


def test_age_on_birthdays_and_29_february() -> None:
    assert age_on(dt.date(2000, 3, 9), dt.date(2026, 3, 8)) == 25
    assert age_on(dt.date(2000, 3, 9), dt.date(2026, 3, 9)) == 26
    leapling = dt.date(2004, 2, 29)
    assert age_on(leapling, dt.date(2022, 2, 28)) == 17
    assert age_on(leapling, dt.date(2022, 3, 1)) == 18
