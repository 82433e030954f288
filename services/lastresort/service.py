"""The last-resort service's use cases. Each owns its transaction (`with session.begin():`),
writes its audit row in it and answers what it read in it.

Peer calls (the listing and payment services) happen outside any transaction, so that SQLite's
writer lock is never held during HTTP; what a write depends on is re-checked inside the write
transaction (a settlement re-reads its model and refuses with 409 if it changed meanwhile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.lastresort.clients import Peers
from services.lastresort.db import repository as repo
from services.lastresort.domain import calculation as calc
from services.lastresort.domain import settlement as domain
from services.lastresort.domain.designation import designation_problem
from shared.audit import AuditLog
from shared.auth import Principal, refuse_own_approval
from shared.errors import BadGateway, Conflict, NotFound, Unprocessable
from shared.money import from_ore, to_ore
from shared.schemas.common import CareType, Ownership
from shared.schemas.lastresort import AppliesTo, DeficitCappedModel, FixedSumModel
from shared.schemas.listing import Counts, Unit


@contextmanager
def _stored_meanwhile(what: str) -> Iterator[None]:
    """A concurrent first PUT of the same key inserted it between our read and our insert: 409
    (the unique key refused ours; nothing of this request was stored)."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"the same {what} was stored meanwhile by another request: retry") from exc


# --- designations -------------------------------------------------------------------------


def put_designation(
    *,
    session: Session,
    audit: AuditLog,
    peers: Peers,
    principal: Principal,
    request_id: str | None,
    year: int,
    care_type: CareType,
    municipality_code: str,
    hsa_id: str,
) -> repo.DesignationRecord:
    """Name the unit carrying the responsibility: it must be a region-owned unit of the care type,
    in the municipality and active in the year, as the listing service knows it (422 otherwise).
    The region's municipalities are the listing service's (GET /v1/region)."""
    if municipality_code not in peers.listing.region_municipalities():
        raise Unprocessable(
            f"municipality {municipality_code} is not one of the region's municipalities",
            errors=[{"field": "municipality_code", "message": "not a municipality of the region"}],
        )
    unit = peers.listing.unit(hsa_id)
    if unit is None:
        raise Unprocessable(
            f"unit {hsa_id} is unknown to the listing service",
            errors=[{"field": "hsa_id", "message": "unknown unit"}],
        )
    problem = designation_problem(
        unit, year=year, care_type=care_type, municipality_code=municipality_code
    )
    if problem is not None:
        raise Unprocessable(problem, errors=[{"field": "hsa_id", "message": problem}])
    with _stored_meanwhile("designation"), session.begin():
        replaced = repo.upsert_designation(
            session,
            year=year,
            care_type=care_type,
            municipality_code=municipality_code,
            hsa_id=unit.hsa_id,
            unit_name=unit.name,
            actor=principal.sub,
        )
        audit.record(
            session,
            principal=principal,
            action="designation.put",
            entity_type="designation",
            entity_id=f"{year}/{care_type.value}/{municipality_code}",
            request_id=request_id,
            details={"hsa_id": unit.hsa_id, "replaced": replaced},
        )
        stored = repo.get_designation(
            session, year=year, care_type=care_type, municipality_code=municipality_code
        )
    assert stored is not None
    return stored


@dataclass(frozen=True)
class Designations:
    designations: list[repo.DesignationRecord]
    # (care type, municipality) of the region without a designation.
    missing: list[tuple[CareType, str]]


def designations(
    *, session: Session, peers: Peers, year: int, care_type: CareType | None
) -> Designations:
    """The year's designations and, per care type, the region's municipalities (the listing
    service's) without one."""
    municipalities = peers.listing.region_municipalities()
    with session.begin():
        rows = repo.list_designations(session, year=year, care_type=care_type)
    have = {(r.care_type, r.municipality_code) for r in rows}
    types = [care_type] if care_type else list(CareType)
    missing = [(t, code) for t in types for code in municipalities if (t, code) not in have]
    return Designations(designations=rows, missing=missing)


# --- models -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelPut:
    model: repo.ModelRecord
    outcome: Literal["created", "updated", "unchanged"]


