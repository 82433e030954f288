"""Money: Decimal kronor in the API, integer öre in the database.

Rounding is always explicit. R() in the regional rules rounds half up to the öre.
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

ORE = Decimal("0.01")
# The largest amount any field carries: 10^12 SEK (the national budget is below 10^11).
MAX_SEK = Decimal(10) ** 12
# Exact decimals in plain notation with bounded digits: "1E+999999" would be stored expanded
# to a megabyte, and an exponent is no way to write a weight or a share.
DECIMAL_INTEGER_DIGITS = 20
DECIMAL_FRACTION_DIGITS = 20
_PLAIN_DECIMAL = re.compile(
    rf"^-?[0-9]{{1,{DECIMAL_INTEGER_DIGITS}}}(\.[0-9]{{1,{DECIMAL_FRACTION_DIGITS}}})?$"
)
_PLAIN_SEK = re.compile(r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$")


def round_ore(amount: Decimal) -> Decimal:
    """R(x): round to whole öre, half up (away from zero for halves)."""
    return amount.quantize(ORE, rounding=ROUND_HALF_UP)


def floor_ore(amount: Decimal) -> Decimal:
    return amount.quantize(ORE, rounding=ROUND_FLOOR)


def to_ore(amount: Decimal) -> int:
    """Exact conversion; refuses fractions of an öre rather than silently rounding."""
    q = amount * 100
    if q != q.to_integral_value():
        raise ValueError(f"{amount} has fractions of an öre")
    return int(q)


def from_ore(ore: int) -> Decimal:
    return (Decimal(ore) / 100).quantize(ORE)


def format_sek(amount: Decimal) -> str:
    """Exactly two decimals, as amounts travel in every contract."""
    return str(amount.quantize(ORE))


def _parse_decimal(value: object, pattern: re.Pattern[str] = _PLAIN_DECIMAL) -> Decimal:
    if isinstance(value, Decimal):  # built in code, not read from the wire
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value
    if isinstance(value, float):
        raise ValueError("decimals travel as strings, not floating-point numbers")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("not a number")
    text = str(value)
    if not pattern.match(text):
        raise ValueError(
            "a decimal in plain notation (no exponent), at most "
            f"{DECIMAL_INTEGER_DIGITS} digits before the point and "
            f"{DECIMAL_FRACTION_DIGITS} after"
            if pattern is _PLAIN_DECIMAL
            else "an amount in kronor: at most 13 digits and two decimals, no exponent"
        )
    return Decimal(text)


def _parse_sek(value: object) -> Decimal:
    d = _parse_decimal(value, _PLAIN_SEK)
    if d != d.quantize(ORE):
        raise ValueError("amounts have at most two decimals (whole öre)")
    if abs(d) > MAX_SEK:
        raise ValueError("amounts are at most 10^12 SEK")
    return d.quantize(ORE)


# An exact decimal that travels as a string ("0.22").
DecimalStr = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": _PLAIN_DECIMAL.pattern, "examples": ["0.22"]},
        mode="validation",
    ),
]

# An amount in kronor with exactly two decimals ("1234.50").
SEK = Annotated[
    Decimal,
    BeforeValidator(_parse_sek),
    PlainSerializer(format_sek, return_type=str),
    # Read: up to two decimals ("100", "99.5"); written: always exactly two ("99.50").
    WithJsonSchema(
        {"type": "string", "pattern": _PLAIN_SEK.pattern, "examples": ["1234.50"]},
        mode="validation",
    ),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]{1,13}\.[0-9]{2}$", "examples": ["1234.50"]},
        mode="serialization",
    ),
]
