"""The listing service's use cases: what the routers, the command line and the demo call.

Each use case is one unit of work: it opens the transaction (`with session.begin():`), a
change takes its moment under the change-order lock and a count its "now" under the shared
one (db.clock), the domain's rules decide, the repositories write, and the audit row is
recorded in the same transaction. Routers and the file loaders only parse and render.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from services.listing.db import changes as changes_repo
from services.listing.db import counts as counts_repo
from services.listing.db import defaults as defaults_repo
from services.listing.db import listings as listings_repo
from services.listing.db import problems as problems_repo
from services.listing.db import reference as reference_repo
from services.listing.db import units as units_repo
from services.listing.db.bulk import CsvFile
from services.listing.db.changes import ChangeEntry
from services.listing.db.clock import as_utc, change_moment, read_moment
from services.listing.db.facts import gone_on
from services.listing.db.listings import ListingRecord, NewListing, StoredListingRecord
from services.listing.db.listings_import import import_listings
from services.listing.db.problems import DataProblem
from services.listing.db.register_import import ImportResult, import_register
from services.listing.domain.counts import ymd
from services.listing.domain.defaults import Candidate, choose_unit
from services.listing.domain.listing import (
    Reason,
    Refusal,
    choice_refusal,
    person_refusal,
    plan_change,
    unit_refusal,
)
from services.listing.domain.region import RegionScope
from services.listing.domain.units import (
    Closure,
    closure_refusal,
    moved_from,
    plan_edit,
    version_on,
)
from shared.audit import AuditLog
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import keyed_hash, parse_identity_number, today_in_sweden
from shared.schemas.common import CareType, ListingReason
from shared.schemas.listing import (
    Change,
    ChangeFeed,
    ChangeKind,
    Counts,
    Municipality,
    Region,
    Unit,
    UnitIn,
)

# Called with how far a bulk import has read (bytes of the file).
Progress = Callable[[int], None]

NOT_REGISTERED = "the person is not in the population register"


# The region


def read_region(*, session: Session, region: RegionScope) -> Region:
    """The region's counties and its municipalities (SCB's list, as the migrations stored it)."""
    with session.begin():
        found = reference_repo.municipalities(session, region)
    return Region(
        code=region.code,
        county_codes=sorted({m.county_code for m in found}),
        municipalities=[
            Municipality(code=m.code, name=m.name, county_code=m.county_code) for m in found
        ],
    )


def _outside_region(session: Session, region: RegionScope, code: str) -> str | None:
    """Why a unit cannot lie in municipality `code`, or None when it lies in the region."""
    found = reference_repo.find_municipality(session, code)
    if found is None:
        return f"{code} is not a municipality code in SCB's list"
    if not region.covers(code):
        return f"{code} {found.name} lies outside the region ({region.code})"
    return None


# Units


def _known_moment(session: Session, as_known_at: dt.datetime | None) -> dt.datetime:
    """The moment a read answers "as known at": given, or "now" under the shared change lock
    (so a re-read at the answered moment gives the same answer). A future moment is refused,
    since later changes would land before it."""
    now = read_moment(session)
    at = as_utc(as_known_at) if as_known_at is not None else now
    if at > now:
        raise Unprocessable(
            "as_known_at is in the future",
            errors=[{"field": "as_known_at", "message": "must not be in the future"}],
        )
    return at


def list_units(*, session: Session, on: dt.date, as_known_at: dt.datetime | None) -> list[Unit]:
    """Every unit known at a moment (now if None) as it was on `on`, by hsa_id."""
    with session.begin():
        at = _known_moment(session, as_known_at)
        return [d.unit for d in units_repo.units_on(session, on, at)]


def get_unit(
    *, session: Session, hsa_id: str, on: dt.date, as_known_at: dt.datetime | None
) -> Unit:
    """One unit as on `on`, as known at a moment (now if None); 404 when it was not known."""
    with session.begin():
        at = _known_moment(session, as_known_at)
        found = units_repo.unit_on(session, hsa_id, on, at)
    if found is None:
        raise NotFound(f"unit {hsa_id} is not known")
    return found.unit


def save_unit(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    region: RegionScope,
    hsa_id: str,
    body_hsa_id: str | None,
    data: UnitIn,
    effective_from: dt.date | None,
) -> tuple[Unit, bool]:
    """Create or update a unit of the region from `effective_from` on (None: its whole life);
    returns it as on that day (or its latest) and whether it was created."""
    if body_hsa_id is not None and body_hsa_id != hsa_id:
        raise Unprocessable(
            f"the body names unit {body_hsa_id}, the path {hsa_id}",
            errors=[{"field": "hsa_id", "message": "must equal the hsa_id of the path"}],
        )
    with session.begin():
        now = change_moment(session)
        problem = _outside_region(session, region, data.municipality_code)
        if problem is not None:
            raise Unprocessable(
                f"unit {hsa_id}: municipality {problem}",
                errors=[{"field": "municipality_code", "message": problem}],
            )
        saved, created, changed = _save_unit(
            session, hsa_id, data, effective_from=effective_from, now=now
        )
        audit.record(
            session,
            principal=principal,
            action="unit.create" if created else "unit.update",
            entity_type="unit",
            entity_id=hsa_id,
            request_id=request_id,
            details={
                **data.model_dump(mode="json"),
                "effective_from": effective_from.isoformat() if effective_from else None,
                "changed": changed,
            },
        )
    return saved, created


def import_units(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    region: RegionScope,
    units: Sequence[Unit],
) -> tuple[int, int]:
    """Create or update many units of the region in one transaction, each for its whole life;
    returns (created, updated). A unit outside the region refuses the file (422 naming each
    entry, from 1)."""
    created = 0
    with session.begin():
        outside = [
            {"row": n, "field": "municipality_code", "message": problem}
            for n, u in enumerate(units, start=1)
            if (problem := _outside_region(session, region, u.municipality_code)) is not None
        ]
        if outside:
            raise Unprocessable("the units file names units outside the region", errors=outside)
        now = change_moment(session)
        for u in units:
            _, new, _ = _save_unit(
                session,
                u.hsa_id,
                UnitIn.model_validate(u.model_dump(exclude={"hsa_id"})),
                effective_from=None,
                now=now,
            )
            created += new
        audit.record(
            session,
            principal=principal,
            action="unit.import",
            entity_type="unit",
            details={"created": created, "updated": len(units) - created},
        )
    return created, len(units) - created


CLOSE_PATH = "POST /v1/units/{hsa_id}/close"


def _save_unit(
    session: Session,
    hsa_id: str,
    data: UnitIn,
    *,
    effective_from: dt.date | None,
    now: dt.datetime,
) -> tuple[Unit, bool, bool]:
    """Record a unit's attributes from `effective_from` on (None: its whole life) as a new
    version, superseding the current ones it replaces, and log the change from the first
    day whose counts it can change. Returns the unit, whether it was created and whether
    anything changed (an edit that changes nothing records nothing).

    Setting an active_to that current listings stay open after is refused: only closing the
    unit moves them (CLOSE_PATH)."""
    unit_id = units_repo.find_unit_id(session, hsa_id, lock=True)
    created = unit_id is None
    if unit_id is None:
        unit_id = units_repo.create_unit(session, hsa_id)
    versions = units_repo.versions_known_at(session, None, unit_ids=[unit_id]).get(unit_id, [])
    new = Unit(hsa_id=hsa_id, **data.model_dump())
    edit = plan_edit(
        versions,
        new,
        active_from=data.active_from,
        old_active_from=[v.attributes.active_from for v in versions],
        effective_from=effective_from,
    )
    if edit.affects_from is None:
        return new, created, False
    if data.active_to is not None and versions:
        before = version_on(versions, edit.valid_from).attributes
        staying = listings_repo.count_open_after(session, unit_id, data.active_to)
        if before.active_to != data.active_to and staying:
            raise Conflict(
                f"{staying} listings at {hsa_id} stay open after {data.active_to}: "
                f"end the unit with {CLOSE_PATH.format(hsa_id=hsa_id)}, which moves them"
            )
    units_repo.supersede_versions(session, edit.supersede_ids, now=now)
    units_repo.add_version(session, unit_id, edit.valid_from, data, now=now)
    changes_repo.record(
        session,
        ChangeEntry(
            kind=ChangeKind.unit_changed.value,
            care_type=data.care_type.value,
            affects_from=edit.affects_from,
            hsa_id=hsa_id,
        ),
        now=now,
    )
    return new, created, True


def close_unit(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    hsa_id: str,
    last_day: dt.date,
) -> Closure:
    """End a unit after `last_day` and, in the same transaction, list everyone listed there
    after it at the nearest primary-care unit active the day after (the default rule and its
    tie-break; residents of other regions too), with reason closure, from that day (or their
    listing's own later first day) until their listing's old last day. Persons who have died
    or moved out by then only have their listing ended. Closure listings never count as a
    change by choice. Set-based: a few statements whatever the number listed."""
    with session.begin():
        now = change_moment(session)
        unit_id = units_repo.find_unit_id(session, hsa_id, lock=True)
        if unit_id is None:
            raise NotFound(f"unit {hsa_id} is not known")
        versions = units_repo.versions_known_at(session, None, unit_ids=[unit_id])[unit_id]
        on_last = version_on(versions, last_day).attributes
        _refuse(
            closure_refusal(
                active_from=on_last.active_from, active_to=on_last.active_to, last_day=last_day
            )
        )
        first = last_day + dt.timedelta(days=1)
        receivers = [c for c in defaults_repo.candidates(session, first) if c.unit_id != unit_id]
        moves: list[NewListing] = []
        homeless: list[str] = []
        for row in listings_repo.open_after(session, unit_id, last_day):
            p = row.person
            start = moved_from(
                valid_from=row.valid_from,
                gone_on=gone_on(p.deceased_on, p.moved_out_on),
                last_day=last_day,
            )
            if start is None:
                continue
            chosen = choose_unit(
                receivers, lat=row.lat, lon=row.lon, municipality_code=p.municipality_code
            )
            if chosen is None:
                homeless.append(p.municipality_code if row.lat is None else "coordinates")
                continue
            moves.append(
                NewListing(p, chosen.unit_id, start, row.valid_to, Reason.closure.value, False)
            )
        if homeless:
            raise Conflict(_no_receiver(hsa_id, first, receivers, homeless))
        for v in versions:
            ended = v.attributes.model_copy(update={"active_to": last_day})
            if ended != v.attributes:
                units_repo.supersede_versions(session, [v.id], now=now)
                units_repo.add_version(session, unit_id, v.valid_from, ended, now=now)
        listings_repo.end_open_after(session, unit_id, last_day, now=now)
        listings_repo.add_listings(session, moves, now=now)
        moved = listings_repo.recorded_with_reason(
            session, now, Reason.closure.value, not_at_unit=unit_id
        )
        names = {c.unit_id: c.hsa_id for c in receivers}
        to = Counter(names[m.unit_id] for m in moved)
        changes_repo.record_many(
            session,
            [
                ChangeEntry(
                    kind=ChangeKind.listing_moved.value,
                    reason=Reason.closure.value,
                    care_type=CareType.primary.value,
                    affects_from=m.valid_from,
                    affects_to=m.valid_to,
                    listing_id=m.listing_id,
                    person_id=m.person_id,
                )
                for m in moved
            ]
            + [
                ChangeEntry(
                    kind=ChangeKind.unit_changed.value,
                    reason=Reason.closure.value,
                    care_type=on_last.care_type.value,
                    affects_from=first,
                    hsa_id=hsa_id,
                )
            ],
            now=now,
        )
        closure = Closure(hsa_id, last_day, len(moved), tuple(sorted(to.items())))
        audit.record(
            session,
            principal=principal,
            action="unit.close",
            entity_type="unit",
            entity_id=hsa_id,
            request_id=request_id,
            details={"last_day": last_day, "moved": closure.moved, "to": dict(closure.to)},
        )
    return closure


def _no_receiver(hsa_id: str, first: dt.date, receivers: list[Candidate], why: list[str]) -> str:
    """Why a closure cannot move everyone, in counts and municipalities (never persons)."""
    if not receivers:
        return (
            f"no other primary-care unit is active on {first} to receive the patients of {hsa_id}"
        )
    reasons = ", ".join(
        f"{n} without coordinates in municipality {m}, where none is active"
        if m != "coordinates"
        else f"{n} with coordinates, and no active unit has any"
        for m, n in sorted(Counter(why).items())
    )
    return (
        f"{len(why)} listed at {hsa_id} have no primary-care unit active on {first} to move "
        f"to ({reasons}); nothing was changed"
    )


# Listings


def _refuse(message: str | None) -> None:
    if message is not None:
        raise Conflict(message)


def create_listing(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    personnummer: str,
    hsa_id: str,
    valid_from: dt.date,
    reason: Reason,
    special_reason: bool,
) -> ListingRecord:
    """List a resident from valid_from after every rule; the current listing ends the day
    before. The person's row is locked, so concurrent changes for one person queue."""
    identity = parse_identity_number(personnummer)
    if identity.is_coordination_number:
        raise Unprocessable(
            "a samordningsnummer cannot be listed: only registered residents can",
            errors=[{"field": "personnummer", "message": "samordningsnummer"}],
        )
    with session.begin():
        now = change_moment(session)
        person_id = listings_repo.find_person_id(session, identity.value, lock=True)
        if person_id is None:
            raise NotFound(NOT_REGISTERED)
        where = units_repo.listable_unit(session, hsa_id, valid_from)
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
        person = listings_repo.current_facts(session, person_id)
        if ymd(valid_from) < person.birth_ymd:
            raise Unprocessable(
                "valid_from is before the person's birth date",
                errors=[{"field": "valid_from", "message": "is before the person's birth date"}],
            )
        _refuse(
            person_refusal(
                deceased_on=person.deceased_on, moved_out_on=person.moved_out_on, on=valid_from
            )
        )
        stored = listings_repo.current_listings(session, person_id)
        try:
            change = plan_change(stored, valid_from)
        except Refusal as exc:
            raise Conflict(exc.message) from exc
        _refuse(
            choice_refusal(
                stored, new_from=valid_from, reason=reason, special_reason=special_reason
            )
        )
        if change.supersede_id is not None:
            listings_repo.supersede(
                session, change.supersede_id, now=now, keep_until=change.keep_until
            )
        new = NewListing(person, where.id, valid_from, None, reason.value, special_reason)
        listing_id = listings_repo.add_listing(session, new, now=now)
        changes_repo.record(
            session,
            ChangeEntry(
                kind=ChangeKind.listing_created.value,
                reason=reason.value,
                care_type=where.care_type,
                affects_from=valid_from,
                listing_id=listing_id,
                person_id=person_id,
            ),
            now=now,
        )
        audit.record(
            session,
            principal=principal,
            action="listing.create",
            entity_type="listing",
            entity_id=hsa_id,
            personnummer=personnummer,
            request_id=request_id,
            details={
                "listing_id": listing_id,
                "valid_from": valid_from,
                "reason": reason.value,
                "special_reason": special_reason,
            },
        )
    return ListingRecord(listing_id, hsa_id, valid_from, None, reason.value, special_reason, now)


def get_listing(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    listing_id: int,
) -> StoredListingRecord:
    """One listing row by its id (current or superseded); a person-level read, so audited."""
    with session.begin():
        found = listings_repo.stored_listing(session, listing_id)
        if found is None:
            raise NotFound(f"listing {listing_id} is not known")
        audit.record(
            session,
            principal=principal,
            action="listing.read",
            entity_type="listing",
            entity_id=str(listing_id),
            personnummer=found.personnummer,
            request_id=request_id,
        )
    return found


def listing_history(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    personnummer: str,
    as_known_at: dt.datetime | None,
) -> list[ListingRecord]:
    """A person's listings, oldest first, as known at a moment (now if None); a person-level
    read, so it is audited."""
    at = as_utc(as_known_at) if as_known_at else None
    with session.begin():
        person_id = listings_repo.find_person_id(session, personnummer)
        if person_id is None:
            raise NotFound(NOT_REGISTERED)
        rows = listings_repo.history(session, person_id, at)
        audit.record(
            session,
            principal=principal,
            action="listing.history",
            entity_type="person",
            personnummer=personnummer,
            request_id=request_id,
            details={"as_known_at": at} if at else None,
        )
    return rows


def _default_listings(
    residents: list[defaults_repo.UnlistedResident],
    units: list[Candidate],
    on: dt.date,
) -> Iterator[NewListing]:
    for r in residents:
        chosen = choose_unit(units, lat=r.lat, lon=r.lon, municipality_code=r.municipality_code)
        if chosen is None:
            continue
        valid_to = r.next_from - dt.timedelta(days=1) if r.next_from is not None else None
        yield NewListing(r.person, chosen.unit_id, on, valid_to, Reason.default.value, False)


def assign_defaults(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    region: RegionScope,
    on: dt.date,
) -> int:
    """List every unlisted resident of the region at the nearest active primary-care unit on
    `on` (until their next listing starts); returns how many were assigned. Residents of
    other regions are never placed here."""
    with session.begin():
        now = change_moment(session)
        defaults_repo.lock_listings(session)
        units = defaults_repo.candidates(session, on)
        residents = defaults_repo.unlisted(session, on, region)
        assigned = listings_repo.add_listings(
            session, _default_listings(residents, units, on), now=now
        )
        if assigned:
            changes_repo.record(
                session,
                ChangeEntry(
                    kind=ChangeKind.listings_assigned.value,
                    reason=Reason.default.value,
                    care_type=CareType.primary.value,
                    affects_from=on,
                    persons=assigned,
                ),
                now=now,
            )
        audit.record(
            session,
            principal=principal,
            action="listing.assign_defaults",
            entity_type="listing",
            request_id=request_id,
            details={"date": on, "assigned": assigned},
        )
    return assigned


# Counts


def read_counts(
    *,
    session: Session,
    on: dt.date,
    care_type: CareType,
    as_known_at: dt.datetime | None,
    hsa_ids: frozenset[str] | None,
    region: RegionScope,
) -> Counts:
    """Listed per unit on `on` as known at a moment (now if None); `hsa_ids` limits the units.
    Residents outside `region` are counted apart (out_of_region).

    "Now" is taken under the shared change lock, so a re-read at the answered moment gives
    the same counts; a future moment is refused, since later changes would land before it.
    """
    with session.begin():
        at = _known_moment(session, as_known_at)
        return counts_repo.read_counts(
            session, on=on, care_type=care_type, at=at, region=region, hsa_ids=hsa_ids
        )


def data_problems(
    *, session: Session, audit: AuditLog, principal: Principal, on: dt.date
) -> list[DataProblem]:
    """Persons whose stored facts break a rule the counts rely on (the counts leave them out),
    with their identity numbers, for the region's staff: a person-level read, so audited."""
    with session.begin():
        found = problems_repo.data_problems(session, on)
        audit.record(
            session,
            principal=principal,
            action="listing.data_problems",
            entity_type="person",
            details={"date": on, "persons": len(found)},
        )
    return found


# Bulk imports


def import_register_stream(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    principal: Principal | None,
    binary: IO[bytes],
    source: str,
    request_id: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """A register extract from the HTTP body or a file: one transaction, stage, validate,
    merge and audit, or nothing at all (422 lists every bad row)."""
    with sessions() as session, session.begin():
        tick = (lambda _rows: progress(binary.tell())) if progress else None
        now = change_moment(session)
        result = import_register(
            session,
            CsvFile(binary),
            now=now,
            today=today_in_sweden(),
            municipalities=reference_repo.municipality_codes(session),
            progress=tick,
        )
        if result.inserted or result.updated:
            _, earliest = changes_repo.listings_recorded_at(session, now)
            changes_repo.record(
                session,
                ChangeEntry(
                    kind=ChangeKind.register_changed.value,
                    affects_from=earliest,
                    persons=result.inserted + result.updated,
                ),
                now=now,
            )
        audit.record(
            session,
            principal=principal,
            action="register.import",
            entity_type="register",
            request_id=request_id,
            details={
                "source": source,
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
    return result


def import_listing_history(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    principal: Principal,
    binary: IO[bytes],
    progress: Progress | None = None,
) -> int:
    """Historic listings (a region migrating its history), all or nothing; returns the rows
    added."""
    with sessions() as session, session.begin():
        tick = (lambda _rows: progress(binary.tell())) if progress else None
        now = change_moment(session)
        added = import_listings(
            session,
            CsvFile(binary),
            now=now,
            today=today_in_sweden(),
            progress=tick,
        )
        if added:
            persons, earliest = changes_repo.listings_recorded_at(session, now)
            changes_repo.record(
                session,
                ChangeEntry(
                    kind=ChangeKind.listings_imported.value,
                    affects_from=earliest,
                    persons=persons,
                ),
                now=now,
            )
        audit.record(
            session,
            principal=principal,
            action="listing.import",
            entity_type="listing",
            details={"source": "file", "added": added},
        )
    return added


# The change feed


def person_key(personnummer: str, hash_key: str) -> str:
    """The feed's opaque key of a person: keyed, so it cannot be computed from a number
    without the service's key, and apart from the audit log's hashes."""
    return keyed_hash(f"change-feed:{personnummer}", hash_key)


def read_changes(*, session: Session, after: int, limit: int, hash_key: str) -> ChangeFeed:
    """Up to `limit` committed changes after cursor `after`, in commit order; `next_after` is
    null once the page reaches the end of the log."""
    with session.begin():
        found = changes_repo.read(session, after=after, limit=limit + 1)
    page = found[:limit]
    changes = [
        Change(
            cursor=c.cursor,
            recorded_at=c.recorded_at,
            kind=ChangeKind(c.entry.kind),
            reason=ListingReason(c.entry.reason) if c.entry.reason else None,
            care_type=CareType(c.entry.care_type) if c.entry.care_type else None,
            affects_from=c.entry.affects_from,
            affects_to=c.entry.affects_to,
            listing_id=c.entry.listing_id,
            person_key=person_key(c.personnummer, hash_key) if c.personnummer else None,
            hsa_id=c.entry.hsa_id,
            persons=c.entry.persons,
        )
        for c in page
    ]
    return ChangeFeed(changes=changes, next_after=page[-1].cursor if len(found) > limit else None)
