"""The listing service's part of the demo region: a synthetic Jämtland Härjedalen, loaded once,
and the demo year's changes to its units, applied on every run (each is idempotent).

The year's changes: a private health centre closes in the middle of the demo year (its
patients move to the nearest active unit, reason closure), and one unit's distance to its
hospital changes from the 1st of July (a new road brings it into a nearer sparsity band), which
the sparsity payment reads from that month's count date on. After the payment demo has paid
the year, `late_changes` lists a few residents back-dated into its last month, which makes
that month stale.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import typer
from sqlalchemy import func, or_, select

from services.listing import loaders, service
from services.listing.db.migrate import migrate
from services.listing.db.models import audit_head, audit_log, listing, person, unit
from services.listing.domain.listing import Reason
from services.listing.settings import ListingConfig, database_url
from shared.audit import AuditLog
from shared.clock import business_today, latest_full_year
from shared.db import Database
from shared.errors import Conflict
from shared.period import CountDateRule
from shared.schemas.common import CareType, Ownership
from shared.schemas.listing import Unit, UnitIn
from shared.settings import Settings

RESIDENTS, UNITS, SEED = 133_000, 27, 2026
# The payment demo's count-date rule: the demo year is the one it pays (the latest full year).
COUNT_DATE_RULE = CountDateRule.last_day_prev_month
# The new road: from the 1st of July on, the unit nearest beyond this many km (the farthest
# sparsity band of the payment demo's model) is this much nearer, and so in the band below.
FAR_BAND_KM = Decimal("180")
SHORTER_KM = Decimal("20")


def demo_year(settings: Settings) -> int:
    return latest_full_year(business_today(settings), COUNT_DATE_RULE)


def load(settings: Settings) -> None:
    """Generate and import units, register and a year of listings if no unit exists yet; then
    apply the demo year's unit changes (already applied: nothing happens)."""
    url = database_url(settings)
    migrate(url)
    db = Database(url)
    try:
        with db.sessionmaker() as session:
            empty = not session.execute(select(func.count()).select_from(unit)).scalar_one()
        if empty:
            from services.listing.synthetic import generate

            files = generate(
                residents=RESIDENTS, units=UNITS, seed=SEED, out_dir=settings.data_dir / "demo"
            )
            loaders.import_units_file(db, settings, files.units_json)
            loaders.import_register_file(db, settings, files.register_csv)
            loaders.import_listings_file(db, settings, files.listings_csv)
        year_changes(db, settings, demo_year(settings))
    finally:
        db.dispose()


def _units_on(db: Database, on: dt.date) -> list[Unit]:
    with db.sessionmaker() as session:
        return service.list_units(session=session, on=on, as_known_at=None)


def _closing(units: list[Unit]) -> Unit | None:
    """The private health centre with the lowest hsa_id in a municipality with another one."""
    primary = [u for u in units if u.care_type == CareType.primary]
    shared_place = [
        u
        for u in primary
        if u.ownership == Ownership.private
        and any(o.municipality_code == u.municipality_code for o in primary if o is not u)
    ]
    return min(shared_place, key=lambda u: u.hsa_id) if shared_place else None


