"""The payment service's use cases: read over HTTP, compute in domain/, store in one transaction.

Each use case owns its transaction (`with session.begin():`). Calls to the listing service
happen before the write transaction opens, so no lock is held while waiting on a peer; the
transaction then re-checks that nothing the computation relied on has moved.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.payment.clients import ListingClient
from services.payment.db import repository as repo
from services.payment.domain import simulation as sim_rules
from services.payment.domain import year as year_rules
from services.payment.domain.calculation import MonthResult, UnitInput, calculate_month
from services.payment.domain.inputs import (
    ExcludedPersons,
    InconsistentCounts,
    known_at,
    refuse_exclusions,
    unit_inputs,
)
from services.payment.domain.merge_patch import PatchTooDeep, merge_patch
from services.payment.domain.model import PaymentModel
from services.payment.domain.schedule import too_early
from services.payment.domain.staleness import StaleReason, stale_reasons
from shared.audit import AuditLog
from shared.auth import Principal, refuse_own_approval
from shared.errors import (
    BadGateway,
    Conflict,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
)
from shared.ids import redact_identity_numbers
from shared.period import Period, count_date
from shared.schemas.listing import Change, Unit
from shared.schemas.payment import RunStatus, Statement, StatementList

log = logging.getLogger("halsoval.payment")

# --- the listing service's answers ----------------------------------------------------------


@dataclass(frozen=True)
class MonthInputs:
    """The counts of one day, checked, as the calculation takes them."""

    units: list[UnitInput]
    as_known_at: dt.datetime


def _month_inputs(
    listing: ListingClient,
    *,
    day: dt.date,
    also: Mapping[str, str | None] | None = None,
) -> MonthInputs:
    """The counts on `day`, then the units on `day` as known at the counts' moment (so a unit
    edited after a run leaves the run reproducible, and a distance changed from a date counts
    from that date). Answers that contradict themselves are a 502, counts that leave persons
    out a 409 (the listing data must be corrected first)."""
    counts = listing.counts(day)
    try:
        as_known_at = known_at(counts, asked=day)
        units: list[Unit] = listing.units(day, as_known_at)
        inputs = unit_inputs(counts, units, also=also)
    except InconsistentCounts as exc:
        raise BadGateway(f"the listing service answered unusable counts: {exc}") from exc
    try:
        refuse_exclusions(counts)
    except ExcludedPersons as exc:
        raise Conflict(str(exc)) from exc
    return MonthInputs(units=inputs, as_known_at=as_known_at)


# --- models ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelOutcome:
    stored: repo.StoredModel
    outcome: repo.PutOutcome


def put_model(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    year: int,
    model: PaymentModel,
    principal: Principal,
    request_id: str | None,
) -> ModelOutcome:
    """Set the year's model as a draft: unchanged is a no-op, a draft is edited in place, an
    approved version is never changed (a new draft version is made)."""
    if model.effective_from is not None and model.effective_from.year != year:
        raise Unprocessable(
            f"effective_from must be a period of {year}",
            errors=[{"field": "effective_from", "message": f"must be {year}-01 to {year}-12"}],
        )
    if model.effective_from == Period(year, 1):  # the default, stored as omitted: compares equal
        model = model.model_copy(update={"effective_from": None})
    try:
        with sessions() as session, session.begin():
            stored, outcome = repo.put_model(session, year=year, model=model, sub=principal.sub)
            if outcome != "unchanged":
                audit.record(
                    session,
                    principal=principal,
                    action=f"model.{outcome}",
                    entity_type="payment_model",
                    entity_id=f"{year}/v{stored.version}",
                    request_id=request_id,
                )
    except IntegrityError as exc:  # a concurrent PUT created the same version first
        raise Conflict(f"the {year} model was changed meanwhile; PUT again") from exc
    return ModelOutcome(stored, outcome)


def _versions(models: list[repo.StoredModel]) -> list[year_rules.Version]:
    return [year_rules.Version(m.version, m.effective_month, m.model) for m in models]


def approve_model(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    year: int,
    version: int,
    principal: Principal,
    request_id: str | None,
) -> repo.StoredModel:
    """Four eyes on models: a finance_approver other than the version's author approves its
    draft; from then on it governs its year from effective_from, and is never changed. A
    version that would take back what earlier months were given (a negative pool) is refused."""
    with sessions() as session, session.begin():
        stored = repo.get_model(session, year, version, lock=True)
        if stored is None:
            raise NotFound(f"no payment model for {year} version {version}")
        if stored.status == "approved":
            raise Conflict(f"version {version} of the {year} model is already approved")
        refuse_own_approval(
            principal, author=stored.created_by, what="a model version", did="wrote"
        )
        approved = repo.approved_models(session, year, lock=True)
        try:
            year_rules.schedule(_versions([*approved, stored]))
        except year_rules.NegativePool as exc:
            raise Conflict(str(exc)) from exc
        if not repo.approve_model(session, year, version, principal.sub):
            raise Conflict("the model version was approved meanwhile")
        audit.record(
            session,
            principal=principal,
            action="model.approve",
            entity_type="payment_model",
            entity_id=f"{year}/v{version}",
            request_id=request_id,
            details={"effective_from": str(stored.effective_from)},
        )
        done = repo.get_model(session, year, version)
    assert done is not None
    return done


@dataclass(frozen=True)
class InForce:
    """The approved version in force for a period, and the month's pools under the year's
    approved versions (domain/year.py)."""

    stored: repo.StoredModel
    pools: dict[str, int]


def _in_force(session: Session, period: Period, *, lock: bool = False) -> InForce:
    """404 without any model of the year, 409 when none of its versions is approved yet."""
    approved = repo.approved_models(session, period.year, lock=lock)
    versions = _versions(approved)
    chosen = year_rules.in_force(versions, period.month)
    if chosen is None:
        if repo.get_model(session, period.year) is None:
            raise NotFound(
                f"there is no payment model for {period.year}; PUT /v1/models/{period.year}"
            )
        raise Conflict(
            f"no approved payment model version is in force for {period}: a finance_approver "
            f"other than its author approves one (POST /v1/models/{period.year}/versions/"
            "{version}/approve)"
        )
    month = year_rules.pools_for(versions, period.month)
    assert month is not None
    stored = next(m for m in approved if m.version == chosen.version)
    return InForce(stored, month.pools)


def get_model(
    *, sessions: sessionmaker[Session], year: int, version: int | None
) -> repo.StoredModel:
    """The year's newest model version, or the given one."""
    with sessions() as session:
        stored = repo.get_model(session, year, version)
    if stored is None:
        raise NotFound(f"no payment model for {year}" + (f" version {version}" if version else ""))
    return stored


