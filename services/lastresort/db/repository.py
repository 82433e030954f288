"""Queries and writes of the last-resort service, as typed records. Provider scoping lives here,
failing closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import Session

from services.lastresort.db import models as m
from services.lastresort.domain.settlement import ApprovedPeriod, Settled
from shared.auth import Principal, Role
from shared.money import to_ore
from shared.schemas.common import CareType, Ownership
from shared.schemas.lastresort import (
    AppliesTo,
    DeficitCappedModel,
    FixedSumModel,
    LastResortModel,
)

_MODEL: TypeAdapter[FixedSumModel | DeficitCappedModel] = TypeAdapter(LastResortModel)
_APPLIES_TO: dict[str, AppliesTo] = {"all": "all", "primary": "primary", "dental": "dental"}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes (stored as UTC). An aware value keeps the offset the
    database gave it: `shared.db.as_utc` would convert it, which changes the answer on a
    PostgreSQL server whose TimeZone is not UTC (e.g. +01:00 becomes Z)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _aware_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else _aware(value)


def model_text(model: FixedSumModel | DeficitCappedModel) -> str:
    """Canonical text of a model, so that an identical PUT is recognised as unchanged."""
    return json.dumps(_MODEL.dump_python(model, mode="json"), sort_keys=True, separators=(",", ":"))


def _parse_model(body: str) -> FixedSumModel | DeficitCappedModel:
    return _MODEL.validate_json(body)


# --- visibility ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Visibility:
    """What a reader may see of settlements. The default sees nothing."""

    view: Literal["full", "provider", "totals", "none"] = "none"
    hsa_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_principal(cls, principal: Principal) -> Visibility:
        if principal.is_wide:
            return cls("full")
        if Role.provider in principal.roles:
            return cls("provider", principal.hsa_ids)
        if Role.ops in principal.roles:
            return cls("totals")
        return cls()


FULL = Visibility("full")


# --- designations -------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignationRecord:
    year: int
    care_type: CareType
    municipality_code: str
    hsa_id: str
    unit_name: str
    updated_at: dt.datetime


def _designation(r: Any) -> DesignationRecord:
    return DesignationRecord(
        year=r.year,
        care_type=CareType(r.care_type),
        municipality_code=r.municipality_code,
        hsa_id=r.hsa_id,
        unit_name=r.unit_name,
        updated_at=_aware(r.updated_at),
    )


def upsert_designation(
    session: Session,
    *,
    year: int,
    care_type: CareType,
    municipality_code: str,
    hsa_id: str,
    unit_name: str,
    actor: str,
) -> str | None:
    """Insert or replace; returns the unit it replaced, if any."""
    t = m.designation
    key = (
        (t.c.year == year)
        & (t.c.care_type == care_type.value)
        & (t.c.municipality_code == municipality_code)
    )
    old = session.execute(select(t.c.id, t.c.hsa_id).where(key).with_for_update()).first()
    values = {"hsa_id": hsa_id, "unit_name": unit_name, "updated_at": now(), "updated_by": actor}
    if old is None:
        session.execute(
            t.insert().values(
                year=year, care_type=care_type.value, municipality_code=municipality_code, **values
            )
        )
        return None
    session.execute(update(t).where(t.c.id == old.id).values(**values))
    return str(old.hsa_id)


def get_designation(
    session: Session, *, year: int, care_type: CareType, municipality_code: str
) -> DesignationRecord | None:
    t = m.designation
    row = session.execute(
        select(t).where(
            t.c.year == year,
            t.c.care_type == care_type.value,
            t.c.municipality_code == municipality_code,
        )
    ).first()
    return None if row is None else _designation(row)


def list_designations(
    session: Session, *, year: int, care_type: CareType | None = None
) -> list[DesignationRecord]:
    t = m.designation
    q = select(t).where(t.c.year == year)
    if care_type is not None:
        q = q.where(t.c.care_type == care_type.value)
    return [
        _designation(r) for r in session.execute(q.order_by(t.c.care_type, t.c.municipality_code))
    ]


# --- models -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRecord:
    """One version of a year's model; `body` is its canonical text (model_text)."""

    id: int
    year: int
    applies_to: AppliesTo
    version: int
    used: bool
    body: str
    model: FixedSumModel | DeficitCappedModel
    updated_at: dt.datetime
    status: Literal["draft", "approved"] = "draft"
    written_by: str = ""
    approved_by: str | None = None
    approved_at: dt.datetime | None = None

    @property
    def body_sha256(self) -> str:
        """What an approver names to approve exactly the body it read."""
        return hashlib.sha256(self.body.encode()).hexdigest()


