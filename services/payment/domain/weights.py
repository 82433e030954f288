"""Rule 2: each unit's weight per component, from aggregated counts only.

The listing service answers counts grouped by (age, sex) and by DeSO per unit; summing
count × weight over the groups equals summing over the persons, at a fraction of the data.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model imports the component registry, which imports these rules
    from services.payment.domain.model import AgeBand, CniTable, SparsityMatrix


def capitation_weight(by_age: Iterable[tuple[int, int]], bands: list[AgeBand]) -> Decimal:
    """Σ count × age weight of the band holding the age on the count date."""
    starts = [b.from_age for b in bands]
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        for age, count in by_age:
            if age < 0:
                raise ValueError(f"negative age {age} in the counts")
            total += count * bands[bisect.bisect_right(starts, age) - 1].weight
    return total


def cni_weight(by_deso: Iterable[tuple[str | None, int]], cni: CniTable) -> Decimal:
    """Σ count × CNI of the DeSO (cni.default for an unknown DeSO and for none)."""
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        for deso, count in by_deso:
            value = cni.by_deso.get(deso, cni.default) if deso is not None else cni.default
            total += count * value
    return total


def sparsity_weight(distance_km: Decimal, listed: int, sparsity: SparsityMatrix) -> Decimal:
    """points[i][j]: i = limits ≤ distance, j = size limits < listed; 0 with nobody listed."""
    if listed <= 0:
        return Decimal(0)
    i = sum(1 for limit in sparsity.distance_limits_km if limit <= distance_km)
    j = sum(1 for limit in sparsity.size_limits if limit < listed)
    return sparsity.points[i][j]
