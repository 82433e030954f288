"""Default listings: the units that may receive them and the residents without a listing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.orm import Session

from services.listing.db.bulk import is_postgres
from services.listing.db.listings import PersonFacts
from services.listing.db.models import listing, person, person_version
from services.listing.db.units import units_on
from services.listing.domain.defaults import Candidate
from services.listing.domain.region import RegionScope
from shared.schemas.common import CareType


@dataclass(frozen=True, slots=True)
class UnlistedResident:
    """A resident with no listing on the date: where they live and when their next one starts."""

    person: PersonFacts
    lat: float | None
    lon: float | None
    municipality_code: str
    next_from: dt.date | None


def lock_listings(session: Session) -> None:
    """On PostgreSQL, hold off listing changes until the transaction ends: the defaults are a
    read-then-write over every resident (SQLite's BEGIN IMMEDIATE already serialises it)."""
    if is_postgres(session):
        session.execute(text("LOCK TABLE listing IN SHARE ROW EXCLUSIVE MODE"))


def candidates(session: Session, on: dt.date) -> list[Candidate]:
    """The primary-care units active on `on` (their versions on that day), by hsa_id."""
    return [
        Candidate(d.id, u.hsa_id, u.municipality_code, u.lat, u.lon)
        for d in units_on(session, on, None)
        if (u := d.unit).care_type == CareType.primary
        and u.active_from <= on
        and (u.active_to is None or u.active_to >= on)
    ]


def unlisted(session: Session, on: dt.date, region: RegionScope) -> list[UnlistedResident]:
    """Residents alive and in the region on `on` with no current listing covering it.
    Persons living in another region are never placed: their home region lists them."""
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
    if region.counties is not None:
        q = q.where(func.substr(v.municipality_code, 1, 2).in_(sorted(region.counties)))
    return [
        UnlistedResident(
            PersonFacts(pid, birth, sex, municipality, deso, protected, deceased, moved),
            lat,
            lon,
            municipality,
            next_on,
        )
        for (
            pid,
            lat,
            lon,
            municipality,
            next_on,
            birth,
            sex,
            deso,
            protected,
            deceased,
            moved,
        ) in session.execute(q)
    ]
