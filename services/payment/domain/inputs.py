"""From the listing service's answers to the calculation's inputs (pure: no HTTP here).

A national answer holds some 600,000 (unit, age, sex) and (unit, DeSO) groups. Checking the
contract group by group with plain Python while summing them is several times faster than
building a pydantic object per group, and the run needs only the sums.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.payment.domain.calculation import UnitInput
from shared.schemas.common import CareType
from shared.schemas.listing import Unit

HSA_ID = re.compile(r"^SE\d{10}-[0-9A-Za-z]{1,31}$")
DESO = re.compile(r"^[0-9A-Z]{9}$")


class InconsistentCounts(ValueError):
    """The counts break the contract or name a unit the listing service does not describe."""


@dataclass(frozen=True)
class CountedUnit:
    hsa_id: str
    listed: int
    by_age: dict[int, int]
    by_deso: dict[str | None, int]


@dataclass(frozen=True)
class CountsSnapshot:
    """shared.schemas.listing.Counts, summed per unit over sex (the rules do not use it)."""

    date: dt.date
    as_known_at: dt.datetime
    units: dict[str, CountedUnit]


def _count(value: Any, where: str) -> int:
    if type(value) is not int or value < 0:
        raise InconsistentCounts(f"{where}: not a non-negative whole number")
    return value


def parse_counts(raw: Any) -> CountsSnapshot:
    """Check the Counts contract and sum its groups per unit."""
    try:
        date = dt.date.fromisoformat(raw["date"])
        known = raw.get("as_known_at")
        if known is None:
            raise InconsistentCounts(
                "the counts do not say as of when they are known (as_known_at)"
            )
        as_known_at = dt.datetime.fromisoformat(known)
        if as_known_at.tzinfo is None:
            raise InconsistentCounts("as_known_at has no time zone")
        if raw.get("care_type") != CareType.primary.value:
            raise InconsistentCounts("the counts are not for primary care")
        units: dict[str, CountedUnit] = {}
        for u in raw["units"]:
            hsa_id = u["hsa_id"]
            if not isinstance(hsa_id, str) or not HSA_ID.match(hsa_id):
                raise InconsistentCounts("a unit in the counts has an invalid hsa_id")
            if hsa_id in units:
                raise InconsistentCounts(f"{hsa_id} appears twice in the counts")
            listed = _count(u["listed"], f"{hsa_id}.listed")
            by_age: dict[int, int] = {}
            for g in u["by_age_sex"]:
                age = _count(g["age"], f"{hsa_id}.by_age_sex.age")
                by_age[age] = by_age.get(age, 0) + _count(g["count"], f"{hsa_id}.by_age_sex.count")
            by_deso: dict[str | None, int] = {}
            for d in u["by_deso"]:
                code = d["deso_code"]
                if code is not None and (not isinstance(code, str) or not DESO.match(code)):
                    raise InconsistentCounts(f"{hsa_id}.by_deso has an invalid deso_code")
                by_deso[code] = by_deso.get(code, 0) + _count(d["count"], f"{hsa_id}.by_deso.count")
            if sum(by_age.values()) != listed or sum(by_deso.values()) != listed:
                raise InconsistentCounts(f"{hsa_id}: the groups do not add up to listed={listed}")
            units[hsa_id] = CountedUnit(hsa_id, listed, by_age, by_deso)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InconsistentCounts):
            raise
        raise InconsistentCounts(
            f"the counts do not follow the contract ({type(exc).__name__})"
        ) from exc
    return CountsSnapshot(date, as_known_at, units)


def unit_inputs(
    counts: CountsSnapshot, units: Iterable[Unit], *, also: Mapping[str, str | None] | None = None
) -> list[UnitInput]:
    """Every primary-care unit active on the count date, every counted unit, and `also`.

    `also` holds units of the previous version (with their names): a unit that has left
    still gets a statement, with zero amounts and a negative delta, so corrections add up.
    """
    also = also or {}
    day = counts.date
    described = {u.hsa_id: u for u in units}
    active = {
        u.hsa_id
        for u in described.values()
        if u.care_type is CareType.primary
        and u.active_from <= day
        and (u.active_to is None or day <= u.active_to)
    }
    missing = sorted(set(counts.units) - set(described))
    if missing:
        raise InconsistentCounts(
            f"the counts name units that /v1/units does not know: {missing[:5]}"
        )
    out: list[UnitInput] = []
    for hsa_id in sorted(active | set(counts.units) | set(also)):
        unit = described.get(hsa_id)
        count = counts.units.get(hsa_id)
        out.append(
            UnitInput(
                hsa_id=hsa_id,
                distance_km=unit.distance_to_hospital_km if unit else Decimal(0),
                listed=count.listed if count else 0,
                by_age=tuple(sorted(count.by_age.items())) if count else (),
                by_deso=tuple(count.by_deso.items()) if count else (),
                name=unit.name if unit else also.get(hsa_id),
            )
        )
    return out