def put_model(
    *,
    session: Session,
    audit: AuditLog,
    peers: Peers,
    principal: Principal,
    request_id: str | None,
    year: int,
    care_type: CareType | None,
    model: FixedSumModel | DeficitCappedModel,
) -> ModelPut:
    """Set the year's model for all care types (care_type None) or for one; unchanged when
    identical, updated in place while unused, else a new version. A fixed sum names only the
    region's municipalities (the listing service's, read before the transaction)."""
    if isinstance(model, FixedSumModel):
        region = set(peers.listing.region_municipalities())
        foreign = sorted(set(model.annual_sek_by_municipality) - region)
        if foreign:
            raise Unprocessable(
                "annual_sek_by_municipality names municipalities outside the region: "
                + ", ".join(foreign),
                errors=[
                    {
                        "field": f"annual_sek_by_municipality.{c}",
                        "message": "not a municipality of the region",
                    }
                    for c in foreign
                ],
            )
    applies_to: AppliesTo = care_type.value if care_type else "all"
    with _stored_meanwhile("model"), session.begin():
        stored, outcome = repo.put_model(
            session,
            year=year,
            applies_to=applies_to,
            body=repo.model_text(model),
            actor=principal.sub,
        )
        if outcome != "unchanged":
            audit.record(
                session,
                principal=principal,
                action=f"model.{outcome}",
                entity_type="model",
                entity_id=f"{year}/{applies_to}/{stored.version}",
                request_id=request_id,
                details={"method": model.method},
            )
    return ModelPut(model=stored, outcome=outcome)


def approve_model(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    year: int,
    care_type: CareType | None,
    version: int,
    body_sha256: str | None,
) -> repo.ModelRecord:
    """Four eyes: a finance_approver other than the version's author (its last writer) approves
    it; approved is final (a changed PUT then makes a new draft). 404 unknown, 409 approved
    already or (with `body_sha256`) its body changed since the approver read it, 403 the
    author."""
    applies_to: AppliesTo = care_type.value if care_type else "all"
    with session.begin():
        found = repo.model_for_update(session, year=year, applies_to=applies_to, version=version)
        if found is None:
            raise NotFound(f"no version {version} of the {year} model for {applies_to}")
        if found.status == "approved":
            raise Conflict(
                f"version {version} of the {year} model for {applies_to} is already approved"
            )
        refuse_own_approval(principal, author=found.written_by, what="a model version", did="wrote")
        if body_sha256 is not None and body_sha256 != found.body_sha256:
            raise Conflict(
                f"version {version} of the {year} model for {applies_to} changed since it was "
                "read (body_sha256 differs): read it again before approving",
                errors=[{"field": "body_sha256", "message": "not the stored body's"}],
            )
        repo.approve_model(session, found.id, actor=principal.sub)
        audit.record(
            session,
            principal=principal,
            action="model.approve",
            entity_type="model",
            entity_id=f"{year}/{applies_to}/{version}",
            request_id=request_id,
            details={"written_by": found.written_by, "body_sha256": found.body_sha256},
        )
        approved = repo.model_for_update(session, year=year, applies_to=applies_to, version=version)
    assert approved is not None
    return approved


@dataclass(frozen=True)
class Models:
    versions: list[repo.ModelRecord]
    # The approved version each care type's settlement would use.
    effective: dict[CareType, repo.ModelRecord | None]


def _effective(versions: list[repo.ModelRecord], care_type: CareType) -> repo.ModelRecord | None:
    """The newest approved version of the model that applies to the care type: its own once it
    has any version (a draft-only own model is not replaced by the `all` one), else `all`."""
    applies_to = domain.effective_applies_to(care_type.value, {v.applies_to for v in versions})
    approved = [v for v in versions if v.applies_to == applies_to and v.status == "approved"]
    return max(approved, key=lambda v: v.version) if approved else None


def models(*, session: Session, year: int) -> Models:
    """Every version of the year's models and which one each care type's settlement would use:
    one query, the effective ones derived from it."""
    with session.begin():
        versions = repo.model_versions(session, year=year)
    return Models(versions=versions, effective={t: _effective(versions, t) for t in CareType})


# --- accounts -----------------------------------------------------------------------------