# --- runs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    run: repo.RunRecord
    created: bool


@dataclass(frozen=True)
class ComputedRun:
    """What create_run computed outside the transaction, and the state it computed it from."""

    stored: repo.StoredModel
    pools: dict[str, int]
    before: repo.RunRecord | None
    previous: dict[str, repo.PreviousUnit] | None
    result: MonthResult
    count_date: dt.date
    as_known_at: dt.datetime
    fingerprint: str


def _compute_run(
    *,
    sessions: sessionmaker[Session],
    listing: ListingClient,
    period: Period,
    today: dt.date,
) -> ComputedRun:
    """What a run of `period` would store now under the approved version in force, computed
    outside any transaction: 404 without the year's model, 409 without an approved version in
    force or before the count date (the business date `today`), asked before the listing
    service is."""
    with sessions() as session:
        force = _in_force(session, period)
        stored = force.stored
        before = repo.latest_run(session, period)
        previous = repo.run_amounts(session, before.run_id) if before else None
    day = count_date(period, stored.model.count_date_rule)
    early = too_early(period, day, today=today, to="run")
    if early is not None:
        raise Conflict(early)
    inputs = _month_inputs(
        listing,
        day=day,
        also={h: p.name for h, p in (previous or {}).items()},
    )
    result = calculate_month(stored.model, period, inputs.units, force.pools)
    return ComputedRun(
        stored=stored,
        pools=force.pools,
        before=before,
        previous=previous,
        result=result,
        count_date=day,
        as_known_at=inputs.as_known_at,
        fingerprint=result.fingerprint(
            model_year=stored.year, model_version=stored.version, count_date=day.isoformat()
        ),
    )


def create_run(
    *,
    sessions: sessionmaker[Session],
    listing: ListingClient,
    audit: AuditLog,
    period: Period,
    today: dt.date,
    principal: Principal,
    request_id: str | None,
) -> RunOutcome:
    """Run a period: the first version, a correction with deltas, or 'unchanged'. A period
    whose count date is after `today` (the business date) is refused before the listing
    service is asked."""
    computed = _compute_run(sessions=sessions, listing=listing, period=period, today=today)
    try:
        return _store_run(
            sessions=sessions,
            audit=audit,
            computed=computed,
            principal=principal,
            request_id=request_id,
        )
    except IntegrityError as exc:  # a concurrent run took the same version number
        raise Conflict(f"another run of {period} was stored meanwhile; run again") from exc