def _model(r: Any) -> ModelRecord:
    return ModelRecord(
        id=int(r.id),
        year=r.year,
        applies_to=_APPLIES_TO[r.applies_to],
        version=r.version,
        used=r.used,
        body=r.body,
        model=_parse_model(r.body),
        updated_at=_aware(r.updated_at),
        status="approved" if r.status == "approved" else "draft",
        written_by=r.written_by,
        approved_by=r.approved_by,
        approved_at=_aware_or_none(r.approved_at),
    )


def model_versions(session: Session, *, year: int) -> list[ModelRecord]:
    """Every version of the year's models, by applies_to and then version."""
    t = m.model
    q = select(t).where(t.c.year == year).order_by(t.c.applies_to, t.c.version)
    return [_model(r) for r in session.execute(q)]


def _latest_model(session: Session, *, year: int, applies_to: str) -> ModelRecord | None:
    """The newest version, locked until the transaction ends."""
    t = m.model
    q = (
        select(t)
        .where(t.c.year == year, t.c.applies_to == applies_to)
        .order_by(t.c.version.desc())
        .limit(1)
        .with_for_update()
    )
    row = session.execute(q).first()
    return None if row is None else _model(row)


def put_model(
    session: Session, *, year: int, applies_to: AppliesTo, body: str, actor: str
) -> tuple[ModelRecord, Literal["created", "updated", "unchanged"]]:
    """Store a model: unchanged, updated in place while a draft (the writer becomes its author),
    or a new draft version once the newest is approved."""
    t = m.model
    current = _latest_model(session, year=year, applies_to=applies_to)
    stamp = now()
    if current is not None and current.body == body:
        return current, "unchanged"
    outcome: Literal["created", "updated"]
    if current is not None and current.status == "draft":
        session.execute(
            update(t)
            .where(t.c.id == current.id)
            .values(body=body, updated_at=stamp, written_by=actor)
        )
        outcome, model_id = "updated", current.id
    else:
        version = 1 if current is None else current.version + 1
        model_id = session.execute(
            t.insert()
            .values(
                year=year,
                applies_to=applies_to,
                version=version,
                body=body,
                used=False,
                created_at=stamp,
                updated_at=stamp,
                status="draft",
                written_by=actor,
            )
            .returning(t.c.id)
        ).scalar_one()
        outcome = "created"
    return _model(session.execute(select(t).where(t.c.id == model_id)).one()), outcome


def model_by_id_for_update(session: Session, model_id: int) -> ModelRecord | None:
    """The model, locked until the settlement that uses it commits."""
    q = select(m.model).where(m.model.c.id == model_id).with_for_update()
    row = session.execute(q).first()
    return None if row is None else _model(row)


def model_for_update(
    session: Session, *, year: int, applies_to: str, version: int
) -> ModelRecord | None:
    """One version, locked until the transaction ends (an approval decides on what it read)."""
    t = m.model
    q = (
        select(t)
        .where(t.c.year == year, t.c.applies_to == applies_to, t.c.version == version)
        .with_for_update()
    )
    row = session.execute(q).first()
    return None if row is None else _model(row)


