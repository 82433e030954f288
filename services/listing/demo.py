"""The listing service's part of the demo region: a synthetic Jämtland Härjedalen, loaded once,
and the demo year's changes to its units, applied on every run (each is idempotent).

The year's changes: a private health centre closes in the middle of the demo year (its
patients move to the nearest active unit, reason closure), and one unit's distance to its
hospital changes from the 1st of July (a new road), which the sparsity payment reads from
that month's count date on.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import typer
from sqlalchemy import func, select

from services.listing import loaders, service
from services.listing.db.migrate import migrate
from services.listing.db.models import audit_head, audit_log, unit
from services.listing.settings import ListingConfig, database_url
from shared.audit import AuditLog
from shared.clock import business_today, latest_full_year
from shared.db import Database
from shared.period import CountDateRule
from shared.schemas.common import CareType, Ownership
from shared.schemas.listing import Unit, UnitIn
from shared.settings import Settings

RESIDENTS, UNITS, SEED = 133_000, 27, 2026
# The payment demo's count-date rule: the demo year is the one it pays (the latest full year).
COUNT_DATE_RULE = CountDateRule.last_day_prev_month
# The new road: this much shorter from the 1st of July on.
SHORTER_KM = Decimal("15")


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
    """Close one unit on 15 June and shorten another's distance from 1 July of `year`;
    returns their hsa_ids. Chosen from the units as on 14 June, so a re-run picks the same."""
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
    farthest = max(
        (u for u in before if u.care_type == CareType.primary and u.hsa_id != closing_id),
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