def _store_run(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    computed: ComputedRun,
    principal: Principal,
    request_id: str | None,
) -> RunOutcome:
    """The write half of create_run: one transaction, re-checking what the computation used."""
    stored, before, result = computed.stored, computed.before, computed.result
    period = result.period
    with sessions() as session, session.begin():
        # Locking the approved rows keeps a concurrent approval from changing the version in
        # force (or the month's pools) between the computation and this write.
        force = _in_force(session, period, lock=True)
        if force.stored.version != stored.version or force.pools != computed.pools:
            raise Conflict("the payment model changed while the run was computed; run again")
        latest = repo.latest_run(session, period, lock=True)
        if (latest.run_id if latest else None) != (before.run_id if before else None):
            raise Conflict(f"another run of {period} was stored meanwhile; run again")
        if latest is not None and latest.fingerprint == computed.fingerprint:
            # Nothing recorded up to this moment changes the version: no longer stale for it.
            repo.confirm_run(session, latest.run_id, computed.as_known_at)
            confirmed = repo.get_run(session, latest.run_id)
            assert confirmed is not None
            return RunOutcome(confirmed, created=False)
        run_id = repo.insert_run(
            session,
            result=result,
            count_date=computed.count_date,
            as_known_at=computed.as_known_at,
            model_year=stored.year,
            model_version=stored.version,
            version=latest.version + 1 if latest else 1,
            fingerprint=computed.fingerprint,
            sub=principal.sub,
            previous=computed.previous,
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
    today: dt.date,
    principal: Principal,
    request_id: str | None,
) -> repo.RunRecord:
    """Four eyes: the approver is not the one who created the run; approved is final. A run
    stored before its count date (before that was refused) waits for the date."""
    with sessions() as session, session.begin():
        run = repo.get_run(session, run_id)
        if run is None:
            raise NotFound("no such run")
        if run.status is RunStatus.approved:
            raise Conflict("the run is already approved; approved runs are immutable")
        refuse_own_approval(principal, author=run.created_by, what="a run", did="created")
        early = too_early(run.period, run.count_date, today=today, to="approve")
        if early is not None:
            raise Conflict(early)
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


def list_runs(*, sessions: sessionmaker[Session], period: Period | None) -> list[repo.RunRecord]:
    """Every version of a period (or of all periods)."""
    with sessions() as session:
        return repo.list_runs(session, period)


def get_run(*, sessions: sessionmaker[Session], run_id: str) -> repo.RunRecord:
    with sessions() as session:
        run = repo.get_run(session, run_id)
    if run is None:
        raise NotFound("no such run")
    return run


# --- statements -----------------------------------------------------------------------------


def list_statements(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    period: Period,
    version: int | None,
    hsa_id: str | None,
    approved_only: bool,
) -> StatementList:
    """A period's statements of `version`, else of the newest version this principal may read."""
    with sessions() as session:
        found = repo.list_statements(
            session,
            principal,
            period=period,
            version=version,
            hsa_id=hsa_id,
            approved_only=approved_only,
        )
        # The version comes with the statements; look it up only when there are none.
        chosen = (
            found[0].version
            if found
            else repo.resolve_version(
                session, principal, period=period, version=version, approved_only=approved_only
            )
        )
    return StatementList(period=period, version=chosen, statements=found)


def get_statement(
    *, sessions: sessionmaker[Session], principal: Principal, statement_id: str
) -> Statement:
    """One statement; one the principal may not read is indistinguishable from none (404)."""
    with sessions() as session:
        statement = repo.get_statement(session, principal, statement_id)
    if statement is None:
        raise NotFound("no such statement")
    return statement


@dataclass(frozen=True)
class StatementForPrint:
    """A statement with what the printed forms show beside it (its JSON does not carry it):
    the run's moments, the unit as the listing service knew it at the run's counts (its
    organisation number, its distance), the run's model (the sparsity matrix that chose the
    points) and the version before it (whose amounts the deltas are against)."""

    statement: Statement
    created_at: dt.datetime
    approved_at: dt.datetime | None
    unit: Unit | None = None
    model: PaymentModel | None = None
    replaces: repo.RunRecord | None = None


def get_statement_for_print(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    statement_id: str,
    listing: ListingClient | None = None,
) -> StatementForPrint:
    """One statement for CSV or PDF, readable as `get_statement` decides (404 otherwise); the
    listing service (when given) is asked outside the transaction, at the run's as_known_at."""
    with sessions() as session:
        statement = repo.get_statement(session, principal, statement_id)
        if statement is None:
            raise NotFound("no such statement")
        moments = repo.run_moments(session, statement.run_id)
        stored = repo.get_model(session, statement.model_year, statement.model_version)
        before = [
            r for r in repo.list_runs(session, statement.period) if r.version < statement.version
        ]
    if moments is None:
        raise NotFound("no such statement")
    units = listing.units(statement.count_date, statement.as_known_at) if listing else []
    return StatementForPrint(
        statement,
        moments.created_at,
        moments.approved_at,
        unit=next((u for u in units if u.hsa_id == statement.hsa_id), None),
        model=stored.model if stored else None,
        replaces=max(before, key=lambda r: r.version) if before else None,
    )


# --- simulations ----------------------------------------------------------------------------


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
    listing: ListingClient,
    period: Period,
    proposed: PaymentModel,
) -> SimulationOutcome:
    """The month under the stored and under a proposed model, on the same counts; stores nothing."""
    with sessions() as session:
        # The approved version in force; a year with no model at all compares with nothing.
        force = (
            _in_force(session, period) if repo.get_model(session, period.year) is not None else None
        )
        approved = repo.approved_models(session, period.year)
    stored = force.stored if force else None
    # The proposal as if approved next: in force from its effective_from (else January).
    proposed_from = proposed.effective_from.month if proposed.effective_from else 1
    proposed_pools = year_rules.pools_for(
        [*_versions(approved), year_rules.Version(10**9, proposed_from, proposed)], period.month
    )
    cache: dict[dt.date, MonthInputs] = {}

    def inputs_for(model: PaymentModel) -> list[UnitInput]:
        day = count_date(period, model.count_date_rule)
        if day not in cache:
            cache[day] = _month_inputs(listing, day=day)
        return cache[day].units

    proposed_result = calculate_month(
        proposed, period, inputs_for(proposed), proposed_pools.pools if proposed_pools else None
    )
    current_result = (
        calculate_month(stored.model, period, inputs_for(stored.model), force.pools)
        if stored and force
        else None
    )
    return SimulationOutcome(
        period=period,
        current=current_result,
        current_model_version=stored.version if stored else None,
        proposed=proposed_result,
        as_known_at=next(iter(cache.values())).as_known_at,
    )


