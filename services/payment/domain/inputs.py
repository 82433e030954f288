"""From the listing service's answers to the calculation's inputs (pure: no HTTP here)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from services.payment.domain.calculation import UnitInput
from shared.schemas.common import CareType
from shared.schemas.listing import Counts, Unit


class InconsistentCounts(ValueError):
    """The counts name a unit the listing service does not describe."""


def unit_inputs(
    counts: Counts, units: Iterable[Unit], *, also: Mapping[str, str | None] = {}
) -> list[UnitInput]:
    """Every primary-care unit active on the count date, every counted unit, and `also`.

    `also` holds units of the previous version (with their names): a unit that has left
    still gets a statement, with zero amounts and a negative delta, so corrections add up.
    """
    day: dt.date = counts.date
    described = {u.hsa_id: u for u in units}
    active = {
        u.hsa_id
        for u in described.values()
        if u.care_type is CareType.primary
        and u.active_from <= day
        and (u.active_to is None or day <= u.active_to)
    }
    counted = {c.hsa_id: c for c in counts.units}
    missing = sorted(set(counted) - set(described))
    if missing:
        raise InconsistentCounts(
            f"the counts name units that /v1/units does not know: {missing[:5]}"
        )
    out: list[UnitInput] = []
    for hsa_id in sorted(active | set(counted) | set(also)):
        unit = described.get(hsa_id)
        count = counted.get(hsa_id)
        by_age: dict[int, int] = defaultdict(int)
        for g in count.by_age_sex if count else ():
            by_age[g.age] += g.count
        by_deso: dict[str | None, int] = defaultdict(int)
        for d in count.by_deso if count else ():
            by_deso[d.deso_code] += d.count
        out.append(
            UnitInput(
                hsa_id=hsa_id,
                distance_km=unit.distance_to_hospital_km if unit else Decimal(0),
                listed=count.listed if count else 0,
                by_age=tuple(sorted(by_age.items())),
                by_deso=tuple(sorted(by_deso.items(), key=lambda kv: kv[0] or "")),
                name=unit.name if unit else also.get(hsa_id),
            )
        )
    return out
