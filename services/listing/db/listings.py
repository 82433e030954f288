"""Listings: create (ending the current one), read a person's history. Never deletes a row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.listing.db import facts
from services.listing.db.models import listing, person, person_version, unit
from services.listing.db.units import unit_row
from services.listing.domain.listing import (
    Period,
    Refusal,
    choice_refusal,
    person_refusal,
    plan_change,
    unit_refusal,
)
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import parse_identity_number


@dataclass(frozen=True)
class ListingRow:
    hsa_id: str
    valid_from: dt.date
    valid_to: dt.date | None
    reason: str
    special_reason: bool
    recorded_at: dt.datetime


def known_at(table: Any, at: dt.datetime | None) -> Any:
    """Rows as known at a moment; None means the current rows."""
    if at is None:
        return table.c.superseded_at.is_(None)
    return and_(
        table.c.recorded_at <= at, or_(table.c.superseded_at.is_(None), table.c.superseded_at > at)
    )


def find_person(session: Session, personnummer: str, *, lock: bool = False) -> Any:
    """The person row, locked for the rest of the transaction when asked (FOR UPDATE)."""
    q = select(person.c.id, person.c.is_coordination).where(person.c.personnummer == personnummer)
    row = session.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise NotFound("the person is not in the population register")
    return row


def _periods(session: Session, person_id: int) -> list[Period]:
    rows = session.execute(
        select(listing.c.id, listing.c.valid_from, listing.c.valid_to, listing.c.reason)
        .where(listing.c.person_id == person_id, listing.c.superseded_at.is_(None))
        .order_by(listing.c.valid_from)
    )
    return [Period(r.id, r.valid_from, r.valid_to, r.reason) for r in rows]


def _refuse(message: str | None) -> None:
    if message is not None:
        raise Conflict(message)


def create_listing(
    session: Session,
    *,
    personnummer: str,
    hsa_id: str,
    valid_from: dt.date,
    reason: str,
    special_reason: bool,
    now: dt.datetime,
) -> ListingRow:
    """Apply every rule, then end the current listing on valid_from - 1 and add the new one."""
    identity = parse_identity_number(personnummer)
    if identity.is_coordination_number:
        raise Unprocessable(
            "a samordningsnummer cannot be listed: only registered residents can",
            errors=[{"field": "personnummer", "message": "samordningsnummer"}],
        )
    who = find_person(session, identity.value, lock=True)
    where = unit_row(session, hsa_id)
    if where is None:
        raise NotFound(f"unit {hsa_id} is not known")
    _refuse(
        unit_refusal(
            care_type=where.care_type,
            active_from=where.active_from,
            active_to=where.active_to,
            on=valid_from,
        )
    )
    version = session.execute(
        select(person_version).where(
            person_version.c.person_id == who.id, person_version.c.superseded_at.is_(None)
        )
    ).one()
    _refuse(
        person_refusal(
            deceased_on=version.deceased_on, moved_out_on=version.moved_out_on, on=valid_from
        )
    )
    periods = _periods(session, who.id)
    try:
        change = plan_change(periods, valid_from)
    except Refusal as exc:
        raise Conflict(exc.message) from exc
    _refuse(
        choice_refusal(periods, new_from=valid_from, reason=reason, special_reason=special_reason)
    )
    if change.supersede_id is not None:
        old = session.execute(select(listing).where(listing.c.id == change.supersede_id)).one()
        session.execute(listing.update().where(listing.c.id == old.id).values(superseded_at=now))
        if change.keep_until is not None:
            kept = {k: v for k, v in old._mapping.items() if k not in ("id", "superseded_at")}
            session.execute(
                listing.insert().values({**kept, "valid_to": change.keep_until, "recorded_at": now})
            )
    session.execute(
        listing.insert().values(
            person_id=who.id,
            unit_id=where.id,
            valid_from=valid_from,
            valid_to=None,
            reason=reason,
            special_reason=special_reason,
            birth_ymd=version.birth_ymd,
            sex=version.sex,
            count_deso=facts.count_deso(version.deso_code, version.protected_identity),
            gone_on=facts.gone_on(version.deceased_on, version.moved_out_on),
            recorded_at=now,
        )
    )
    return ListingRow(hsa_id, valid_from, None, reason, special_reason, now)


def history(session: Session, person_id: int, at: dt.datetime | None = None) -> list[ListingRow]:
    """The person's listings as known at `at` (now if None), oldest first."""
    rows = session.execute(
        select(
            unit.c.hsa_id,
            listing.c.valid_from,
            listing.c.valid_to,
            listing.c.reason,
            listing.c.special_reason,
            listing.c.recorded_at,
        )
        .join(unit, unit.c.id == listing.c.unit_id)
        .where(listing.c.person_id == person_id, known_at(listing, at))
        .order_by(listing.c.valid_from, listing.c.id)
    )
    return [ListingRow(*r) for r in rows]