# --- the year's what-if (POST /v1/simulations {"year", "patch" | "model"}) -------------------


@dataclass(frozen=True)
class Counted:
    """Which counts one side of a month was computed on."""

    model_version: int | None  # the approved (or rolled-over) version; None: the proposal
    count_date: dt.date  # the model's count date for the month
    counted_on: dt.date  # the counts used: count_date once it has come, else the latest that has
    as_known_at: dt.datetime


@dataclass(frozen=True)
class SimulatedMonth:
    period: Period
    current: MonthResult | None
    proposed: MonthResult | None
    current_counts: Counted | None
    proposed_counts: Counted | None


@dataclass(frozen=True)
class YearSimulation:
    year: int
    today: dt.date
    basis: repo.StoredModel | None  # the approved model the patch applied to (and the current)
    rolled_over: bool  # the basis is the year before's: the current continues it from January
    proposed: PaymentModel
    months: list[SimulatedMonth]
    tally: sim_rules.YearTally


def _invalid(exc: ValidationError, source: str) -> Unprocessable:
    errors = [
        {
            "field": ".".join([source, *(str(p) for p in e["loc"])]),
            "message": redact_identity_numbers(str(e["msg"])),
        }
        for e in exc.errors()
    ]
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return Unprocessable(f"the proposed model is invalid: {fields}", errors=errors)


def _patched(basis: PaymentModel, patch: dict[str, Any]) -> PaymentModel:
    """The basis with the RFC 7396 patch applied, validated as a PUT would be (422 naming
    the field as `patch.<field>`)."""
    try:
        merged = merge_patch(basis.model_dump(mode="json"), patch)
    except PatchTooDeep as exc:
        raise Unprocessable(str(exc), errors=[{"field": "patch", "message": str(exc)}]) from exc
    try:
        return PaymentModel.model_validate(merged)
    except ValidationError as exc:
        raise _invalid(exc, "patch") from exc


def simulate_year(
    *,
    sessions: sessionmaker[Session],
    listing: ListingClient,
    year: int,
    today: dt.date,
    patch: dict[str, Any] | None = None,
    model: PaymentModel | None = None,
) -> YearSimulation:
    """The year under the current and a proposed model, all twelve months, on the same
    counts; stores nothing. The current is the year's approved versions in force (else the
    year before's latest approved version, continued from January); the proposal is `model`,
    or `patch` merged onto the year's latest approved version (else the year before's), in
    force from its effective_from as if approved next. One counts read per distinct date."""
    with sessions() as session:
        approved = repo.approved_models(session, year)
        before = [] if approved else repo.approved_models(session, year - 1)
        drafts = repo.get_model(session, year) is not None
    rolled_over = not approved and bool(before)
    basis = approved[-1] if approved else (before[-1] if before else None)
    if rolled_over and basis is not None:  # the year before's model, for this year from January
        current_versions = [
            year_rules.Version(
                basis.version, 1, basis.model.model_copy(update={"effective_from": None})
            )
        ]
    else:
        current_versions = _versions(approved)
    source = "patch" if patch is not None else "model"
    if patch is not None:
        if basis is None:
            if drafts:
                raise Conflict(
                    f"no version of the {year} payment model is approved, nor of {year - 1}: "
                    "nothing to patch (send a full model, or approve a version first)"
                )
            raise NotFound(
                f"there is no approved payment model for {year} or {year - 1} to patch; "
                "send a full model"
            )
        proposed = _patched(current_versions[-1].model, patch)
    else:
        assert model is not None
        proposed = model
    if proposed.effective_from is not None and proposed.effective_from.year != year:
        raise Unprocessable(
            f"effective_from must be a period of {year}",
            errors=[
                {"field": f"{source}.effective_from", "message": f"must be {year}-01 to {year}-12"}
            ],
        )
    start = proposed.effective_from.month if proposed.effective_from else 1
    proposal = year_rules.Version(10**9, start, proposed)
    try:
        current_plan = {m.month: m for m in year_rules.schedule(current_versions)}
        proposed_plan = {m.month: m for m in year_rules.schedule([*current_versions, proposal])}
    except year_rules.NegativePool as exc:
        raise Conflict(f"the proposal could not be approved: {exc}") from exc
    models = {v.version: v.model for v in [*current_versions, proposal]}
    cache: dict[dt.date, MonthInputs] = {}

    def side(
        period: Period, plan: year_rules.MonthPools | None
    ) -> tuple[MonthResult, Counted] | None:
        if plan is None:
            return None
        chosen = models[plan.version]
        on = sim_rules.counted_on(period, chosen.count_date_rule, today=today)
        if on not in cache:
            cache[on] = _month_inputs(listing, day=on)
        result = calculate_month(chosen, period, cache[on].units, plan.pools)
        counted = Counted(
            model_version=None if plan.version == proposal.version else plan.version,
            count_date=count_date(period, chosen.count_date_rule),
            counted_on=on,
            as_known_at=cache[on].as_known_at,
        )
        return result, counted

    months: list[SimulatedMonth] = []
    for month in range(1, 13):
        period = Period(year, month)
        cur = side(period, current_plan.get(month))
        prop = side(period, proposed_plan.get(month))
        months.append(
            SimulatedMonth(
                period=period,
                current=cur[0] if cur else None,
                proposed=prop[0] if prop else None,
                current_counts=cur[1] if cur else None,
                proposed_counts=prop[1] if prop else None,
            )
        )
    return YearSimulation(
        year=year,
        today=today,
        basis=basis,
        rolled_over=rolled_over,
        proposed=proposed,
        months=months,
        tally=sim_rules.tally(
            ((m.current, m.proposed) for m in months), with_current=bool(current_versions)
        ),
    )


