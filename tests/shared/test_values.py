"""Edge value types: exactly the ISO/JSON form, inside the domain's window, bounded digits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from shared.ids import today_in_sweden
from shared.money import SEK, DecimalStr
from shared.period import Period, PeriodStr
from shared.values import BirthDate, Flag, NonNegativeInt32, RecordDate


class Body(BaseModel):
    birth: BirthDate | None = None
    on: RecordDate | None = None
    flag: Flag | None = None
    n: NonNegativeInt32 | None = None
    period: PeriodStr | None = None
    amount: SEK | None = None
    weight: DecimalStr | None = None


def _refused(**fields: object) -> str:
    with pytest.raises(ValidationError) as info:
        Body.model_validate(fields)
    return str(info.value)


@pytest.mark.parametrize("value", [0, 1700000000, "2026-1-5", "20260105", "２０２６-01-05"])
def test_dates_are_iso_strings_only(value: object) -> None:
    assert "YYYY-MM-DD" in _refused(on=value)


def test_date_windows() -> None:
    today = today_in_sweden()
    assert Body(birth="1870-01-01").birth == dt.date(1870, 1, 1)
    assert Body(birth=today.isoformat()).birth == today
    assert "birth date must lie" in _refused(birth="1869-12-31")
    assert "birth date must lie" in _refused(birth=(today + dt.timedelta(days=1)).isoformat())
    assert Body(on="1990-01-01").on == dt.date(1990, 1, 1)
    assert "must lie from 1990-01-01" in _refused(on="9999-12-31")
    assert "must lie from 1990-01-01" in _refused(on="1989-12-31")


@pytest.mark.parametrize("value", ["yes", "1", 1, 0, "on", "True", None])
def test_flags_are_true_or_false_only(value: object) -> None:
    if value is None:
        assert Body(flag=None).flag is None
        return
    assert "true or false" in _refused(flag=value)


def test_flags_accept_json_and_query_forms() -> None:
    assert Body(flag=True).flag is True and Body(flag="false").flag is False


def test_integers_stay_within_the_database() -> None:
    assert Body(n=2**31 - 1).n == 2**31 - 1
    _refused(n=2**31)
    _refused(n=-1)


@pytest.mark.parametrize("value", ["２０２６-03", "2026-13", "1999-12", "2101-01", 202603])
def test_periods_are_ascii_and_within_2000_to_2100(value: object) -> None:
    _refused(period=value)
    assert Body(period="2100-12").period == Period(2100, 12)


@pytest.mark.parametrize(
    "value", ["1E+999999", "1e3", "NaN", "Infinity", "1" * 21, "0." + "1" * 21]
)
def test_decimals_are_plain_notation_with_bounded_digits(value: str) -> None:
    assert "plain notation" in _refused(weight=value)


def test_amounts_are_bounded_and_whole_ore() -> None:
    assert Body(amount="1000000000000.00").amount == Decimal("1000000000000.00")
    assert "10^12" in _refused(amount="1000000000000.01")
    assert "two decimals" in _refused(amount="1.005")
    assert "floating-point" in _refused(amount=1.5)
    assert "at most 13 digits" in _refused(amount="1E+3")