def year_changes(db: Database, settings: Settings, year: int) -> tuple[str | None, str | None]:
    """Close one unit on 15 June and shorten by 20 km, from 1 July of `year`, the distance of
    the unit nearest beyond 180 km; returns their hsa_ids. Chosen from the units as on 14 June,
    so a re-run picks the same."""
    last_day, road = dt.date(year, 6, 15), dt.date(year, 7, 1)
    before = _units_on(db, last_day - dt.timedelta(days=1))
    audit = AuditLog(audit_log, audit_head, settings.hash_key)
    principal = loaders.cli_principal()
    closing = _closing(before)
    if closing is not None and (closing.active_to is None or closing.active_to > last_day):
        started = time.perf_counter()
        with db.sessionmaker() as session:
            closed = service.close_unit(
                session=session,
                audit=audit,
                principal=principal,
                request_id=None,
                hsa_id=closing.hsa_id,
                last_day=last_day,
            )
        took = time.perf_counter() - started
        typer.echo(
            f"demo: {closing.hsa_id} {closing.name} closed after {last_day}: "
            f"{closed.moved} moved ({took:.1f} s)"
        )
    closing_id = closing.hsa_id if closing is not None else None
    farthest = min(
        (
            u
            for u in before
            if u.care_type == CareType.primary
            and u.hsa_id != closing_id
            and u.distance_to_hospital_km >= FAR_BAND_KM
        ),
        key=lambda u: (u.distance_to_hospital_km, u.hsa_id),
        default=None,
    )
    if farthest is not None:
        was = _version_before(db, farthest.hsa_id, road)
        shorter = max(was.distance_to_hospital_km - SHORTER_KM, Decimal(0))
        data = UnitIn.model_validate(
            was.model_dump(exclude={"hsa_id"}) | {"distance_to_hospital_km": shorter}
        )
        with db.sessionmaker() as session:
            service.save_unit(
                session=session,
                audit=audit,
                principal=principal,
                request_id=None,
                region=ListingConfig().region,
                hsa_id=farthest.hsa_id,
                body_hsa_id=None,
                data=data,
                effective_from=road,
            )
    return closing_id, farthest.hsa_id if farthest is not None else None


def _version_before(db: Database, hsa_id: str, day: dt.date) -> Unit:
    with db.sessionmaker() as session:
        return service.get_unit(
            session=session, hsa_id=hsa_id, on=day - dt.timedelta(days=1), as_known_at=None
        )


# Late changes: reported after the whole year was paid, they make exactly its last month stale.
LATE_CHOOSERS = 25


def late_changes(settings: Settings) -> int:
    """Residents who chose another health centre from 10 November of the demo year, reported
    only after its months were approved: the counts of 30 November (period December) change,
    no earlier month's, so `GET /v1/periods` shows December stale. Done once: a re-run finds
    the choices in place and adds none. Returns how many were listed now."""
    year = demo_year(settings)
    day = dt.date(year, 11, 10)
    db = Database(database_url(settings))
    try:
        with db.sessionmaker() as session, session.begin():
            if session.execute(
                select(func.count())
                .select_from(listing)
                .where(listing.c.valid_from == day, listing.c.reason == "choice")
            ).scalar_one():
                return 0
        with db.sessionmaker() as session:
            counts = service.read_counts(
                session=session,
                on=day,
                care_type=CareType.primary,
                as_known_at=None,
                hsa_ids=None,
                region=ListingConfig().region,
            )
        largest, second = sorted(counts.units, key=lambda u: (-u.listed, u.hsa_id))[:2]
        with db.sessionmaker() as session:
            choosers = session.execute(
                select(person.c.personnummer)
                .join(listing, listing.c.person_id == person.c.id)
                .join(unit, unit.c.id == listing.c.unit_id)
                .where(
                    unit.c.hsa_id == largest.hsa_id,
                    listing.c.superseded_at.is_(None),
                    listing.c.valid_from < day,
                    or_(listing.c.valid_to.is_(None), listing.c.valid_to >= day),
                )
                .order_by(person.c.id)
                .limit(LATE_CHOOSERS)
            ).scalars()
            personnummers = list(choosers)
        audit = AuditLog(audit_log, audit_head, settings.hash_key)
        listed = 0
        for personnummer in personnummers:
            try:
                with db.sessionmaker() as session:
                    service.create_listing(
                        session=session,
                        audit=audit,
                        principal=loaders.cli_principal(),
                        request_id=None,
                        personnummer=personnummer,
                        hsa_id=second.hsa_id,
                        valid_from=day,
                        reason=Reason.choice,
                        special_reason=False,
                    )
                listed += 1
            except Conflict:  # the two-changes limit, or a later listing: not this one
                continue
        return listed
    finally:
        db.dispose()