# --- the listing service's change feed ------------------------------------------------------

# Entries per GET /v1/changes (the listing service's maximum).
FEED_PAGE = 1000


@dataclass(frozen=True)
class FeedState:
    """How far the stored feed reaches. `current`: this follow reached the feed's end just now;
    False when the listing service could not be followed (`detail` says why), so what is
    answered from the stored changes may miss the newest ones."""

    cursor: int
    followed_at: dt.datetime | None
    current: bool
    detail: str | None = None


def _feed_change(change: Change) -> repo.FeedChange:
    return repo.FeedChange(
        cursor=change.cursor,
        recorded_at=change.recorded_at,
        kind=change.kind.value,
        care_type=change.care_type.value if change.care_type else None,
        affects_from=change.affects_from,
        affects_to=change.affects_to,
        hsa_id=change.hsa_id,
        persons=change.persons,
    )


def _checked_page(changes: list[Change], *, after: int, more: bool) -> list[repo.FeedChange]:
    """A page in cursor order after `after`; an answer that would make the follower loop or
    skip back breaks the feed's contract (502)."""
    cursors = [c.cursor for c in changes]
    if any(c <= after for c in cursors) or cursors != sorted(set(cursors)):
        raise BadGateway(
            f"the listing service answered /v1/changes?after={after} with cursors out of order"
        )
    if more and not changes:
        raise BadGateway("the listing service answered an empty /v1/changes page with more to come")
    return [_feed_change(c) for c in changes]


def follow_changes(
    *, sessions: sessionmaker[Session], listing: ListingClient, page_size: int = FEED_PAGE
) -> FeedState:
    """Store the feed's new entries, page by page, each page in its own transaction, until the
    feed's end. Idempotent on the cursor: a concurrent follower neither duplicates an entry nor
    fails, and each page starts from the position stored (whoever stored it). When the
    listing service is away (503) or answers off contract (502), what is stored stays as it is
    and the state says so."""
    detail: str | None = None
    try:
        while True:
            with sessions() as session:
                after = repo.feed_position(session).cursor
            page = listing.changes(after=after, limit=page_size)
            more = page.next_after is not None
            changes = _checked_page(page.changes, after=after, more=more)
            with sessions() as session, session.begin():
                repo.store_changes(
                    session, changes, reached_end_at=None if more else dt.datetime.now(dt.UTC)
                )
            if not more:
                break
    except (ServiceUnavailable, BadGateway) as exc:
        detail = exc.detail
        log.warning("the listing feed could not be followed: %s", detail)
    with sessions() as session:
        position = repo.feed_position(session)
    return FeedState(position.cursor, position.followed_at, current=detail is None, detail=detail)


def poll_changes(*, sessions: sessionmaker[Session], listing: ListingClient) -> FeedState | None:
    """One background follow: never raises (a database fault is logged, None returned), so
    the poller, and the app, go on."""
    try:
        return follow_changes(sessions=sessions, listing=listing)
    except Exception:
        log.exception("following the listing feed failed")
        return None


# --- periods: which approved months went stale, and what a re-run would pay -----------------


@dataclass(frozen=True)
class PeriodState:
    """One period of a year as GET /v1/periods answers it."""

    period: Period
    count_date: dt.date | None  # by the approved version in force; None without one
    can_run: bool
    latest: repo.RunRecord | None
    approved: repo.RunRecord | None
    reasons: list[StaleReason]


@dataclass(frozen=True)
class YearPeriods:
    year: int
    model_version: int | None
    feed: FeedState
    periods: list[PeriodState]


