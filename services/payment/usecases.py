"""The service's use cases: read over HTTP, compute in domain/, store in one transaction.

HTTP calls happen before the write transaction opens, so no lock is held while waiting on
the listing service; the transaction then re-checks that nothing it relied on has moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.payment.db import repository as repo
from services.payment.domain.calculation import MonthResult, UnitInput, calculate_month
from services.payment.domain.inputs import CountsSnapshot, InconsistentCounts, unit_inputs
from services.payment.domain.model import PaymentModel
from services.payment.listing import BadGateway, ListingReader
from shared.audit import AuditLog
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, NotFound
from shared.period import Period, count_date
from shared.schemas.listing import Unit
from shared.schemas.payment import RunStatus


@dataclass(frozen=True)
class RunOutcome:
    run: repo.RunRecord
    created: bool


def _unit_inputs(
    counts: CountsSnapshot, units: Iterable[Unit], also: Mapping[str, str | None] | None = None
) -> list[UnitInput]:
    """The listing service's answer checked against the contract; a broken one is a 502."""
    try:
        return unit_inputs(counts, units, also=also)
    except InconsistentCounts as exc:
        raise BadGateway(str(exc)) from exc


def create_run(
    *,
    sessions: sessionmaker[Session],
    listing: ListingReader,
    audit: AuditLog,
    period: Period,
    principal: Principal,
    request_id: str | None,
) -> RunOutcome:
    """Run a period: the first version, a correction with deltas, or 'unchanged'."""
    with sessions() as session:
        stored = repo.get_model(session, period.year)
        if stored is None:
            raise NotFound(
                f"there is no payment model for {period.year}; PUT /v1/models/{period.year}"
            )
        before = repo.latest_run(session, period)
        previous = repo.run_amounts(session, before.run_id) if before else None
    day = count_date(period, stored.model.count_date_rule)
    counts = listing.counts(day)
    units = _unit_inputs(counts, listing.units(), {h: p.name for h, p in (previous or {}).items()})
    result = calculate_month(stored.model, period, units)
    fingerprint = result.fingerprint(
        model_year=stored.year, model_version=stored.version, count_date=day.isoformat()
    )
    as_known_at = counts.as_known_at

    try:
        return _store_run(
            sessions,
            audit,
            period,
            principal,
            request_id,
            stored,
            before,
            previous,
            result,
            day,
            fingerprint,
            as_known_at,
        )
    except IntegrityError as exc:  # a concurrent run took the same version number
        raise Conflict(f"another run of {period} was stored meanwhile; run again") from exc


def _store_run(
    sessions: sessionmaker[Session],
    audit: AuditLog,
    period: Period,
    principal: Principal,
    request_id: str | None,
    stored: repo.StoredModel,
    before: repo.RunRecord | None,
    previous: dict[str, repo.PreviousUnit] | None,
    result: MonthResult,
    day: dt.date,
    fingerprint: str,
    as_known_at: dt.datetime,
) -> RunOutcome:
    """The write half of create_run: one transaction, re-checking what the computation used."""
    with sessions() as session, session.begin():
        # Locking the model row keeps a concurrent PUT from editing it in place before this
        # run marks it used (the PUT then waits and makes a new version instead).
        latest_model = repo.get_model(session, period.year, lock=True)
        if (
            latest_model is None
            or latest_model.version != stored.version
            or latest_model.model != stored.model
        ):
            raise Conflict("the payment model changed while the run was computed; run again")
        latest = repo.latest_run(session, period, lock=True)
        if (latest.run_id if latest else None) != (before.run_id if before else None):
            raise Conflict(f"another run of {period} was stored meanwhile; run again")
        if latest is not None and latest.fingerprint == fingerprint:
            return RunOutcome(latest, created=False)
        run_id = repo.insert_run(
            session,
            result=result,
            count_date=day,
            as_known_at=as_known_at,
            model_year=stored.year,
            model_version=stored.version,
            version=latest.version + 1 if latest else 1,
            fingerprint=fingerprint,
            sub=principal.sub,
            previous=previous,
        )
        repo.mark_model_used(session, stored.year, stored.version)
        audit.record(
            session,
            principal=principal,
            action="run.create",
            entity_type="payment_run",
            entity_id=run_id,
            request_id=request_id,
            details={
                "period": str(period),
                "model_version": stored.version,
                "total_ore": result.total_ore,
            },
        )
        run = repo.get_run(session, run_id)
    assert run is not None
    return RunOutcome(run, created=True)


def approve_run(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    run_id: str,
    principal: Principal,
    request_id: str | None,
) -> repo.RunRecord:
    """Four eyes: the approver is not the one who created the run; approved is final."""
    with sessions() as session, session.begin():
        run = repo.get_run(session, run_id)
        if run is None:
            raise NotFound("no such run")
        if run.status is RunStatus.approved:
            raise Conflict("the run is already approved; approved runs are immutable")
        if run.created_by == principal.sub:
            raise Forbidden(
                "four-eyes rule: a run must be approved by someone other than "
                "the person who created it"
            )
        latest = repo.latest_run(session, run.period, lock=True)
        if latest is not None and latest.run_id != run.run_id:
            raise Conflict(
                f"version {run.version} of {run.period} is superseded by version "
                f"{latest.version}; approve the latest version"
            )
        if not repo.approve_run(session, run_id, principal.sub):
            raise Conflict("the run was approved meanwhile")
        audit.record(
            session,
            principal=principal,
            action="run.approve",
            entity_type="payment_run",
            entity_id=run_id,
            request_id=request_id,
            details={"period": str(run.period), "version": run.version},
        )
        approved = repo.get_run(session, run_id)
    assert approved is not None
    return approved


@dataclass(frozen=True)
class SimulationOutcome:
    period: Period
    current: MonthResult | None
    current_model_version: int | None
    proposed: MonthResult
    as_known_at: dt.datetime | None


def simulate(
    *,
    sessions: sessionmaker[Session],
    listing: ListingReader,
    period: Period,
    proposed: PaymentModel,
) -> SimulationOutcome:
    """The month under the stored and under a proposed model, on the same counts; stores nothing."""
    with sessions() as session:
        stored = repo.get_model(session, period.year)
    units_list = listing.units()
    cache: dict[dt.date, tuple[list[UnitInput], dt.datetime | None]] = {}

    def inputs_for(model: PaymentModel) -> list[UnitInput]:
        day = count_date(period, model.count_date_rule)
        if day not in cache:
            counts = listing.counts(day)
            cache[day] = (_unit_inputs(counts, units_list), counts.as_known_at)
        return cache[day][0]

    proposed_result = calculate_month(proposed, period, inputs_for(proposed))
    current_result = (
        calculate_month(stored.model, period, inputs_for(stored.model)) if stored else None
    )
    return SimulationOutcome(
        period=period,
        current=current_result,
        current_model_version=stored.version if stored else None,
        proposed=proposed_result,
        as_known_at=next(iter(cache.values()))[1],
    )