def put_account(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    year: int,
    hsa_id: str,
    costs: Decimal,
    other_revenue: Decimal,
    targeted_grants: Decimal,
) -> repo.AccountRecord:
    """Store (or replace) the unit's accounts for the year; settlements copy what they used."""
    with _stored_meanwhile("accounts"), session.begin():
        previous = repo.upsert_account(
            session,
            year=year,
            hsa_id=hsa_id,
            costs_ore=to_ore(costs),
            other_revenue_ore=to_ore(other_revenue),
            targeted_grants_ore=to_ore(targeted_grants),
            actor=principal.sub,
        )
        audit.record(
            session,
            principal=principal,
            action="account.put",
            entity_type="account",
            entity_id=f"{year}/{hsa_id}",
            request_id=request_id,
            details={
                "previous": None
                if previous is None
                else {
                    "costs_ore": previous.costs_ore,
                    "other_revenue_ore": previous.other_revenue_ore,
                    "targeted_grants_ore": previous.targeted_grants_ore,
                }
            },
        )
        stored = repo.get_account(session, year=year, hsa_id=hsa_id)
    assert stored is not None
    return stored


def accounts(*, session: Session, year: int) -> list[repo.AccountRecord]:
    with session.begin():
        return repo.list_accounts(session, year=year)


def account(*, session: Session, year: int, hsa_id: str) -> repo.AccountRecord:
    """One unit's accounts for the year (404 when none are stored)."""
    with session.begin():
        found = repo.get_account(session, year=year, hsa_id=hsa_id)
    if found is None:
        raise NotFound(f"no {year} accounts for unit {hsa_id}")
    return found


# --- settlements --------------------------------------------------------------------------


@dataclass(frozen=True)
class _OwnInputs:
    """What this service's own database holds for a settlement."""

    model: repo.ModelRecord
    designated: list[calc.DesignatedUnit]
    accounts: dict[str, calc.Accounts]


def _own_inputs(session: Session, *, year: int, care_type: CareType) -> _OwnInputs:
    """Designations, the effective model and the accounts; refuses (409) without the first two."""
    designations = repo.list_designations(session, year=year, care_type=care_type)
    if not designations:
        raise Conflict(
            f"no unit is designated for {care_type.value} care in {year}: nothing to settle"
        )
    versions = repo.model_versions(session, year=year)
    model = _effective(versions, care_type)
    if model is None:
        applies_to = domain.effective_applies_to(care_type.value, {v.applies_to for v in versions})
        if applies_to is None:
            raise Conflict(
                f"no last-resort model for {year} applies to {care_type.value} care: "
                f"PUT /v1/models/{year}"
            )
        raise Conflict(
            f"the {year} last-resort model for {applies_to} has no approved version: a "
            f"finance_approver other than its author approves it with POST "
            f"/v1/models/{year}/versions/{{version}}/approve"
        )
    designated = [
        calc.DesignatedUnit(d.hsa_id, d.unit_name, d.municipality_code) for d in designations
    ]
    stored = repo.list_accounts(session, year=year, hsa_ids=[u.hsa_id for u in designated])
    return _OwnInputs(
        model=model,
        designated=designated,
        accounts={
            a.hsa_id: calc.Accounts(
                from_ore(a.costs_ore),
                from_ore(a.other_revenue_ore),
                from_ore(a.targeted_grants_ore),
            )
            for a in stored
        },
    )


def _method(model: FixedSumModel | DeficitCappedModel) -> domain.Method:
    if isinstance(model, FixedSumModel):
        return domain.FixedSum(dict(model.annual_sek_by_municipality))
    return domain.DeficitCapped(coverage=model.coverage, cap=model.cap_sek)


def _approved_periods(peers: Peers, year: int) -> list[domain.ApprovedPeriod]:
    """Every approved payment run of the year (one call per period), with the count date and
    the moment its counts were known at; 409 when one is missing or pays nobody (then it names
    no count date)."""
    approved: list[domain.ApprovedPeriod] = []
    empty: list[str] = []
    for period in calc.year_periods(year):
        statements = peers.payment.approved_statements(period)
        if statements.version is None:
            continue
        if not statements.statements:
            empty.append(str(period))
            continue
        first = statements.statements[0]
        approved.append(
            domain.ApprovedPeriod(
                period=period,
                payment_version=statements.version,
                count_date=first.count_date,
                as_known_at=first.as_known_at,
                statement_totals=tuple((s.hsa_id, s.total_sek) for s in statements.statements),
            )
        )
    missing = [str(p) for p in calc.missing_periods(year, {a.period for a in approved})]
    missing = [p for p in missing if p not in empty]
    if missing:
        raise Conflict(
            f"payment periods without an approved run: {', '.join(missing)}",
            errors=[{"field": "period", "message": p} for p in missing],
        )
    if empty:
        raise Conflict(
            f"approved payment runs without statements (no count date to read): {', '.join(empty)}",
            errors=[{"field": "period", "message": p} for p in empty],
        )
    return approved


