"""Rule 3: share a pool in whole öre by the largest remainder.

Each unit first gets its exact quota pool × w / W rounded down to the öre; the öre left
over go one each to the units with the largest remainders, ties to the lowest hsa_id.
The amounts add up to the pool exactly. All weights 0 → nothing is paid (undistributed).

Weights are Decimals with finitely many digits, so scaling them all by the same power of
ten makes them integers and every quota an exact integer fraction: no rounding anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext


def _as_integers(weights: Mapping[str, Decimal]) -> dict[str, int]:
    scale = max((max(0, -int(w.as_tuple().exponent)) for w in weights.values()), default=0)
    with localcontext() as ctx:
        ctx.prec = 200
        factor = Decimal(10) ** scale
        out = {}
        for key, w in weights.items():
            if w < 0:
                raise ValueError(f"weight of {key} is negative")
            out[key] = int(w * factor)
    return out


def largest_remainder(pool_ore: int, weights: Mapping[str, Decimal]) -> dict[str, int]:
    """{hsa_id: öre}; sums to pool_ore, or every amount is 0 when the total weight is 0."""
    if pool_ore < 0:
        raise ValueError("pool is negative")
    ints = _as_integers(weights)
    total = sum(ints.values())
    if total == 0:
        return dict.fromkeys(weights, 0)
    amounts: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for key, w in ints.items():
        quota_floor, remainder = divmod(pool_ore * w, total)
        amounts[key] = quota_floor
        remainders.append((remainder, key))
    left = pool_ore - sum(amounts.values())
    # Largest remainder first; among equal remainders the lowest hsa_id first.
    remainders.sort(key=lambda rk: (-rk[0], rk[1]))
    for _, key in remainders[:left]:
        amounts[key] += 1
    return amounts