def approve_model(session: Session, model_id: int, *, actor: str) -> None:
    session.execute(
        update(m.model)
        .where(m.model.c.id == model_id)
        .values(status="approved", approved_by=actor, approved_at=now())
    )


def mark_model_used(session: Session, model_id: int) -> None:
    session.execute(update(m.model).where(m.model.c.id == model_id).values(used=True))


# --- accounts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRecord:
    year: int
    hsa_id: str
    costs_ore: int
    other_revenue_ore: int
    targeted_grants_ore: int
    updated_at: dt.datetime


def _account(r: Any) -> AccountRecord:
    return AccountRecord(
        year=r.year,
        hsa_id=r.hsa_id,
        costs_ore=r.costs_ore,
        other_revenue_ore=r.other_revenue_ore,
        targeted_grants_ore=r.targeted_grants_ore,
        updated_at=_aware(r.updated_at),
    )


def upsert_account(
    session: Session,
    *,
    year: int,
    hsa_id: str,
    costs_ore: int,
    other_revenue_ore: int,
    targeted_grants_ore: int,
    actor: str,
) -> AccountRecord | None:
    """Insert or replace; returns the accounts it replaced, if any."""
    t = m.account
    old = session.execute(
        select(t).where(t.c.year == year, t.c.hsa_id == hsa_id).with_for_update()
    ).first()
    values = {
        "costs_ore": costs_ore,
        "other_revenue_ore": other_revenue_ore,
        "targeted_grants_ore": targeted_grants_ore,
        "updated_at": now(),
        "updated_by": actor,
    }
    if old is None:
        session.execute(t.insert().values(year=year, hsa_id=hsa_id, **values))
        return None
    session.execute(update(t).where(t.c.id == old.id).values(**values))
    return _account(old)


def get_account(session: Session, *, year: int, hsa_id: str) -> AccountRecord | None:
    t = m.account
    row = session.execute(select(t).where(t.c.year == year, t.c.hsa_id == hsa_id)).first()
    return None if row is None else _account(row)


def list_accounts(
    session: Session, *, year: int, hsa_ids: Sequence[str] | None = None
) -> list[AccountRecord]:
    t = m.account
    q = select(t).where(t.c.year == year)
    if hsa_ids is not None:
        q = q.where(t.c.hsa_id.in_(hsa_ids))
    return [_account(r) for r in session.execute(q.order_by(t.c.hsa_id))]


# --- settlements: the stored rows ---------------------------------------------------------
# The field names below are the column names, and (through asdict) the text that
# `inputs_hash` is taken of: renaming one changes every stored settlement's hash.


@dataclass(frozen=True)
class PeriodRow:
    """An approved payment run the settlement read: its count date and the moment its counts
    were known at (None in settlements stored before 0003, which did not record them)."""

    period: str
    payment_version: int
    count_date: dt.date | None = None
    as_known_at: dt.datetime | None = None


@dataclass(frozen=True)
class RevenueRow:
    period: str
    revenue_ore: int


@dataclass(frozen=True)
class UnitRow:
    hsa_id: str
    unit_name: str
    municipality_code: str
    fixed_sum_ore: int | None
    costs_ore: int | None
    other_revenue_ore: int | None
    targeted_grants_ore: int | None
    halsoval_revenue_ore: int | None
    deficit_ore: int | None
    coverage: str | None
    covered_deficit: str | None
    cap_ore: int | None
    compensation_ore: int
    revenue: tuple[RevenueRow, ...]


