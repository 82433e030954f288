"""Care units: their identity, their versions as known at a moment, and the unit on a date.

Every read of a unit's attributes goes through `versions_known_at`, so the counts, the
listing rules, the defaults and GET /v1/units agree on which version holds on a date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from services.listing.db.listings import known_at
from services.listing.db.models import unit, unit_version
from services.listing.domain.units import Version, version_on
from shared.schemas.listing import Unit, UnitIn


@dataclass(frozen=True, slots=True)
class DatedUnit:
    """A unit as on a date: its surrogate id (the listing rows' unit_id) and its attributes."""

    id: int
    unit: Unit


@dataclass(frozen=True, slots=True)
class ListableUnit:
    """What the listing rules need of a unit, with its surrogate id for the listing row."""

    id: int
    care_type: str
    active_from: dt.date
    active_to: dt.date | None


def find_unit_id(session: Session, hsa_id: str, *, lock: bool = False) -> int | None:
    """The unit's id, its row locked for the rest of the transaction when asked."""
    q = select(unit.c.id).where(unit.c.hsa_id == hsa_id)
    found = session.execute(q.with_for_update() if lock else q).scalar_one_or_none()
    return int(found) if found is not None else None


def create_unit(session: Session, hsa_id: str) -> int:
    """A new unit's identity; its attributes are its versions."""
    return int(
        session.execute(unit.insert().values(hsa_id=hsa_id).returning(unit.c.id)).scalar_one()
    )


def _attributes(hsa_id: str, r: Row[Any]) -> Unit:
    return Unit(
        hsa_id=hsa_id,
        name=r.name,
        municipality_code=r.municipality_code,
        ownership=r.ownership,
        care_type=r.care_type,
        lat=r.lat,
        lon=r.lon,
        distance_to_hospital_km=Decimal(r.distance_to_hospital_km),
        active_from=r.active_from,
        active_to=r.active_to,
        organisation_number=r.organisation_number,
        bankgiro=r.bankgiro,
    )


def versions_known_at(
    session: Session, at: dt.datetime | None, *, unit_ids: Iterable[int] | None = None
) -> dict[int, list[Version[Unit]]]:
    """Each unit's versions as known at `at` (the current ones if None), by valid_from."""
    v = unit_version.c
    q = (
        select(unit_version, unit.c.hsa_id)
        .join(unit, unit.c.id == v.unit_id)
        .where(known_at(unit_version, at))
        .order_by(v.unit_id, v.valid_from)
    )
    if unit_ids is not None:
        q = q.where(v.unit_id.in_(sorted(set(unit_ids))))
    found: dict[int, list[Version[Unit]]] = defaultdict(list)
    for r in session.execute(q):
        found[int(r.unit_id)].append(Version(int(r.id), r.valid_from, _attributes(r.hsa_id, r)))
    return dict(found)


def units_on(session: Session, on: dt.date, at: dt.datetime | None) -> list[DatedUnit]:
    """Every unit known at `at` as it was on `on`, by hsa_id."""
    dated = [
        DatedUnit(unit_id, version_on(found, on).attributes)
        for unit_id, found in versions_known_at(session, at).items()
    ]
    return sorted(dated, key=lambda d: d.unit.hsa_id)


def unit_on(
    session: Session, hsa_id: str, on: dt.date, at: dt.datetime | None = None
) -> DatedUnit | None:
    """One unit as on `on`, as known at `at`; None when it was not known then."""
    unit_id = find_unit_id(session, hsa_id)
    if unit_id is None:
        return None
    found = versions_known_at(session, at, unit_ids=[unit_id]).get(unit_id)
    return DatedUnit(unit_id, version_on(found, on).attributes) if found else None


def listable_unit(session: Session, hsa_id: str, on: dt.date) -> ListableUnit | None:
    """The unit a listing from `on` would go to, as it currently is known on that day; None
    when it is not known."""
    found = unit_on(session, hsa_id, on)
    if found is None:
        return None
    u = found.unit
    return ListableUnit(found.id, u.care_type.value, u.active_from, u.active_to)


def supersede_versions(session: Session, ids: Iterable[int], *, now: dt.datetime) -> None:
    """End the given versions as known from `now` on (they stay readable as known before)."""
    chosen = sorted(ids)
    if chosen:
        session.execute(
            unit_version.update().where(unit_version.c.id.in_(chosen)).values(superseded_at=now)
        )


def add_version(
    session: Session, unit_id: int, valid_from: dt.date, data: UnitIn, *, now: dt.datetime
) -> None:
    """Record one version holding from `valid_from`, as known from `now` on."""
    session.execute(
        unit_version.insert().values(
            unit_id=unit_id,
            valid_from=valid_from,
            name=data.name,
            municipality_code=data.municipality_code,
            ownership=data.ownership.value,
            care_type=data.care_type.value,
            lat=data.lat,
            lon=data.lon,
            distance_to_hospital_km=str(data.distance_to_hospital_km),
            active_from=data.active_from,
            active_to=data.active_to,
            organisation_number=data.organisation_number,
            bankgiro=data.bankgiro,
            recorded_at=now,
        )
    )