def _listed_by_date(
    peers: Peers, approved: list[domain.ApprovedPeriod], care_type: CareType
) -> list[list[calc.ListedUnit]]:
    """The counted units on each approved run's count date, read as known at that run's
    `as_known_at`, with the units as they were on that date as known then (two calls per
    date): what the run paid for, so a later back-dated change cannot move the settlement."""
    listed: list[list[calc.ListedUnit]] = []
    for a in approved:
        counts = peers.listing.counts(
            on=a.count_date, care_type=care_type, as_known_at=a.as_known_at
        )
        register = peers.listing.units(on=a.count_date, as_known_at=counts.as_known_at)
        listed.append(_listed_units(register, counts, care_type))
    return listed


def _listed_units(
    register: list[Unit], counts: Counts, care_type: CareType
) -> list[calc.ListedUnit]:
    """The counted units of the care type with their names, places and ownership. The register
    is read after the counts and units are never deleted, so a counted unit missing from it is
    an answer outside the contract (502), not a race."""
    by_id = {u.hsa_id: u for u in register}
    listed: list[calc.ListedUnit] = []
    for c in counts.units:
        unit = by_id.get(c.hsa_id)
        if unit is None:
            raise BadGateway(f"the listing service counts unit {c.hsa_id} but does not know it")
        if unit.care_type is not care_type:
            continue
        listed.append(
            calc.ListedUnit(
                c.hsa_id,
                unit.name,
                unit.municipality_code,
                unit.ownership is Ownership.region,
                c.listed,
            )
        )
    return listed


@dataclass(frozen=True)
class Settlement:
    stored: repo.StoredSettlement
    created: bool


def settle(
    *,
    session: Session,
    audit: AuditLog,
    peers: Peers,
    principal: Principal,
    request_id: str | None,
    year: int,
    care_type: CareType,
    today: dt.date,
) -> Settlement:
    """Compute the year's settlement for a care type and store it as a new version unless the
    newest one has identical inputs. Refuses (409) what cannot be settled yet: first a year
    whose last count date is after `today` (the business date), before anything is read."""
    early = domain.too_early(year, today=today)
    if early is not None:
        raise Conflict(early)
    with session.begin():
        own = _own_inputs(session, year=year, care_type=care_type)
    model = own.model.model
    method = _method(model)

    # Refuse what is lacking before asking the peers.
    if isinstance(method, domain.FixedSum):
        lacking = domain.lacking_amounts(method, own.designated)
        if lacking:
            raise Conflict(
                f"the {year} model has no annual_sek_by_municipality amount for "
                f"municipalities {', '.join(lacking)}"
            )
    else:
        no_accounts = domain.lacking_accounts(own.designated, own.accounts)
        if no_accounts:
            raise Conflict(
                f"no {year} accounts for designated units {', '.join(no_accounts)}: "
                f"PUT /v1/accounts/{year}/{{hsa_id}}"
            )
    # The approved runs give a deficit its revenue and neutrality its twelve count dates.
    needs_runs = isinstance(method, domain.DeficitCapped) or model.neutrality.enabled
    approved = _approved_periods(peers, year) if needs_runs else []
    neutrality_scope: str | None = None
    listed: list[list[calc.ListedUnit]] = []
    if model.neutrality.enabled:
        assert model.neutrality.scope is not None  # the contract requires one when enabled
        neutrality_scope = model.neutrality.scope.value
        listed = _listed_by_date(peers, approved, care_type)

    settled = domain.settle(
        method=method,
        designated=own.designated,
        accounts=own.accounts,
        approved=approved,
        neutrality_scope=neutrality_scope,
        listed_by_date=listed,
    )
    beyond = domain.beyond_limits(settled)
    if beyond:
        raise Conflict(
            f"the {year} settlement would show figures beyond what the contract carries "
            f"(10^12 SEK, 2^31-1 persons): {', '.join(beyond)}; check the model and the accounts",
            errors=[{"field": f, "message": "beyond the limit"} for f in beyond],
        )
    rows = repo.settlement_rows(settled, approved=approved, counted=neutrality_scope is not None)
    inputs_hash = rows.inputs_hash(own.model)

    with session.begin():
        current = _effective(repo.model_versions(session, year=year), care_type)
        if current is None or current.id != own.model.id:
            raise Conflict(
                "another model version was approved while the settlement was computed: settle again"
            )
        repo.model_by_id_for_update(session, own.model.id)
        latest = repo.latest_settlement(session, year=year, care_type=care_type)
        if latest is not None and latest.inputs_hash == inputs_hash:
            created, settlement_id = False, latest.id
        else:
            created = True
            settlement_id = _store(
                session,
                audit=audit,
                principal=principal,
                request_id=request_id,
                year=year,
                care_type=care_type,
                version=1 if latest is None else latest.version + 1,
                model=own.model,
                rows=rows,
            )
        # By id: a newer version stored by someone else meanwhile must not replace this one.
        stored = repo.StoredSettlement(
            header=repo.settlement_by_id(session, settlement_id),
            parts=repo.settlement_parts(session, settlement_id, repo.FULL),
            view="full",
        )
    return Settlement(stored=stored, created=created)


