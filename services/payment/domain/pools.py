"""Rule 1: the month's pool of each component, so that twelve months add up to the year.

    A_k = annual_budget_sek × share_k
    pool(k, m) = R(A_k × m / 12) − R(A_k × (m − 1) / 12)        R = round to öre, half up

The sum over m = 1..12 telescopes to R(A_k × 12 / 12) − R(0) = R(A_k).

Runs now take their pools from domain/year.py (issue 12): A_k in whole öre by the largest
remainder of the frame, and versions effective from a later month spread what is left. For a
single version from January, and A_k already whole öre, that is exactly this rule.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from shared.money import round_ore, to_ore


def annual_amount(annual_budget_sek: Decimal, share: Decimal) -> Decimal:
    """A_k, exact (not rounded: rounding happens once per cumulative month)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return annual_budget_sek * share


def cumulative_ore(annual: Decimal, month: int) -> int:
    """R(A_k × m / 12) in öre."""
    if not 0 <= month <= 12:
        raise ValueError("month is 0..12")
    with localcontext() as ctx:
        ctx.prec = 60
        return to_ore(round_ore(annual * month / 12))


def monthly_pool(annual: Decimal, month: int) -> int:
    """The pool of month m (1–12) in öre: R(A_k × m/12) − R(A_k × (m−1)/12)."""
    if not 1 <= month <= 12:
        raise ValueError("month is 1..12")
    return cumulative_ore(annual, month) - cumulative_ore(annual, month - 1)
