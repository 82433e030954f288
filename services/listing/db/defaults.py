"""Default listings for every resident not listed on a date (set-based read, bulk write)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.orm import Session

from services.listing.db.bulk import is_postgres
from services.listing.db.models import listing, person, person_version, unit
from services.listing.domain.defaults import Candidate, choose_unit
from services.listing.domain.listing import Reason

INSERT_CHUNK = 10_000


def _units(session: Session, on: dt.date) -> list[Candidate]:
    rows = session.execute(
        select(unit.c.id, unit.c.hsa_id, unit.c.municipality_code, unit.c.lat, unit.c.lon)
        .where(unit.c.care_type == "primary", unit.c.active_from <= on,
               or_(unit.c.active_to.is_(None), unit.c.active_to >= on))
        .order_by(unit.c.hsa_id))
    return [Candidate(*r) for r in rows]


def _unlisted(session: Session, on: dt.date) -> list[tuple[int, float | None, float | None, str,
                                                           dt.date | None]]:
    """Residents alive and in the region on `on` with no current listing covering it."""
    covering = exists().where(
        listing.c.person_id == person_version.c.person_id, listing.c.superseded_at.is_(None),
        listing.c.valid_from <= on, or_(listing.c.valid_to.is_(None), listing.c.valid_to >= on))
    next_from = (select(func.min(listing.c.valid_from))
                 .where(listing.c.person_id == person_version.c.person_id,
                        listing.c.superseded_at.is_(None), listing.c.valid_from > on)
                 .scalar_subquery())
    q = (select(person_version.c.person_id, person_version.c.lat, person_version.c.lon,
                person_version.c.municipality_code, next_from)
         .join(person, person.c.id == person_version.c.person_id)
         .where(person_version.c.superseded_at.is_(None), person.c.is_coordination.is_(False),
                or_(person_version.c.deceased_on.is_(None), person_version.c.deceased_on > on),
                or_(person_version.c.moved_out_on.is_(None), person_version.c.moved_out_on > on),
                ~covering)
         .order_by(person_version.c.person_id))
    return [tuple(r) for r in session.execute(q)]


def assign_defaults(session: Session, *, on: dt.date, now: dt.datetime) -> int:
    """List every unlisted resident at the nearest unit; returns how many were assigned."""
    if is_postgres(session):
        # Listing changes made meanwhile would race the read-then-write below.
        session.execute(text("LOCK TABLE listing IN SHARE ROW EXCLUSIVE MODE"))
    units = _units(session, on)
    batch: list[dict[str, object]] = []
    assigned = 0
    for person_id, lat, lon, municipality, next_from in _unlisted(session, on):
        chosen = choose_unit(units, lat=lat, lon=lon, municipality_code=municipality)
        if chosen is None:
            continue
        valid_to = next_from - dt.timedelta(days=1) if next_from is not None else None
        batch.append({"person_id": person_id, "unit_id": chosen.unit_id, "valid_from": on,
                      "valid_to": valid_to, "reason": Reason.default.value,
                      "special_reason": False, "recorded_at": now})
        if len(batch) >= INSERT_CHUNK:
            session.execute(listing.insert(), batch)
            assigned += len(batch)
            batch.clear()
    if batch:
        session.execute(listing.insert(), batch)
        assigned += len(batch)
    return assigned

