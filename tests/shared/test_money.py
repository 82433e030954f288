"""Money: exact öre, explicit rounding, strings on the wire, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.money import SEK, DecimalStr, floor_ore, format_sek, from_ore, round_ore, to_ore


class Amounts(BaseModel):
    amount: SEK
    rate: DecimalStr


@pytest.mark.parametrize(
    "value,expected",
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-0.005", "-0.01"),
        ("2.675", "2.68"),
        ("1234.5649", "1234.56"),
    ],
)
def test_round_ore_is_half_up_away_from_zero(value: str, expected: str) -> None:
    assert round_ore(Decimal(value)) == Decimal(expected)


def test_floor_ore_goes_down() -> None:
    assert floor_ore(Decimal("1.999")) == Decimal("1.99")
    assert floor_ore(Decimal("-1.001")) == Decimal("-1.01")


def test_to_ore_refuses_fractions_of_an_ore() -> None:
    assert to_ore(Decimal("1234.50")) == 123450
    with pytest.raises(ValueError, match="fractions of an öre"):
        to_ore(Decimal("0.001"))


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_ore_round_trips_exactly(ore: int) -> None:
    assert to_ore(from_ore(ore)) == ore
    sign = "-" if ore < 0 else ""
    assert format_sek(from_ore(ore)) == f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


def test_amounts_travel_as_two_decimal_strings() -> None:
    m = Amounts(amount="12", rate="0.22")
    assert m.model_dump(mode="json") == {"amount": "12.00", "rate": "0.22"}
    assert Amounts.model_validate_json('{"amount": "1.5", "rate": "1"}').amount == Decimal("1.50")


@pytest.mark.parametrize("bad", [1.5, "1.005", "NaN", "Infinity", "abc", True])
def test_bad_amounts_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError) as exc:
        Amounts(amount=bad, rate="1")
    assert exc.value.errors()[0]["loc"] == ("amount",)


def test_rates_refuse_floats() -> None:
    with pytest.raises(ValidationError, match="strings, not floating-point"):
        Amounts(amount="1.00", rate=0.22)
