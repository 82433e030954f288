"""Listings: the rows a change reads and writes, and a person's history. Never deletes a row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Date, DateTime, Table, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from services.listing.db import facts
from services.listing.db.clock import as_utc
from services.listing.db.models import listing, person, person_version, unit
from services.listing.domain.listing import StoredListing

INSERT_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class ListingRecord:
    """A listing as the API answers it."""

    listing_id: int
    hsa_id: str
    valid_from: dt.date
    valid_to: dt.date | None
    reason: str
    special_reason: bool
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StoredListingRecord:
    """One listing row as recorded, with whom it is for."""

    listing: ListingRecord
    personnummer: str
    superseded_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """A person's current register facts: what the rules check and a listing row copies."""

    person_id: int
    birth_ymd: int
    sex: str
    municipality_code: str
    deso_code: str | None
    protected_identity: bool
    deceased_on: dt.date | None
    moved_out_on: dt.date | None


@dataclass(frozen=True, slots=True)
class NewListing:
    """A listing to record; the counted facts come from `person`."""

    person: PersonFacts
    unit_id: int
    valid_from: dt.date
    valid_to: dt.date | None
    reason: str
    special_reason: bool


_RECORD_COLUMNS = (
    listing.c.id,
    unit.c.hsa_id,
    listing.c.valid_from,
    listing.c.valid_to,
    listing.c.reason,
    listing.c.special_reason,
    listing.c.recorded_at,
)


def known_at(table: Table, at: dt.datetime | None) -> ColumnElement[bool]:
    """Rows as known at a moment; None means the current rows."""
    if at is None:
        return table.c.superseded_at.is_(None)
    return and_(
        table.c.recorded_at <= at, or_(table.c.superseded_at.is_(None), table.c.superseded_at > at)
    )


def find_person_id(session: Session, personnummer: str, *, lock: bool = False) -> int | None:
    """The person's id, the row locked for the rest of the transaction when asked (FOR UPDATE)."""
    q = select(person.c.id, person.c.is_coordination).where(person.c.personnummer == personnummer)
    row = session.execute(q.with_for_update() if lock else q).first()
    return int(row.id) if row is not None else None


def current_facts(session: Session, person_id: int) -> PersonFacts:
    """The person's current version (every registered person has exactly one)."""
    v = session.execute(
        select(person_version).where(
            person_version.c.person_id == person_id, person_version.c.superseded_at.is_(None)
        )
    ).one()
    return PersonFacts(
        person_id=person_id,
        birth_ymd=v.birth_ymd,
        sex=v.sex,
        municipality_code=v.municipality_code,
        deso_code=v.deso_code,
        protected_identity=v.protected_identity,
        deceased_on=v.deceased_on,
        moved_out_on=v.moved_out_on,
    )


def current_listings(session: Session, person_id: int) -> list[StoredListing]:
    """The person's current listing rows, oldest first, as the listing rules see them."""
    rows = session.execute(
        select(listing.c.id, listing.c.valid_from, listing.c.valid_to, listing.c.reason)
        .where(listing.c.person_id == person_id, listing.c.superseded_at.is_(None))
        .order_by(listing.c.valid_from)
    )
    return [StoredListing(r.id, r.valid_from, r.valid_to, r.reason) for r in rows]


def supersede(
    session: Session, listing_id: int, *, now: dt.datetime, keep_until: dt.date | None
) -> None:
    """Supersede a listing row; with `keep_until`, re-record its part up to that day."""
    old = session.execute(select(listing).where(listing.c.id == listing_id)).one()
    session.execute(listing.update().where(listing.c.id == old.id).values(superseded_at=now))
    if keep_until is not None:
        kept = {k: v for k, v in old._mapping.items() if k not in ("id", "superseded_at")}
        session.execute(
            listing.insert().values({**kept, "valid_to": keep_until, "recorded_at": now})
        )


def _values(new: NewListing, now: dt.datetime) -> dict[str, object]:
    p = new.person
    return {
        "person_id": p.person_id,
        "unit_id": new.unit_id,
        "valid_from": new.valid_from,
        "valid_to": new.valid_to,
        "reason": new.reason,
        "special_reason": new.special_reason,
        "birth_ymd": p.birth_ymd,
        "sex": p.sex,
        "count_deso": facts.count_deso(p.deso_code, p.protected_identity),
        "gone_on": facts.gone_on(p.deceased_on, p.moved_out_on),
        "municipality_code": p.municipality_code,
        "recorded_at": now,
    }


def add_listing(session: Session, new: NewListing, *, now: dt.datetime) -> int:
    """Insert one listing recorded at `now`; returns its id."""
    return int(
        session.execute(
            listing.insert().values(_values(new, now)).returning(listing.c.id)
        ).scalar_one()
    )


def add_listings(session: Session, rows: Iterable[NewListing], *, now: dt.datetime) -> int:
    """Insert listings recorded at `now`, in chunks; returns how many were added."""
    added = 0
    batch: list[dict[str, object]] = []
    for new in rows:
        batch.append(_values(new, now))
        if len(batch) >= INSERT_CHUNK:
            session.execute(listing.insert(), batch)
            added += len(batch)
            batch = []
    if batch:
        session.execute(listing.insert(), batch)
        added += len(batch)
    return added