def _staleness(
    session: Session, approved: repo.RunRecord | None, in_force: int | None
) -> list[StaleReason]:
    """`in_force`: the approved model version in force for the run's period now."""
    if approved is None:
        return []
    tally = repo.change_tally(session, after=approved.known_until, day=approved.count_date)
    return stale_reasons(tally, model_used=approved.model_version, in_force=in_force)


def year_periods(
    *, sessions: sessionmaker[Session], listing: ListingClient, year: int, today: dt.date
) -> YearPeriods:
    """Every period of `year`: its latest and latest approved versions and whether the
    approved one is stale, from the feed as followed just now (or as stored, if the listing
    service is away: `feed.current` says which)."""
    feed = follow_changes(sessions=sessions, listing=listing)
    with sessions() as session:
        model = repo.get_model(session, year)
        runs = repo.runs_of_year(session, year)
        in_year = _versions(repo.approved_models(session, year))
        newest = model.version if model else None
        periods: list[PeriodState] = []
        for month in range(1, 13):
            period = Period(year, month)
            force = year_rules.in_force(in_year, month)
            versions = [r for r in runs if r.period == period]
            approved = [r for r in versions if r.status is RunStatus.approved]
            # The count date is the rule of the approved version in force (a draft pays nothing).
            day = count_date(period, force.model.count_date_rule) if force else None
            periods.append(
                PeriodState(
                    period=period,
                    count_date=day,
                    can_run=day is not None and day <= today,
                    latest=versions[-1] if versions else None,
                    approved=approved[-1] if approved else None,
                    reasons=_staleness(
                        session,
                        approved[-1] if approved else None,
                        force.version if force else None,
                    ),
                )
            )
    return YearPeriods(year=year, model_version=newest, feed=feed, periods=periods)


@dataclass(frozen=True)
class PreviewUnit:
    hsa_id: str
    name: str | None
    new_ore: int
    previous_ore: int | None  # None when the period was never run


@dataclass(frozen=True)
class Preview:
    """What a re-run would pay now, against the latest approved version (else the latest)."""

    computed: ComputedRun
    compared_with: repo.RunRecord | None
    unchanged: bool  # a re-run would answer `unchanged` (nothing new would be stored)
    units: list[PreviewUnit]
    feed: FeedState
    reasons: list[StaleReason]


def preview_period(
    *, sessions: sessionmaker[Session], listing: ListingClient, period: Period, today: dt.date
) -> Preview:
    """Compute a re-run of `period` exactly as POST /v1/runs would, and store nothing."""
    feed = follow_changes(sessions=sessions, listing=listing)
    computed = _compute_run(sessions=sessions, listing=listing, period=period, today=today)
    with sessions() as session:
        approved = repo.latest_approved_run(session, period)
        compared = approved or computed.before
        amounts = repo.run_amounts(session, compared.run_id) if compared else {}
        reasons = _staleness(session, approved, computed.stored.version)
    new = {u.hsa_id: u for u in computed.result.units}
    units = [
        PreviewUnit(
            hsa_id=hsa_id,
            name=new[hsa_id].name if hsa_id in new else amounts[hsa_id].name,
            new_ore=new[hsa_id].total_ore if hsa_id in new else 0,
            previous_ore=(sum(amounts[hsa_id].amounts.values()) if hsa_id in amounts else 0)
            if compared is not None
            else None,
        )
        for hsa_id in sorted(set(new) | set(amounts))
    ]
    before = computed.before
    return Preview(
        computed=computed,
        compared_with=compared,
        unchanged=before is not None and before.fingerprint == computed.fingerprint,
        units=units,
        feed=feed,
        reasons=reasons,
    )


# --- the year: does it add up to the frame? (GET /v1/years/{year}) --------------------------


@dataclass(frozen=True)
class YearPeriod:
    """One period in the year's account: its scheduled pools and its latest approved run."""

    period: Period
    model_version: int | None  # the approved version in force for it
    scheduled: dict[str, int]  # component id → öre under the versions in force
    approved: repo.RunRecord | None
    vat_ore: int  # the approved run's VAT compensation (on top of the frame)
    current: bool  # the approved run used the version in force and its pools


@dataclass(frozen=True)
class YearView:
    year: int
    model_version: int  # the version in force for December: its annual amounts are the frame
    components: dict[str, year_rules.Account]
    total: year_rules.Account
    periods: list[YearPeriod]
    vat_ore: int


