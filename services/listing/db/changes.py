"""The change log behind GET /v1/changes: written in the transaction of each change, read in
cursor order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from services.listing.db.clock import as_utc
from services.listing.db.models import change_log, listing, person

RECORD_CHUNK = 10_000


@dataclass(frozen=True)
class ChangeEntry:
    kind: str
    reason: str | None = None
    care_type: str | None = None
    affects_from: dt.date | None = None
    affects_to: dt.date | None = None
    listing_id: int | None = None
    person_id: int | None = None
    hsa_id: str | None = None
    persons: int | None = None


@dataclass(frozen=True)
class StoredChange:
    cursor: int
    recorded_at: dt.datetime
    entry: ChangeEntry
    personnummer: str | None


def record(session: Session, entry: ChangeEntry, *, now: dt.datetime) -> int:
    """Append one entry; the caller holds the change-order lock (db.clock.change_moment), so
    max + 1 is gap-free and in commit order. Returns its cursor."""
    last = session.execute(select(func.max(change_log.c.cursor))).scalar_one_or_none()
    cursor = int(last or 0) + 1
    session.execute(
        insert(change_log).values(
            cursor=cursor,
            recorded_at=now,
            kind=entry.kind,
            reason=entry.reason,
            care_type=entry.care_type,
            affects_from=entry.affects_from,
            affects_to=entry.affects_to,
            listing_id=entry.listing_id,
            person_id=entry.person_id,
            hsa_id=entry.hsa_id,
            persons=entry.persons,
        )
    )
    return cursor


def listings_recorded_at(session: Session, now: dt.datetime) -> tuple[int, dt.date | None]:
    """Persons whose listing rows this change recorded, and the earliest day those rows
    cover (what an import or a default assignment can change in the counts)."""
    row = session.execute(
        select(
            func.count(func.distinct(listing.c.person_id)), func.min(listing.c.valid_from)
        ).where(listing.c.recorded_at == now)
    ).one()
    return int(row[0]), row[1]


def read(session: Session, *, after: int, limit: int) -> list[StoredChange]:
    """Up to `limit` entries after cursor `after`, in cursor order."""
    c = change_log.c
    rows = session.execute(
        select(change_log, person.c.personnummer)
        .outerjoin(person, person.c.id == c.person_id)
        .where(c.cursor > after)
        .order_by(c.cursor)
        .limit(limit)
    ).all()
    return [
        StoredChange(
            cursor=int(r.cursor),
            recorded_at=as_utc(r.recorded_at),
            entry=ChangeEntry(
                kind=r.kind,
                reason=r.reason,
                care_type=r.care_type,
                affects_from=r.affects_from,
                affects_to=r.affects_to,
                listing_id=r.listing_id,
                person_id=r.person_id,
                hsa_id=r.hsa_id,
                persons=r.persons,
            ),
            personnummer=r.personnummer,
        )
        for r in rows
    ]


def record_many(session: Session, entries: list[ChangeEntry], *, now: dt.datetime) -> None:
    """Append entries in order, numbered on from max + 1 in one multi-row insert per chunk
    (a closure writes one per moved person); the caller holds the change-order lock."""
    if not entries:
        return
    last = session.execute(select(func.max(change_log.c.cursor))).scalar_one_or_none()
    first = int(last or 0) + 1
    rows = [
        {
            "cursor": first + n,
            "recorded_at": now,
            "kind": e.kind,
            "reason": e.reason,
            "care_type": e.care_type,
            "affects_from": e.affects_from,
            "affects_to": e.affects_to,
            "listing_id": e.listing_id,
            "person_id": e.person_id,
            "hsa_id": e.hsa_id,
            "persons": e.persons,
        }
        for n, e in enumerate(entries)
    ]
    for start in range(0, len(rows), RECORD_CHUNK):
        session.execute(insert(change_log), rows[start : start + RECORD_CHUNK])