def _store(
    session: Session,
    *,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    year: int,
    care_type: CareType,
    version: int,
    model: repo.ModelRecord,
    rows: repo.SettlementRows,
) -> int:
    """Insert the new version, mark its model used and audit it (inside the caller's
    transaction); 409 when a concurrent settle took the version number."""
    try:
        with session.begin_nested():
            settlement_id = repo.insert_settlement(
                session,
                year=year,
                care_type=care_type,
                version=version,
                created_by=principal.sub,
                model=model,
                rows=rows,
            )
    except IntegrityError as exc:
        raise Conflict(
            "another settlement of the same year and care type was stored meanwhile: settle again"
        ) from exc
    repo.mark_model_used(session, model.id)
    audit.record(
        session,
        principal=principal,
        action="settlement.create",
        entity_type="settlement",
        entity_id=f"{year}/{care_type.value}/{version}",
        request_id=request_id,
        details={
            "total_compensation_ore": rows.total_compensation_ore,
            "total_neutrality_ore": rows.total_neutrality_ore,
            "model_version": model.version,
        },
    )
    return settlement_id


def approve_settlement(
    *,
    session: Session,
    audit: AuditLog,
    principal: Principal,
    request_id: str | None,
    year: int,
    care_type: CareType,
    version: int,
) -> repo.StoredSettlement:
    """Four eyes: a finance_approver other than the settlement's author approves its newest
    version; approved is final and from then on providers read it. 404 unknown, 409 approved
    already or superseded by a newer version, 403 the author."""
    with session.begin():
        found = repo.settlement_for_update(session, year=year, care_type=care_type, version=version)
        if found is None:
            raise NotFound(f"no version {version} of the {year} {care_type.value} settlement")
        if found.status == "approved":
            raise Conflict(
                f"version {version} of the {year} {care_type.value} settlement is already approved"
            )
        refuse_own_approval(principal, author=found.created_by, what="a settlement", did="made")
        latest = repo.latest_settlement(session, year=year, care_type=care_type)
        if latest is not None and latest.version != version:
            raise Conflict(
                f"version {version} of the {year} {care_type.value} settlement is superseded "
                f"by version {latest.version}: approve that one"
            )
        repo.approve_settlement(session, found.id, actor=principal.sub)
        audit.record(
            session,
            principal=principal,
            action="settlement.approve",
            entity_type="settlement",
            entity_id=f"{year}/{care_type.value}/{version}",
            request_id=request_id,
            details={
                "created_by": found.created_by,
                "total_compensation_ore": found.total_compensation_ore,
                "total_neutrality_ore": found.total_neutrality_ore,
            },
        )
        stored = repo.StoredSettlement(
            header=repo.settlement_by_id(session, found.id),
            parts=repo.settlement_parts(session, found.id, repo.FULL),
            view="full",
        )
    return stored


def settlements(
    *,
    session: Session,
    principal: Principal,
    year: int,
    care_type: CareType | None,
    version: int | None,
) -> list[repo.StoredSettlement]:
    """The newest settlement per care type (or the given version), as far as the reader may see
    it; 404 when there is none the reader may see."""
    vis = repo.Visibility.for_principal(principal)
    view = vis.view
    found: list[repo.StoredSettlement] = []
    if view != "none":
        with session.begin():
            found = [
                repo.StoredSettlement(
                    header=h, parts=repo.settlement_parts(session, h.id, vis), view=view
                )
                for h in repo.visible_settlements(
                    session, vis, year=year, care_type=care_type, version=version
                )
            ]
    if not found:
        raise NotFound(f"no settlement for {year} that this caller may read")
    return found
