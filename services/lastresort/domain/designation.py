"""When a unit may carry the last-resort responsibility in a municipality for a year."""

from __future__ import annotations

import datetime as dt

from shared.schemas.common import CareType, Ownership
from shared.schemas.listing import Unit


def active_in_year(active_from: dt.date, active_to: dt.date | None, year: int) -> bool:
    """True when the unit's active period overlaps the calendar year at all."""
    return active_from <= dt.date(year, 12, 31) and (
        active_to is None or active_to >= dt.date(year, 1, 1)
    )


def designation_problem(
    unit: Unit, *, year: int, care_type: CareType, municipality_code: str
) -> str | None:
    """The first condition the unit fails, as a sentence; None when it may be designated."""
    if unit.ownership is not Ownership.region:
        return f"unit {unit.hsa_id} is not region-owned (ownership {unit.ownership.value})"
    if unit.care_type is not care_type:
        return f"unit {unit.hsa_id} is of care type {unit.care_type.value}, not {care_type.value}"
    if unit.municipality_code != municipality_code:
        return (
            f"unit {unit.hsa_id} is in municipality {unit.municipality_code}, "
            f"not {municipality_code}"
        )
    if not active_in_year(unit.active_from, unit.active_to, year):
        return f"unit {unit.hsa_id} is not active in {year}"
    return None