def history(session: Session, person_id: int, at: dt.datetime | None = None) -> list[ListingRecord]:
    """The person's listings as known at `at` (now if None), oldest first."""
    rows = session.execute(
        select(*_RECORD_COLUMNS)
        .join(unit, unit.c.id == listing.c.unit_id)
        .where(listing.c.person_id == person_id, known_at(listing, at))
        .order_by(listing.c.valid_from, listing.c.id)
    )
    return [ListingRecord(i, h, f, t, r, s, as_utc(at)) for i, h, f, t, r, s, at in rows]


def stored_listing(session: Session, listing_id: int) -> StoredListingRecord | None:
    """One listing row by its id, current or superseded, with the person's identity number."""
    row = session.execute(
        select(*_RECORD_COLUMNS, person.c.personnummer, listing.c.superseded_at)
        .join(unit, unit.c.id == listing.c.unit_id)
        .join(person, person.c.id == listing.c.person_id)
        .where(listing.c.id == listing_id)
    ).first()
    if row is None:
        return None
    i, h, f, t, r, s, at, personnummer, superseded = row
    return StoredListingRecord(
        ListingRecord(i, h, f, t, r, s, as_utc(at)),
        personnummer,
        as_utc(superseded) if superseded is not None else None,
    )


@dataclass(frozen=True, slots=True)
class OpenListing:
    """A current listing at a closing unit that is open after its last day, with the person's
    current facts and where they live (what the default rule measures from)."""

    listing_id: int
    valid_from: dt.date
    valid_to: dt.date | None
    person: PersonFacts
    lat: float | None
    lon: float | None


def _open_after(unit_id: int, day: dt.date) -> ColumnElement[bool]:
    return and_(
        listing.c.unit_id == unit_id,
        listing.c.superseded_at.is_(None),
        or_(listing.c.valid_to.is_(None), listing.c.valid_to > day),
    )


def count_open_after(session: Session, unit_id: int, day: dt.date) -> int:
    """How many current listings at the unit stay open after `day`."""
    return int(
        session.execute(
            select(func.count()).select_from(listing).where(_open_after(unit_id, day))
        ).scalar_one()
    )


def open_after(session: Session, unit_id: int, day: dt.date) -> list[OpenListing]:
    """The current listings at the unit open after `day`, with each person's current facts
    (one query), by listing id."""
    v = person_version.c
    rows = session.execute(
        select(
            listing.c.id,
            listing.c.valid_from,
            listing.c.valid_to,
            v.person_id,
            v.birth_ymd,
            v.sex,
            v.municipality_code,
            v.deso_code,
            v.protected_identity,
            v.deceased_on,
            v.moved_out_on,
            v.lat,
            v.lon,
        )
        .join(
            person_version,
            and_(v.person_id == listing.c.person_id, v.superseded_at.is_(None)),
        )
        .where(_open_after(unit_id, day))
        .order_by(listing.c.id)
    )
    return [
        OpenListing(
            r.id,
            r.valid_from,
            r.valid_to,
            PersonFacts(
                r.person_id,
                r.birth_ymd,
                r.sex,
                r.municipality_code,
                r.deso_code,
                r.protected_identity,
                r.deceased_on,
                r.moved_out_on,
            ),
            r.lat,
            r.lon,
        )
        for r in rows
    ]


def end_open_after(session: Session, unit_id: int, day: dt.date, *, now: dt.datetime) -> None:
    """End every current listing at the unit on `day`, set-based: the open rows are
    superseded at `now` and their part up to `day` (if any) is re-recorded, as `supersede`
    does for one row. The caller holds the change-order lock."""
    session.execute(listing.update().where(_open_after(unit_id, day)).values(superseded_at=now))
    kept = [
        c.name
        for c in listing.columns
        if c.name not in ("id", "valid_to", "recorded_at", "superseded_at")
    ]
    session.execute(
        listing.insert().from_select(
            [*kept, "valid_to", "recorded_at"],
            select(
                *(listing.c[name] for name in kept),
                literal(day, Date).label("valid_to"),
                literal(now, DateTime(timezone=True)).label("recorded_at"),
            ).where(
                listing.c.unit_id == unit_id,
                listing.c.superseded_at == now,
                listing.c.valid_from <= day,
            ),
        )
    )


@dataclass(frozen=True, slots=True)
class RecordedListing:
    listing_id: int
    person_id: int
    unit_id: int
    valid_from: dt.date
    valid_to: dt.date | None


def recorded_with_reason(
    session: Session, now: dt.datetime, reason: str, *, not_at_unit: int
) -> list[RecordedListing]:
    """The current rows this change recorded with `reason`, except at one unit (a closure's
    new listings, without the kept parts at the closed unit), by id."""
    rows = session.execute(
        select(
            listing.c.id,
            listing.c.person_id,
            listing.c.unit_id,
            listing.c.valid_from,
            listing.c.valid_to,
        )
        .where(
            listing.c.recorded_at == now,
            listing.c.reason == reason,
            listing.c.superseded_at.is_(None),
            listing.c.unit_id != not_at_unit,
        )
        .order_by(listing.c.id)
    )
    return [RecordedListing(*r) for r in rows]
