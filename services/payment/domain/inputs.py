"""From the listing service's answers to the calculation's inputs (pure: no HTTP here).

The answers arrive validated against the shared contracts (`Counts`, `Unit`); what a
contract cannot say is checked here: the counts are for the day and the care asked, they
say as of when they are known, and each unit's groups add up to its `listed`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from services.payment.domain.calculation import UnitInput
from shared.schemas.common import CareType, Ownership
from shared.schemas.listing import Counts, Unit, UnitCount


class InconsistentCounts(ValueError):
    """The counts contradict themselves, the question, or the units the listing service knows."""


class ExcludedPersons(ValueError):
    """The listing service left persons out of the counts: paying on them would pay wrong."""


def refuse_exclusions(counts: Counts) -> None:
    """Counts that leave anyone out (stored data breaking a rule) are not paid on."""
    if counts.excluded:
        left_out = ", ".join(
            f"{e.persons} {'person' if e.persons == 1 else 'persons'} ({e.rule.value})"
            for e in counts.excluded
        )
        raise ExcludedPersons(
            f"the listing service left {left_out} out of the counts on {counts.date} because "
            "their stored data breaks a rule; `halsoval listing data-problems` names them; "
            "correct the data and run again"
        )


def known_at(counts: Counts, *, asked: dt.date) -> dt.datetime:
    """The moment the counts were known, once they are checked to answer what was asked."""
    if counts.date != asked:
        raise InconsistentCounts(f"asked for counts on {asked}, got {counts.date}")
    if counts.care_type is not CareType.primary:
        raise InconsistentCounts("the counts are not for primary care")
    if counts.as_known_at is None:
        raise InconsistentCounts("the counts do not say as of when they are known (as_known_at)")
    if counts.as_known_at.tzinfo is None:
        raise InconsistentCounts("as_known_at has no time zone")
    return counts.as_known_at


def _summed(unit: UnitCount) -> tuple[dict[int, int], dict[str | None, int]]:
    """A unit's groups summed over sex (the rules do not use it), checked against `listed`."""
    by_age: dict[int, int] = {}
    for g in unit.by_age_sex:  # the contract bounds age and count (shared.schemas.listing)
        by_age[g["age"]] = by_age.get(g["age"], 0) + g["count"]
    by_deso: dict[str | None, int] = {}
    for d in unit.by_deso:
        by_deso[d["deso_code"]] = by_deso.get(d["deso_code"], 0) + d["count"]
    listed = unit.listed
    if listed < 0 or sum(by_age.values()) != listed or sum(by_deso.values()) != listed:
        raise InconsistentCounts(f"{unit.hsa_id}: the groups do not add up to listed={listed}")
    return by_age, by_deso


def unit_inputs(
    counts: Counts,
    units: Iterable[Unit],
    *,
    also: Mapping[str, str | None] | None = None,
) -> list[UnitInput]:
    """Every primary-care unit active on the count date, every counted unit, and `also`.

    `also` holds units of the previous version (with their names): a unit that has left
    still gets a statement, with zero amounts and a negative delta, so corrections add up.
    """
    also = also or {}
    day = counts.date
    counted: dict[str, UnitCount] = {}
    for c in counts.units:
        if c.hsa_id in counted:
            raise InconsistentCounts(f"{c.hsa_id} appears twice in the counts")
        counted[c.hsa_id] = c
    described = {u.hsa_id: u for u in units}
    missing = sorted(set(counted) - set(described))
    if missing:
        raise InconsistentCounts(
            f"the counts name units that /v1/units does not know: {missing[:5]}"
        )
    active = {
        u.hsa_id
        for u in described.values()
        if u.care_type is CareType.primary
        and u.active_from <= day
        and (u.active_to is None or day <= u.active_to)
    }
    out: list[UnitInput] = []
    for hsa_id in sorted(active | set(counted) | set(also)):
        unit = described.get(hsa_id)
        count = counted.get(hsa_id)
        by_age, by_deso = _summed(count) if count is not None else ({}, {})
        out.append(
            UnitInput(
                hsa_id=hsa_id,
                distance_km=unit.distance_to_hospital_km if unit else Decimal(0),
                listed=count.listed if count else 0,
                by_age=tuple(sorted(by_age.items())),
                by_deso=tuple(by_deso.items()),
                name=unit.name if unit else also.get(hsa_id),
                private=unit is not None and unit.ownership is Ownership.private,
            )
        )
    return out
