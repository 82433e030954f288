"""Money: Decimal kronor in the API, integer öre in the database.

Rounding is always explicit. R() in the regional rules rounds half up to the öre.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

ORE = Decimal("0.01")


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


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, float):
        raise ValueError("decimals travel as strings, not floating-point numbers")
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except Exception as exc:  # decimal.InvalidOperation
        raise ValueError("not a decimal number") from exc
    if not d.is_finite():
        raise ValueError("must be a finite number")
    return d


def _parse_sek(value: object) -> Decimal:
    d = _parse_decimal(value)
    if d != d.quantize(ORE):
        raise ValueError("amounts have at most two decimals (whole öre)")
    return d.quantize(ORE)


# An exact decimal that travels as a string ("0.22").
DecimalStr = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["0.22"]}),
]

# An amount in kronor with exactly two decimals ("1234.50").
SEK = Annotated[
    Decimal,
    BeforeValidator(_parse_sek),
    PlainSerializer(format_sek, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1234.50"]}),
]
