"""Care units: create or update, read one or all, and the terms a listing checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from services.listing.db.clock import utcnow
from services.listing.db.models import unit
from shared.schemas.listing import Unit, UnitIn


@dataclass(frozen=True, slots=True)
class ListableUnit:
    """What the listing rules need of a unit, with its surrogate id for the listing row."""

    id: int
    care_type: str
    active_from: dt.date
    active_to: dt.date | None


def _to_unit(row: Row[Any]) -> Unit:
    return Unit(
        hsa_id=row.hsa_id,
        name=row.name,
        municipality_code=row.municipality_code,
        ownership=row.ownership,
        care_type=row.care_type,
        lat=row.lat,
        lon=row.lon,
        distance_to_hospital_km=Decimal(row.distance_to_hospital_km),
        active_from=row.active_from,
        active_to=row.active_to,
    )


def upsert_unit(session: Session, hsa_id: str, data: UnitIn) -> tuple[Unit, bool]:
    """Create or update; returns the unit and whether it was created."""
    values = {
        "name": data.name,
        "municipality_code": data.municipality_code,
        "ownership": data.ownership.value,
        "care_type": data.care_type.value,
        "lat": data.lat,
        "lon": data.lon,
        "distance_to_hospital_km": str(data.distance_to_hospital_km),
        "active_from": data.active_from,
        "active_to": data.active_to,
        "updated_at": utcnow(),
    }
    existing = session.execute(
        select(unit.c.id).where(unit.c.hsa_id == hsa_id).with_for_update()
    ).scalar_one_or_none()
    if existing is None:
        session.execute(unit.insert().values(hsa_id=hsa_id, **values))
    else:
        session.execute(unit.update().where(unit.c.id == existing).values(**values))
    return Unit(hsa_id=hsa_id, **data.model_dump()), existing is None


def get_unit(session: Session, hsa_id: str) -> Unit | None:
    row = session.execute(select(unit).where(unit.c.hsa_id == hsa_id)).first()
    return _to_unit(row) if row is not None else None


def list_units(session: Session) -> list[Unit]:
    return [_to_unit(r) for r in session.execute(select(unit).order_by(unit.c.hsa_id))]


def listable_unit(session: Session, hsa_id: str) -> ListableUnit | None:
    """The unit a new listing would go to, or None when it is not known."""
    row = session.execute(
        select(unit.c.id, unit.c.care_type, unit.c.active_from, unit.c.active_to).where(
            unit.c.hsa_id == hsa_id
        )
    ).first()
    return ListableUnit(row.id, row.care_type, row.active_from, row.active_to) if row else None