def year_view(*, sessions: sessionmaker[Session], year: int) -> YearView:
    """The year as the finance office signs it: per component and in total the frame, the
    approved months and whether they add up to the frame exactly, and if not, why."""
    with sessions() as session:
        approved_models = repo.approved_models(session, year)
        if not approved_models:
            if repo.get_model(session, year) is None:
                raise NotFound(f"there is no payment model for {year}")
            raise Conflict(f"no version of the {year} payment model is approved yet")
        runs = repo.runs_of_year(session, year)
        latest = {
            r.period.month: r for r in runs if r.status is RunStatus.approved
        }  # in version order: the last one stays
        vat = repo.vat_by_run(session, [r.run_id for r in latest.values()])
    versions = _versions(approved_models)
    planned = {m.month: m for m in year_rules.schedule(versions)}
    last = max(planned)  # the version in force for December (January's, at the least)
    frame_model = next(m for m in approved_models if m.version == planned[last].version)
    annuals = year_rules.component_annuals(frame_model.model)
    periods: list[YearPeriod] = []
    for month in range(1, 13):
        plan = planned.get(month)
        run = latest.get(month)
        scheduled = plan.pools if plan else {}
        current = (
            run is not None
            and plan is not None
            and run.model_version == plan.version
            and all(scheduled.get(c.component, 0) == c.pool_ore for c in run.components)
        )
        periods.append(
            YearPeriod(
                period=Period(year, month),
                model_version=plan.version if plan else None,
                scheduled=dict(scheduled),
                approved=run,
                vat_ore=vat.get(run.run_id, 0) if run else 0,
                current=current,
            )
        )

    def figure(frame: int, component: str | None) -> year_rules.Account:
        def pool_of(pools: Mapping[str, int]) -> int:
            return sum(pools.values()) if component is None else pools.get(component, 0)

        approved: dict[int, tuple[int, int, bool]] = {}
        for p in periods:
            if p.approved is None:
                continue
            chosen = [
                c for c in p.approved.components if component is None or c.component == component
            ]
            approved[p.period.month] = (
                sum(c.pool_ore for c in chosen),
                sum(c.distributed_ore for c in chosen),
                p.current,
            )
        return year_rules.account(
            frame, {p.period.month: pool_of(p.scheduled) for p in periods}, approved
        )

    return YearView(
        year=year,
        model_version=planned[last].version,
        components={k: figure(v, k) for k, v in annuals.items()},
        total=figure(year_rules.frame_ore(frame_model.model), None),
        periods=periods,
        vat_ore=sum(p.vat_ore for p in periods),
    )


# --- payouts --------------------------------------------------------------------------------
# Imported here, not at the top, so this section stays apart from the models' and runs' edits.
from services.payment.db import payouts as payout_repo  # noqa: E402
from services.payment.domain import payouts as payout_rules  # noqa: E402


def create_payout(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    period: Period,
    care_type: str,
    payment_date: dt.date | None,
    today: dt.date,
    principal: Principal,
    request_id: str | None,
) -> payout_repo.PayoutRecord:
    """Record that the period's latest approved version is to be paid: in full the first
    time, else per unit the difference to what the approved payouts paid. 409 without an
    approved version, when that version is paid or awaits approval already, or while another
    payout of the period awaits approval (corrections are measured against what was paid)."""
    if payment_date is not None and payment_date < today:
        raise Unprocessable(
            f"payment_date {payment_date} is before the business date {today}",
            errors=[{"field": "payment_date", "message": "is before the business date"}],
        )
    try:
        return _store_payout(
            sessions=sessions,
            audit=audit,
            period=period,
            care_type=care_type,
            payment_date=payment_date,
            principal=principal,
            request_id=request_id,
        )
    except IntegrityError as exc:  # a concurrent payout of the same version (uq_payout_run)
        raise Conflict(f"another payout of {period} was stored meanwhile") from exc


def _store_payout(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    period: Period,
    care_type: str,
    payment_date: dt.date | None,
    principal: Principal,
    request_id: str | None,
) -> payout_repo.PayoutRecord:
    """create_payout's one transaction."""
    with sessions() as session, session.begin():
        run = repo.latest_approved_run(session, period)
        if run is None:
            raise Conflict(f"{period} has no approved version to pay; approve a run first")
        existing = payout_repo.lock_period(session, period)
        if any(p.run_id == run.run_id for p in existing):
            raise Conflict(
                f"version {run.version} of {period} is paid (or awaits approval) already"
            )
        pending = [p for p in existing if p.status != payout_repo.APPROVED]
        if pending:
            raise Conflict(
                f"payout {pending[0].payout_id} of {period} awaits approval; approve it first"
            )
        approved = [p for p in existing if p.status == payout_repo.APPROVED]
        paid = (
            payout_rules.paid_so_far(ln for p in approved for ln in p.lines) if approved else None
        )
        lines = payout_rules.payout_lines(
            period=period,
            version=run.version,
            amounts=payout_repo.version_amounts(session, run.run_id),
            paid=paid,
            paid_version=approved[-1].version if approved else None,
        )
        payout_id = payout_repo.insert_payout(
            session,
            period=period,
            care_type=care_type,
            run_id=run.run_id,
            version=run.version,
            paid_version=approved[-1].version if approved else None,
            payment_date=payment_date,
            lines=lines,
            sub=principal.sub,
        )
        audit.record(
            session,
            principal=principal,
            action="payout.create",
            entity_type="payout",
            entity_id=payout_id,
            request_id=request_id,
            details={
                "period": str(period),
                "version": run.version,
                "total_ore": sum(ln.amount_ore for ln in lines),
            },
        )
        created = payout_repo.get_payout(session, payout_id)
    assert created is not None
    return created


