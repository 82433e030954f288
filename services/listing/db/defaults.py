"""Default listings for every resident not listed on a date (set-based read, bulk write)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.orm import Session

from services.listing.db import facts
from services.listing.db.bulk import is_postgres
from services.listing.db.models import listing, person, person_version, unit
from services.listing.domain.defaults import Candidate, choose_unit
from services.listing.domain.listing import Reason

INSERT_CHUNK = 10_000


def _units(session: Session, on: dt.date) -> list[Candidate]:
    rows = session.execute(
        select(unit.c.id, unit.c.hsa_id, unit.c.municipality_code, unit.c.lat, unit.c.lon)
        .where(
            unit.c.care_type == "primary",
            unit.c.active_from <= on,
            or_(unit.c.active_to.is_(None), unit.c.active_to >= on),
        )
        .order_by(unit.c.hsa_id)
    )
    return [Candidate(*r) for r in rows]


def _unlisted(session: Session, on: dt.date) -> list[Any]:
    """Residents alive and in the region on `on` with no current listing covering it."""
    covering = exists().where(
        listing.c.person_id == person_version.c.person_id,
        listing.c.superseded_at.is_(None),
        listing.c.valid_from <= on,
        or_(listing.c.valid_to.is_(None), listing.c.valid_to >= on),
    )
    next_from = (
        select(func.min(listing.c.valid_from))
        .where(
            listing.c.person_id == person_version.c.person_id,
            listing.c.superseded_at.is_(None),
            listing.c.valid_from > on,
        )
        .scalar_subquery()
    )
    v = person_version.c
    q = (
        select(
            v.person_id,
            v.lat,
            v.lon,
            v.municipality_code,
            next_from.label("next_from"),
            v.birth_ymd,
            v.sex,
            v.deso_code,
            v.protected_identity,
            v.deceased_on,
            v.moved_out_on,
        )
        .join(person, person.c.id == person_version.c.person_id)
        .where(
            person_version.c.superseded_at.is_(None),
            person.c.is_coordination.is_(False),
            or_(person_version.c.deceased_on.is_(None), person_version.c.deceased_on > on),
            or_(person_version.c.moved_out_on.is_(None), person_version.c.moved_out_on > on),
            ~covering,
        )
        .order_by(person_version.c.person_id)
    )
    return list(session.execute(q))


def assign_defaults(session: Session, *, on: dt.date, now: dt.datetime) -> int:
    """List every unlisted resident at the nearest unit; returns how many were assigned."""
    if is_postgres(session):
        # Listing changes made meanwhile would race the read-then-write below.
        session.execute(text("LOCK TABLE listing IN SHARE ROW EXCLUSIVE MODE"))
    units = _units(session, on)
    batch: list[dict[str, object]] = []
    assigned = 0
    for r in _unlisted(session, on):
        chosen = choose_unit(units, lat=r.lat, lon=r.lon, municipality_code=r.municipality_code)
        if chosen is None:
            continue
        valid_to = r.next_from - dt.timedelta(days=1) if r.next_from is not None else None
        batch.append(
            {
                "person_id": r.person_id,
                "unit_id": chosen.unit_id,
                "valid_from": on,
                "valid_to": valid_to,
                "reason": Reason.default.value,
                "special_reason": False,
                "birth_ymd": r.birth_ymd,
                "sex": r.sex,
                "count_deso": facts.count_deso(r.deso_code, r.protected_identity),
                "gone_on": facts.gone_on(r.deceased_on, r.moved_out_on),
                "recorded_at": now,
            }
        )
        if len(batch) >= INSERT_CHUNK:
            session.execute(listing.insert(), batch)
            assigned += len(batch)
            batch.clear()
    if batch:
        session.execute(listing.insert(), batch)
        assigned += len(batch)
    return assigned
