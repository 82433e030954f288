"""Composes a settlement: reads inputs (own database, listing and payment over HTTP), runs the
pure arithmetic in domain/, and stores a new version only when something changed.

The peer calls happen outside the write transaction so that SQLite's writer lock is not
held during HTTP. The write transaction then re-reads the model and the latest version:
if the model changed meanwhile the caller is told to retry (409) rather than storing a
settlement whose inputs no longer agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.lastresort.db import repository as repo
from services.lastresort.domain import calculation as calc
from services.lastresort.peers import Peers
from shared.audit import AuditLog
from shared.auth import Principal
from shared.errors import Conflict, ServiceUnavailable
from shared.money import from_ore, to_ore
from shared.period import Period
from shared.schemas.common import CareType, Ownership
from shared.schemas.lastresort import (
    DeficitCappedModel,
    FixedSumModel,
    LastResortModel,
    NeutralityResult,
    PaymentVersion,
    PeriodRevenue,
    ScopeResult,
    ScopeUnit,
    Settlement,
    SettlementUnit,
)

MODEL_ADAPTER: TypeAdapter[FixedSumModel | DeficitCappedModel] = TypeAdapter(LastResortModel)


def parse_model(body: str) -> FixedSumModel | DeficitCappedModel:
    return MODEL_ADAPTER.validate_json(body)


def model_json(model: FixedSumModel | DeficitCappedModel) -> str:
    """Canonical text of a model, so that an identical PUT is recognised as unchanged."""
    return json.dumps(
        MODEL_ADAPTER.dump_python(model, mode="json"), sort_keys=True, separators=(",", ":")
    )


@dataclass
class Computed:
    """A settlement computed but not yet stored: the storable rows and its inputs hash."""

    model_row: Any
    periods: list[dict[str, Any]]
    units: list[dict[str, Any]]
    scopes: list[dict[str, Any]]
    scope_units: list[dict[str, Any]]
    neutrality_enabled: bool
    neutrality_scope: str | None
    count_date: dt.date | None
    total_compensation_ore: int
    total_neutrality_ore: int
    inputs_hash: str


def _ore(value: Decimal | None) -> int | None:
    return None if value is None else to_ore(value)


def compute(session: Session, peers: Peers, *, year: int, care_type: CareType) -> Computed:
    """Gather every input and compute; refuses (409) what cannot be settled yet."""
    designations = repo.list_designations(session, year, care_type.value)
    if not designations:
        raise Conflict(
            f"no unit is designated for {care_type.value} care in {year}: nothing to settle"
        )
    model_row = repo.effective_model(session, year, care_type.value)
    if model_row is None:
        raise Conflict(
            f"no last-resort model for {year} applies to {care_type.value} care: "
            f"PUT /v1/models/{year}"
        )
    model = parse_model(model_row.body)
    designated = [
        calc.DesignatedUnit(d.hsa_id, d.unit_name, d.municipality_code) for d in designations
    ]
    accounts = {
        a.hsa_id: a for a in repo.list_accounts(session, year, [u.hsa_id for u in designated])
    }
    # End the read transaction: on SQLite it holds the writer lock, never keep it across HTTP.
    session.rollback()

    periods: list[dict[str, Any]] = []
    steps: list[calc.UnitStep] = []
    if isinstance(model, FixedSumModel):
        lacking = sorted(
            {u.municipality_code for u in designated} - set(model.annual_sek_by_municipality)
        )
        if lacking:
            raise Conflict(
                f"the {year} model has no annual_sek_by_municipality amount for "
                f"municipalities {', '.join(lacking)}"
            )
        steps = [
            calc.fixed_sum_step(u, model.annual_sek_by_municipality[u.municipality_code])
            for u in designated
        ]
    else:
        no_accounts = [u.hsa_id for u in designated if u.hsa_id not in accounts]
        if no_accounts:
            raise Conflict(
                f"no {year} accounts for designated units {', '.join(no_accounts)}: "
                f"PUT /v1/accounts/{year}/{{hsa_id}}"
            )
        revenue: dict[str, list[tuple[Period, Decimal]]] = {u.hsa_id: [] for u in designated}
        approved: set[Period] = set()
        for period in calc.year_periods(year):
            statements = peers.payment.approved_statements(period)
            if statements.version is None:
                continue
            approved.add(period)
            periods.append({"period": str(period), "payment_version": statements.version})
            per_unit: dict[str, Decimal] = {}
            for s in statements.statements:
                per_unit[s.hsa_id] = per_unit.get(s.hsa_id, Decimal("0.00")) + s.total_sek
            for hsa_id, rows in revenue.items():
                rows.append((period, per_unit.get(hsa_id, Decimal("0.00"))))
        missing = [str(p) for p in calc.missing_periods(year, approved)]
        if missing:
            raise Conflict(
                f"payment periods without an approved run: {', '.join(missing)}",
                errors=[{"field": "period", "message": p} for p in missing],
            )
        for u in designated:
            a = accounts[u.hsa_id]
            steps.append(
                calc.deficit_capped_step(
                    u,
                    accounts=calc.Accounts(
                        from_ore(a.costs_ore),
                        from_ore(a.other_revenue_ore),
                        from_ore(a.targeted_grants_ore),
                    ),
                    revenue_by_period=revenue[u.hsa_id],
                    coverage=model.coverage,
                    cap=model.cap_sek,
                )
            )

    scopes: list[calc.ScopeStep] = []
    count_date: dt.date | None = None
    if model.neutrality.enabled:
        assert model.neutrality.scope is not None
        count_date = dt.date(year, 12, 31)
        register = {u.hsa_id: u for u in peers.listing.units()}
        counts = peers.listing.counts(count_date, care_type)
        listed_units = []
        for c in counts.units:
            unit = register.get(c.hsa_id)
            if unit is None:
                raise ServiceUnavailable(
                    f"the listing service counts unit {c.hsa_id} but does not know it"
                )
            if unit.care_type is not care_type:
                continue
            listed_units.append(
                calc.ListedUnit(
                    c.hsa_id,
                    unit.name,
                    unit.municipality_code,
                    unit.ownership is Ownership.region,
                    c.listed,
                )
            )
        scopes = calc.neutrality_scopes(
            steps=steps, listed_units=listed_units, scope=model.neutrality.scope.value
        )

    unit_rows: list[dict[str, Any]] = [
        {
            "hsa_id": s.hsa_id,
            "unit_name": s.unit_name,
            "municipality_code": s.municipality_code,
            "fixed_sum_ore": _ore(s.fixed_sum),
            "costs_ore": _ore(s.accounts.costs) if s.accounts else None,
            "other_revenue_ore": _ore(s.accounts.other_revenue) if s.accounts else None,
            "targeted_grants_ore": _ore(s.accounts.targeted_grants) if s.accounts else None,
            "halsoval_revenue_ore": _ore(s.halsoval_revenue),
            "deficit_ore": _ore(s.deficit),
            "coverage": None if s.coverage is None else str(s.coverage),
            "covered_deficit": None if s.covered_deficit is None else str(s.covered_deficit),
            "cap_ore": _ore(s.cap),
            "compensation_ore": to_ore(s.compensation),
            "revenue": [
                {"period": str(p), "revenue_ore": to_ore(r)} for p, r in s.revenue_by_period
            ],
        }
        for s in steps
    ]
    scope_rows: list[dict[str, Any]] = [
        {
            "scope": sc.scope,
            "total_compensation_ore": to_ore(sc.total_compensation),
            "region_listed": sc.region_listed,
            "rate_numerator": None if sc.rate is None else str(sc.rate.numerator),
            "rate_denominator": None if sc.rate is None else str(sc.rate.denominator),
            "total_neutrality_ore": to_ore(sc.total_neutrality),
        }
        for sc in scopes
    ]
    scope_unit_rows: list[dict[str, Any]] = [
        {
            "scope": sc.scope,
            "hsa_id": u.hsa_id,
            "unit_name": u.unit_name,
            "municipality_code": u.municipality_code,
            "ownership": (Ownership.region if u.is_region else Ownership.private).value,
            "designated": u.designated,
            "listed": u.listed,
            "amount_ore": _ore(u.amount),
        }
        for sc in scopes
        for u in sc.units
    ]
    total_comp = sum(r["compensation_ore"] for r in unit_rows)
    total_neutral = sum(r["total_neutrality_ore"] for r in scope_rows)
    fingerprint = {
        "model": [model_row.applies_to, model_row.version, model_row.body],
        "periods": periods,
        "units": unit_rows,
        "scopes": scope_rows,
        "scope_units": scope_unit_rows,
        "count_date": count_date,
    }
    digest = hashlib.sha256(
        json.dumps(fingerprint, sort_keys=True, default=str).encode()
    ).hexdigest()
    return Computed(
        model_row=model_row,
        periods=periods,
        units=unit_rows,
        scopes=scope_rows,
        scope_units=scope_unit_rows,
        neutrality_enabled=model.neutrality.enabled,
        neutrality_scope=model.neutrality.scope.value if model.neutrality.scope else None,
        count_date=count_date,
        total_compensation_ore=total_comp,
        total_neutrality_ore=total_neutral,
        inputs_hash=digest,
    )


def store(
    session: Session,
    computed: Computed,
    *,
    year: int,
    care_type: CareType,
    principal: Principal,
    audit: AuditLog,
    request_id: str | None,
) -> tuple[int, bool]:
    """Store a new version unless the newest one has identical inputs; returns (id, created)."""
    current_model = repo.model_by_id_for_update(session, computed.model_row.id)
    if current_model is None or current_model.body != computed.model_row.body:
        raise Conflict("the model changed while the settlement was computed: settle again")
    latest = repo.latest_settlement(session, year, care_type.value)
    if latest is not None and latest.inputs_hash == computed.inputs_hash:
        return int(latest.id), False
    version = 1 if latest is None else latest.version + 1
    header = {
        "year": year,
        "care_type": care_type.value,
        "version": version,
        "created_at": repo.now(),
        "created_by": principal.sub,
        "model_id": computed.model_row.id,
        "model_applies_to": computed.model_row.applies_to,
        "model_version": computed.model_row.version,
        "model_body": computed.model_row.body,
        "neutrality_enabled": computed.neutrality_enabled,
        "neutrality_scope": computed.neutrality_scope,
        "count_date": computed.count_date,
        "inputs_hash": computed.inputs_hash,
        "total_compensation_ore": computed.total_compensation_ore,
        "total_neutrality_ore": computed.total_neutrality_ore,
    }
    try:
        with session.begin_nested():
            sid = repo.insert_settlement(
                session,
                header=header,
                periods=computed.periods,
                units=[dict(u) for u in computed.units],
                scopes=computed.scopes,
                scope_units=computed.scope_units,
            )
    except IntegrityError as exc:
        raise Conflict(
            "another settlement of the same year and care type was stored meanwhile: settle again"
        ) from exc
    repo.mark_model_used(session, computed.model_row.id)
    audit.record(
        session,
        principal=principal,
        action="settlement.create",
        entity_type="settlement",
        entity_id=f"{year}/{care_type.value}/{version}",
        request_id=request_id,
        details={
            "total_compensation_ore": computed.total_compensation_ore,
            "total_neutrality_ore": computed.total_neutrality_ore,
            "model_version": computed.model_row.version,
        },
    )
    return sid, True


def render(session: Session, header: Any, vis: repo.Visibility) -> Settlement:
    """A stored settlement as the reader may see it."""
    parts = repo.settlement_parts(session, header.id, vis)
    revenue: dict[int, list[PeriodRevenue]] = {}
    for r in parts["revenue"]:
        revenue.setdefault(r.settlement_unit_id, []).append(
            PeriodRevenue(period=Period.parse(r.period), revenue_sek=from_ore(r.revenue_ore))
        )

    def sek(ore: int | None) -> Decimal | None:
        return None if ore is None else from_ore(ore)

    units = [
        SettlementUnit(
            hsa_id=u.hsa_id,
            unit_name=u.unit_name,
            municipality_code=u.municipality_code,
            fixed_sum_sek=sek(u.fixed_sum_ore),
            costs_sek=sek(u.costs_ore),
            other_revenue_sek=sek(u.other_revenue_ore),
            targeted_grants_sek=sek(u.targeted_grants_ore),
            halsoval_revenue_sek=sek(u.halsoval_revenue_ore),
            revenue_by_period=revenue.get(u.id, []),
            deficit_sek=sek(u.deficit_ore),
            coverage=None if u.coverage is None else Decimal(u.coverage),
            covered_deficit=None if u.covered_deficit is None else Decimal(u.covered_deficit),
            cap_sek=sek(u.cap_ore),
            compensation_sek=from_ore(u.compensation_ore),
        )
        for u in parts["units"]
    ]
    scope_units: dict[str, list[ScopeUnit]] = {}
    for su in parts["scope_units"]:
        scope_units.setdefault(su.scope, []).append(
            ScopeUnit(
                hsa_id=su.hsa_id,
                unit_name=su.unit_name,
                municipality_code=su.municipality_code,
                ownership=Ownership(su.ownership),
                designated=su.designated,
                listed=su.listed,
                amount_sek=sek(su.amount_ore),
            )
        )
    scopes = []
    for sc in parts["scopes"]:
        rate = None
        if sc.rate_numerator is not None:
            rate = Fraction(int(sc.rate_numerator), int(sc.rate_denominator))
        step_note = None if rate is not None else calc.UNDEFINED_RATE_NOTE
        scopes.append(
            ScopeResult(
                scope=sc.scope,
                total_compensation_sek=from_ore(sc.total_compensation_ore),
                region_listed=sc.region_listed,
                rate_defined=rate is not None,
                rate_sek_per_person=None if rate is None else calc.rate_display(rate),
                note=step_note,
                total_neutrality_sek=from_ore(sc.total_neutrality_ore),
                units=scope_units.get(sc.scope, []),
            )
        )
    return Settlement(
        year=header.year,
        care_type=CareType(header.care_type),
        version=header.version,
        created_at=repo.aware(header.created_at),
        view=vis.view,
        model_applies_to=header.model_applies_to,
        model_version=header.model_version,
        model=parse_model(header.model_body),
        payment_versions=[
            PaymentVersion(period=Period.parse(p.period), version=p.payment_version)
            for p in parts["periods"]
        ],
        units=units,
        neutrality=NeutralityResult(
            enabled=header.neutrality_enabled,
            scope=header.neutrality_scope,
            count_date=header.count_date,
            scopes=scopes,
        ),
        total_compensation_sek=from_ore(header.total_compensation_ore),
        total_neutrality_sek=from_ore(header.total_neutrality_ore),
    )