def approve_payout(
    *,
    sessions: sessionmaker[Session],
    audit: AuditLog,
    payout_id: str,
    today: dt.date,
    principal: Principal,
    request_id: str | None,
) -> payout_repo.PayoutRecord:
    """Four eyes: approved by someone other than its author; final. The payment date is the
    one asked for, else the approval's date: the business date `today` (in production the
    date in Stockholm; HALSOVAL_TODAY where it is set, as the demo and the tests do)."""
    with sessions() as session, session.begin():
        found = payout_repo.get_payout(session, payout_id)
        if found is None:
            raise NotFound("no such payout")
        if found.status == payout_repo.APPROVED:
            raise Conflict("the payout is already approved; payouts are immutable")
        refuse_own_approval(principal, author=found.created_by, what="a payout", did="created")
        now = dt.datetime.now(dt.UTC)
        day = found.payment_date or today
        if not payout_repo.approve_payout(
            session, payout_id, sub=principal.sub, at=now, payment_date=day
        ):
            raise Conflict("the payout was approved meanwhile")
        audit.record(
            session,
            principal=principal,
            action="payout.approve",
            entity_type="payout",
            entity_id=payout_id,
            request_id=request_id,
            details={"period": str(found.period), "version": found.version},
        )
        approved = payout_repo.get_payout(session, payout_id)
    assert approved is not None
    return approved


def list_payouts(
    *, sessions: sessionmaker[Session], period: Period | None
) -> list[payout_repo.PayoutRecord]:
    with sessions() as session:
        return payout_repo.list_payouts(session, period)


def get_payout(*, sessions: sessionmaker[Session], payout_id: str) -> payout_repo.PayoutRecord:
    with sessions() as session:
        found = payout_repo.get_payout(session, payout_id)
    if found is None:
        raise NotFound("no such payout")
    return found


def unit_ledger(
    *, sessions: sessionmaker[Session], principal: Principal, hsa_id: str, year: int
) -> list[payout_rules.LedgerPeriod]:
    """A unit's running account of `year`. A provider reads only its own units: another
    unit's ledger is indistinguishable from one that does not exist (404), as statements."""
    if not principal.is_wide and hsa_id not in principal.hsa_ids:
        raise NotFound("no ledger for that unit")
    with sessions() as session:
        found = payout_repo.unit_year(session, hsa_id, year)
    if not found.known:
        raise NotFound("no ledger for that unit")
    return payout_rules.ledger(year, computed=found.computed, lines=found.lines)


@dataclass(frozen=True)
class PayoutDocuments:
    """A payout with what its files show beside the lines: the run's moments and the units
    as the listing service knew them at the run's counts (payee numbers, ownership)."""

    payout: payout_repo.PayoutRecord
    run: repo.RunRecord
    units: dict[str, Unit]
    accounting: payout_rules.Accounting


def payout_documents(
    *,
    sessions: sessionmaker[Session],
    listing: ListingClient,
    payout_id: str,
    approved_only: bool = False,
) -> PayoutDocuments:
    """The payout and its units for the finance files; the listing service is asked outside
    any transaction (502/503 by the one peer error policy). `approved_only`: a file that
    books or announces the money (SIE, the notice) exists once the payout is approved (409)."""
    with sessions() as session:
        found = payout_repo.get_payout(session, payout_id)
        run = repo.get_run(session, found.run_id) if found else None
        # The accounts are those of the model version the paid run used (its `accounting`).
        used = repo.get_model(session, run.model_year, run.model_version) if run else None
    if found is None or run is None:
        raise NotFound("no such payout")
    if approved_only and found.status != payout_repo.APPROVED:
        raise Conflict("the payout is not approved yet; its SIE file and notices exist once it is")
    accounting = used.model.accounting.booking() if used else payout_rules.DEFAULT_ACCOUNTING
    units = {u.hsa_id: u for u in listing.units(run.count_date, run.as_known_at)}
    return PayoutDocuments(found, run, units, accounting)


@dataclass(frozen=True)
class PayoutNotice:
    documents: PayoutDocuments
    line: payout_rules.PayoutLine


def payout_notice(
    *,
    sessions: sessionmaker[Session],
    listing: ListingClient,
    principal: Principal,
    payout_id: str,
    hsa_id: str,
) -> PayoutNotice:
    """One unit's line of an approved payout for its notice. A provider reads only its own
    units' notices; anything it may not read is a 404, like a payout with no line for the
    unit. An unapproved payout has no notice yet (409: nothing is paid before approval)."""
    if not principal.is_wide and hsa_id not in principal.hsa_ids:
        raise NotFound("no such payout line")
    with sessions() as session:
        found = payout_repo.get_payout(session, payout_id)
    if found is None or (not principal.is_wide and found.status != payout_repo.APPROVED):
        raise NotFound("no such payout")
    line = next((ln for ln in found.lines if ln.hsa_id == hsa_id), None)
    if line is None:
        raise NotFound("no such payout line")
    if found.status != payout_repo.APPROVED:
        raise Conflict("the payout is not approved yet; its notices exist once it is")
    docs = payout_documents(sessions=sessions, listing=listing, payout_id=payout_id)
    return PayoutNotice(docs, line)