@dataclass(frozen=True)
class ScopeRow:
    scope: str
    total_compensation_ore: int
    region_listed: int
    rate_numerator: str | None
    rate_denominator: str | None
    total_neutrality_ore: int
    # The region units' count on each count date, in the order of the settlement's periods.
    region_counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class ScopeUnitRow:
    scope: str
    hsa_id: str
    unit_name: str
    municipality_code: str
    ownership: str
    designated: bool
    listed: int
    amount_ore: int | None
    # The unit's count in the scope on each count date, in the order of the periods.
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class SettlementRows:
    """A computed settlement as it is stored: every input and step, in öre and exact strings."""

    periods: tuple[PeriodRow, ...]
    units: tuple[UnitRow, ...]
    scopes: tuple[ScopeRow, ...]
    scope_units: tuple[ScopeUnitRow, ...]
    count_date: dt.date | None
    total_compensation_ore: int
    total_neutrality_ore: int

    def inputs_hash(self, model: ModelRecord) -> str:
        """What makes two settlements the same: the model and every stored input and step."""
        fingerprint = {
            "model": [model.applies_to, model.version, model.body],
            "periods": [asdict(p) for p in self.periods],
            "units": [asdict(u) for u in self.units],
            "scopes": [asdict(s) for s in self.scopes],
            "scope_units": [asdict(su) for su in self.scope_units],
            "count_date": self.count_date,
        }
        text = json.dumps(fingerprint, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _ore(value: Decimal | None) -> int | None:
    return None if value is None else to_ore(value)


def _str(value: Decimal | int | None) -> str | None:
    return None if value is None else str(value)


def settlement_rows(
    settled: Settled, *, approved: Sequence[ApprovedPeriod], counted: bool
) -> SettlementRows:
    """The rows a computed settlement is stored as; `counted` when neutrality read the approved
    runs' count dates (the last of them is the settlement's count_date)."""
    units = tuple(
        UnitRow(
            hsa_id=s.hsa_id,
            unit_name=s.unit_name,
            municipality_code=s.municipality_code,
            fixed_sum_ore=_ore(s.fixed_sum),
            costs_ore=_ore(s.accounts.costs) if s.accounts else None,
            other_revenue_ore=_ore(s.accounts.other_revenue) if s.accounts else None,
            targeted_grants_ore=_ore(s.accounts.targeted_grants) if s.accounts else None,
            halsoval_revenue_ore=_ore(s.halsoval_revenue),
            deficit_ore=_ore(s.deficit),
            coverage=_str(s.coverage),
            covered_deficit=_str(s.covered_deficit),
            cap_ore=_ore(s.cap),
            compensation_ore=to_ore(s.compensation),
            revenue=tuple(RevenueRow(str(p), to_ore(r)) for p, r in s.revenue_by_period),
        )
        for s in settled.steps
    )
    scopes = tuple(
        ScopeRow(
            scope=sc.scope,
            total_compensation_ore=to_ore(sc.total_compensation),
            region_listed=sc.region_listed,
            rate_numerator=None if sc.rate is None else str(sc.rate.numerator),
            rate_denominator=None if sc.rate is None else str(sc.rate.denominator),
            total_neutrality_ore=to_ore(sc.total_neutrality),
            region_counts=sc.region_counts,
        )
        for sc in settled.scopes
    )
    scope_units = tuple(
        ScopeUnitRow(
            scope=sc.scope,
            hsa_id=u.hsa_id,
            unit_name=u.unit_name,
            municipality_code=u.municipality_code,
            ownership=(Ownership.region if u.is_region else Ownership.private).value,
            designated=u.designated,
            listed=u.listed,
            amount_ore=_ore(u.amount),
            counts=u.counts,
        )
        for sc in settled.scopes
        for u in sc.units
    )
    return SettlementRows(
        periods=tuple(
            PeriodRow(str(p.period), p.payment_version, p.count_date, p.as_known_at)
            for p in approved
        ),
        units=units,
        scopes=scopes,
        scope_units=scope_units,
        count_date=approved[-1].count_date if counted and approved else None,
        total_compensation_ore=to_ore(settled.total_compensation),
        total_neutrality_ore=to_ore(settled.total_neutrality),
    )


@dataclass(frozen=True)
class SettlementHeader:
    id: int
    year: int
    care_type: CareType
    version: int
    created_at: dt.datetime
    model_applies_to: AppliesTo
    model_version: int
    model: FixedSumModel | DeficitCappedModel
    neutrality_enabled: bool
    neutrality_scope: str | None
    count_date: dt.date | None
    inputs_hash: str
    total_compensation_ore: int
    total_neutrality_ore: int
    created_by: str = ""
    status: Literal["calculated", "approved"] = "calculated"
    approved_by: str | None = None
    approved_at: dt.datetime | None = None


def _header(r: Any) -> SettlementHeader:
    return SettlementHeader(
        id=int(r.id),
        year=r.year,
        care_type=CareType(r.care_type),
        version=r.version,
        created_at=_aware(r.created_at),
        model_applies_to=_APPLIES_TO[r.model_applies_to],
        model_version=r.model_version,
        model=_parse_model(r.model_body),
        neutrality_enabled=r.neutrality_enabled,
        neutrality_scope=r.neutrality_scope,
        count_date=r.count_date,
        inputs_hash=r.inputs_hash,
        total_compensation_ore=r.total_compensation_ore,
        total_neutrality_ore=r.total_neutrality_ore,
        created_by=r.created_by,
        status="approved" if r.status == "approved" else "calculated",
        approved_by=r.approved_by,
        approved_at=_aware_or_none(r.approved_at),
    )


@dataclass(frozen=True)
class SettlementParts:
    """The rows under a settlement that one reader may see."""

    periods: tuple[PeriodRow, ...] = ()
    units: tuple[UnitRow, ...] = ()
    scopes: tuple[ScopeRow, ...] = ()
    scope_units: tuple[ScopeUnitRow, ...] = ()


@dataclass(frozen=True)
class StoredSettlement:
    header: SettlementHeader
    parts: SettlementParts
    view: Literal["full", "provider", "totals"]


def latest_settlement(
    session: Session, *, year: int, care_type: CareType
) -> SettlementHeader | None:
    t = m.settlement
    row = session.execute(
        select(t)
        .where(t.c.year == year, t.c.care_type == care_type.value)
        .order_by(t.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _header(row)


def insert_settlement(
    session: Session,
    *,
    year: int,
    care_type: CareType,
    version: int,
    created_by: str,
    model: ModelRecord,
    rows: SettlementRows,
) -> int:
    """Write one settlement version with every input and step; returns its id."""
    neutrality = model.model.neutrality
    sid = int(
        session.execute(
            m.settlement.insert()
            .values(
                year=year,
                care_type=care_type.value,
                version=version,
                created_at=now(),
                created_by=created_by,
                model_id=model.id,
                model_applies_to=model.applies_to,
                model_version=model.version,
                model_body=model.body,
                neutrality_enabled=neutrality.enabled,
                neutrality_scope=neutrality.scope.value if neutrality.scope else None,
                count_date=rows.count_date,
                inputs_hash=rows.inputs_hash(model),
                total_compensation_ore=rows.total_compensation_ore,
                total_neutrality_ore=rows.total_neutrality_ore,
                status="calculated",
            )
            .returning(m.settlement.c.id)
        ).scalar_one()
    )
    for p in rows.periods:
        session.execute(m.settlement_period.insert().values(settlement_id=sid, **asdict(p)))
    for u in rows.units:
        values = asdict(u)
        del values["revenue"]
        uid = session.execute(
            m.settlement_unit.insert()
            .values(settlement_id=sid, **values)
            .returning(m.settlement_unit.c.id)
        ).scalar_one()
        for r in u.revenue:
            session.execute(
                m.settlement_revenue.insert().values(settlement_unit_id=uid, **asdict(r))
            )
    periods = [p.period for p in rows.periods]
    for s in rows.scopes:
        values = asdict(s)
        del values["region_counts"]
        session.execute(m.settlement_scope.insert().values(settlement_id=sid, **values))
        for period, listed in zip(periods, s.region_counts, strict=True):
            session.execute(
                m.settlement_scope_count.insert().values(
                    settlement_id=sid, scope=s.scope, period=period, region_listed=listed
                )
            )
    for su in rows.scope_units:
        values = asdict(su)
        del values["counts"]
        suid = session.execute(
            m.settlement_scope_unit.insert()
            .values(settlement_id=sid, **values)
            .returning(m.settlement_scope_unit.c.id)
        ).scalar_one()
        for period, listed in zip(periods, su.counts, strict=True):
            session.execute(
                m.settlement_unit_count.insert().values(
                    scope_unit_id=suid, period=period, listed=listed
                )
            )
    return sid


def _provider_concerned(hsa_ids: frozenset[str]) -> ColumnElement[bool]:
    """A settlement concerns a provider when one of its units has a row in it."""
    s = m.settlement
    return or_(
        exists().where(
            m.settlement_unit.c.settlement_id == s.c.id,
            m.settlement_unit.c.hsa_id.in_(sorted(hsa_ids)),
        ),
        exists().where(
            m.settlement_scope_unit.c.settlement_id == s.c.id,
            m.settlement_scope_unit.c.hsa_id.in_(sorted(hsa_ids)),
        ),
    )


def settlement_for_update(
    session: Session, *, year: int, care_type: CareType, version: int
) -> SettlementHeader | None:
    t = m.settlement
    row = session.execute(
        select(t)
        .where(t.c.year == year, t.c.care_type == care_type.value, t.c.version == version)
        .with_for_update()
    ).first()
    return None if row is None else _header(row)


def approve_settlement(session: Session, settlement_id: int, *, actor: str) -> None:
    session.execute(
        update(m.settlement)
        .where(m.settlement.c.id == settlement_id)
        .values(status="approved", approved_by=actor, approved_at=now())
    )


def settlement_by_id(session: Session, settlement_id: int) -> SettlementHeader:
    return _header(
        session.execute(select(m.settlement).where(m.settlement.c.id == settlement_id)).one()
    )


def visible_settlements(
    session: Session,
    vis: Visibility,
    *,
    year: int,
    care_type: CareType | None = None,
    version: int | None = None,
) -> list[SettlementHeader]:
    """Settlement headers the reader may see: a given version, else the newest per care type.
    A provider sees approved settlements only (the newest approved one per care type)."""
    s = m.settlement
    if vis.view == "none" or (vis.view == "provider" and not vis.hsa_ids):
        return []
    approved_only = vis.view == "provider"
    q = select(s).where(s.c.year == year)
    if care_type is not None:
        q = q.where(s.c.care_type == care_type.value)
    if approved_only:
        q = q.where(s.c.status == "approved")
    if version is not None:
        q = q.where(s.c.version == version)
    else:
        newest_q = select(s.c.care_type, func.max(s.c.version).label("v")).where(s.c.year == year)
        if approved_only:
            newest_q = newest_q.where(s.c.status == "approved")
        newest = newest_q.group_by(s.c.care_type).subquery()
        q = q.join(newest, (newest.c.care_type == s.c.care_type) & (newest.c.v == s.c.version))
    if vis.view == "provider":
        q = q.where(_provider_concerned(vis.hsa_ids))
    return [_header(r) for r in session.execute(q.order_by(s.c.care_type))]


def _unit_row(r: Any, revenue: tuple[RevenueRow, ...]) -> UnitRow:
    return UnitRow(
        hsa_id=r.hsa_id,
        unit_name=r.unit_name,
        municipality_code=r.municipality_code,
        fixed_sum_ore=r.fixed_sum_ore,
        costs_ore=r.costs_ore,
        other_revenue_ore=r.other_revenue_ore,
        targeted_grants_ore=r.targeted_grants_ore,
        halsoval_revenue_ore=r.halsoval_revenue_ore,
        deficit_ore=r.deficit_ore,
        coverage=r.coverage,
        covered_deficit=r.covered_deficit,
        cap_ore=r.cap_ore,
        compensation_ore=r.compensation_ore,
        revenue=revenue,
    )


def settlement_parts(session: Session, settlement_id: int, vis: Visibility) -> SettlementParts:
    """The rows under a settlement that the reader may see; totals-only readers get none."""
    if vis.view not in ("full", "provider"):
        return SettlementParts()
    sp = m.settlement_period
    periods = tuple(
        PeriodRow(r.period, r.payment_version, r.count_date, _aware_or_none(r.as_known_at))
        for r in session.execute(
            select(sp).where(sp.c.settlement_id == settlement_id).order_by(sp.c.period)
        )
    )
    u = m.settlement_unit
    uq = select(u).where(u.c.settlement_id == settlement_id)
    su = m.settlement_scope_unit
    suq = select(su).where(su.c.settlement_id == settlement_id)
    if vis.view == "provider":
        ids = sorted(vis.hsa_ids)
        uq = uq.where(u.c.hsa_id.in_(ids))
        suq = suq.where(su.c.hsa_id.in_(ids))
    unit_rows = list(session.execute(uq.order_by(u.c.municipality_code, u.c.hsa_id)))
    revenue: dict[int, list[RevenueRow]] = {}
    if unit_rows:
        r = m.settlement_revenue
        q = select(r).where(r.c.settlement_unit_id.in_([row.id for row in unit_rows]))
        for row in session.execute(q.order_by(r.c.period)):
            revenue.setdefault(row.settlement_unit_id, []).append(
                RevenueRow(row.period, row.revenue_ore)
            )
    scope_unit_rows = list(session.execute(suq.order_by(su.c.scope, su.c.id)))
    unit_counts: dict[int, list[int]] = {}
    if scope_unit_rows:
        uc = m.settlement_unit_count
        q = select(uc).where(uc.c.scope_unit_id.in_([row.id for row in scope_unit_rows]))
        for row in session.execute(q.order_by(uc.c.period)):
            unit_counts.setdefault(row.scope_unit_id, []).append(row.listed)
    scope_units = tuple(
        ScopeUnitRow(
            scope=row.scope,
            hsa_id=row.hsa_id,
            unit_name=row.unit_name,
            municipality_code=row.municipality_code,
            ownership=row.ownership,
            designated=row.designated,
            listed=row.listed,
            amount_ore=row.amount_ore,
            counts=tuple(unit_counts.get(row.id, ())),
        )
        for row in scope_unit_rows
    )
    sc = m.settlement_scope
    scq = select(sc).where(sc.c.settlement_id == settlement_id)
    if vis.view == "provider":
        scq = scq.where(sc.c.scope.in_(sorted({row.scope for row in scope_units})))
    scope_rows = list(session.execute(scq.order_by(sc.c.scope)))
    region_counts: dict[str, list[int]] = {}
    if scope_rows:
        cnt = m.settlement_scope_count
        q = select(cnt).where(
            cnt.c.settlement_id == settlement_id,
            cnt.c.scope.in_([row.scope for row in scope_rows]),
        )
        for row in session.execute(q.order_by(cnt.c.scope, cnt.c.period)):
            region_counts.setdefault(row.scope, []).append(row.region_listed)
    scopes = tuple(
        ScopeRow(
            scope=row.scope,
            total_compensation_ore=row.total_compensation_ore,
            region_listed=row.region_listed,
            rate_numerator=row.rate_numerator,
            rate_denominator=row.rate_denominator,
            total_neutrality_ore=row.total_neutrality_ore,
            region_counts=tuple(region_counts.get(row.scope, ())),
        )
        for row in scope_rows
    )
    return SettlementParts(
        periods=periods,
        units=tuple(_unit_row(row, tuple(revenue.get(row.id, ()))) for row in unit_rows),
        scopes=scopes,
        scope_units=scope_units,
    )
