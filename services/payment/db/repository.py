"""Queries of the payment service. Provider scoping lives here, in the SQL, and fails closed."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.payment.db.models import (
    listing_change,
    listing_feed,
    payment_model,
    payment_run,
    payment_run_component,
    payment_statement,
    payment_statement_line,
)
from services.payment.domain.calculation import ComponentPool, MonthResult, fmt, line_deltas
from services.payment.domain.components import VAT_COMPENSATION, component_order
from services.payment.domain.model import STORED, PaymentModel
from services.payment.domain.staleness import UNIT_CHANGED, ChangeTally
from shared.auth import Principal, Role
from shared.db import as_utc
from shared.money import from_ore
from shared.period import Period
from shared.schemas.common import CareType
from shared.schemas.payment import RunStatus, Statement, StatementLine


def new_id() -> str:
    return uuid.uuid4().hex


# --- payment models -------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredModel:
    year: int
    version: int
    used: bool
    created_at: dt.datetime
    created_by: str
    model: PaymentModel
    status: ModelStatus = "approved"
    effective_from: Period | None = None  # None only for a hand-made record: the year's first
    approved_by: str | None = None
    approved_at: dt.datetime | None = None

    @property
    def effective_month(self) -> int:
        return self.effective_from.month if self.effective_from else 1


ModelStatus = Literal["draft", "approved"]


def _stored_model(row: Any) -> StoredModel:
    return StoredModel(
        year=row.year,
        version=row.version,
        used=bool(row.used),
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        # Read as stored: the limits of the edge are not re-applied (services.payment.domain.model).
        model=PaymentModel.model_validate(json.loads(row.body), context=STORED),
        status="approved" if row.status == "approved" else "draft",
        effective_from=Period.parse(row.effective_from),
        approved_by=row.approved_by,
        approved_at=as_utc(row.approved_at) if row.approved_at else None,
    )


def approved_models(session: Session, year: int, *, lock: bool = False) -> list[StoredModel]:
    """The year's approved versions, oldest first (`lock`: row-locked until commit)."""
    q = (
        select(payment_model)
        .where(payment_model.c.year == year, payment_model.c.status == "approved")
        .order_by(payment_model.c.version)
    )
    return [_stored_model(r) for r in session.execute(q.with_for_update() if lock else q)]


def approve_model(session: Session, year: int, version: int, sub: str) -> bool:
    """Draft → approved; False when it was approved meanwhile."""
    done = session.execute(
        update(payment_model)
        .where(
            payment_model.c.year == year,
            payment_model.c.version == version,
            payment_model.c.status == "draft",
        )
        .values(status="approved", approved_by=sub, approved_at=dt.datetime.now(dt.UTC))
    )
    return bool(getattr(done, "rowcount", 0))


def get_model(
    session: Session, year: int, version: int | None = None, *, lock: bool = False
) -> StoredModel | None:
    """The given version of the year's model, else its newest (`lock`: row-locked until commit)."""
    q = select(payment_model).where(payment_model.c.year == year)
    q = (
        q.where(payment_model.c.version == version)
        if version is not None
        else q.order_by(payment_model.c.version.desc()).limit(1)
    )
    row = session.execute(q.with_for_update() if lock else q).first()
    return _stored_model(row) if row else None


PutOutcome = Literal["created", "unchanged", "updated", "new_version"]


def put_model(
    session: Session, *, year: int, model: PaymentModel, sub: str
) -> tuple[StoredModel, PutOutcome]:
    """Store a model; outcome is created, unchanged, updated (the newest version is a draft,
    edited in place) or new_version (the newest is approved, and never changes: a new draft).

    The stored text is read back as a model and written out again before it is compared, so
    text stored by an older version of this code compares by what it means.
    """
    current = session.execute(
        select(payment_model)
        .where(payment_model.c.year == year)
        .order_by(payment_model.c.version.desc())
        .limit(1)
        .with_for_update()
    ).first()
    body = model.canonical_json()
    now = dt.datetime.now(dt.UTC)
    outcome: PutOutcome
    if current is not None:
        existing = _stored_model(current)
        if existing.model.canonical_json() == body:
            return existing, "unchanged"
    effective_from = str(model.effective_from or Period(year, 1))
    if current is not None and current.status == "draft":
        session.execute(
            update(payment_model)
            .where(payment_model.c.id == current.id)
            .values(body=body, created_at=now, created_by=sub, effective_from=effective_from)
        )
        version, outcome = int(current.version), "updated"
    else:
        version = int(current.version) + 1 if current is not None else 1
        outcome = "new_version" if current is not None else "created"
        session.execute(
            insert(payment_model).values(
                year=year,
                version=version,
                body=body,
                used=False,
                created_at=now,
                created_by=sub,
                status="draft",
                effective_from=effective_from,
            )
        )
    stored = get_model(session, year, version)
    assert stored is not None
    return stored, outcome


def mark_model_used(session: Session, year: int, version: int) -> None:
    session.execute(
        update(payment_model)
        .where(payment_model.c.year == year, payment_model.c.version == version)
        .values(used=True)
    )


# --- runs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    period: Period
    version: int
    status: RunStatus
    count_date: dt.date
    as_known_at: dt.datetime
    model_year: int
    model_version: int
    pool_ore: int
    total_ore: int
    undistributed_ore: int
    delta_ore: int | None
    fingerprint: str
    created_by: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    components: tuple[ComponentPool, ...]
    confirmed_as_known_at: dt.datetime | None = None

    @property
    def known_until(self) -> dt.datetime:
        """The newest moment whose listings this version is known to pay right."""
        confirmed = self.confirmed_as_known_at
        return max(self.as_known_at, confirmed) if confirmed else self.as_known_at


def _runs(session: Session, where: ColumnElement[bool]) -> list[RunRecord]:
    q = select(payment_run).where(where).order_by(payment_run.c.period, payment_run.c.version)
    rows = session.execute(q).all()
    if not rows:
        return []
    comps: dict[str, list[ComponentPool]] = defaultdict(list)
    by_rule = component_order()  # pools in the order of the component registry
    for c in session.execute(
        select(payment_run_component).where(
            payment_run_component.c.run_id.in_([r.id for r in rows])
        )
    ):
        comps[c.run_id].append(
            ComponentPool(
                c.component,
                int(c.pool_ore),
                Decimal(c.total_weight),
                int(c.distributed_ore),
            )
        )
    return [
        RunRecord(
            run_id=r.id,
            period=Period.parse(r.period),
            version=r.version,
            status=RunStatus(r.status),
            count_date=r.count_date,
            as_known_at=as_utc(r.as_known_at),
            model_year=r.model_year,
            model_version=r.model_version,
            pool_ore=int(r.pool_ore),
            total_ore=int(r.total_ore),
            undistributed_ore=int(r.undistributed_ore),
            delta_ore=int(r.delta_ore) if r.delta_ore is not None else None,
            fingerprint=r.fingerprint,
            created_by=r.created_by,
            created_at=as_utc(r.created_at),
            approved_by=r.approved_by,
            approved_at=as_utc(r.approved_at) if r.approved_at else None,
            components=tuple(sorted(comps[r.id], key=lambda c: by_rule(c.component))),
            confirmed_as_known_at=(
                as_utc(r.confirmed_as_known_at) if r.confirmed_as_known_at else None
            ),
        )
        for r in rows
    ]


def get_run(session: Session, run_id: str) -> RunRecord | None:
    found = _runs(session, payment_run.c.id == run_id)
    return found[0] if found else None


@dataclass(frozen=True)
class RunMoments:
    """When a run was calculated and approved: what a printed statement shows beside it."""

    created_at: dt.datetime
    approved_at: dt.datetime | None


def run_moments(session: Session, run_id: str) -> RunMoments | None:
    row = session.execute(
        select(payment_run.c.created_at, payment_run.c.approved_at).where(
            payment_run.c.id == run_id
        )
    ).one_or_none()
    if row is None:
        return None
    return RunMoments(
        created_at=as_utc(row.created_at),
        approved_at=as_utc(row.approved_at) if row.approved_at else None,
    )


def list_runs(session: Session, period: Period | None = None) -> list[RunRecord]:
    where = payment_run.c.period == str(period) if period is not None else true()
    return _runs(session, where)


def runs_of_year(session: Session, year: int) -> list[RunRecord]:
    """Every version of every period of `year`, in period and version order."""
    return _runs(session, payment_run.c.period.like(f"{year:04d}-%"))


def latest_approved_run(session: Session, period: Period) -> RunRecord | None:
    run_id = session.execute(
        select(payment_run.c.id)
        .where(
            payment_run.c.period == str(period),
            payment_run.c.status == RunStatus.approved.value,
        )
        .order_by(payment_run.c.version.desc())
        .limit(1)
    ).scalar()
    return get_run(session, run_id) if run_id else None


def confirm_run(session: Session, run_id: str, as_known_at: dt.datetime) -> None:
    """A re-run as known at `as_known_at` found the version unchanged (never moves back)."""
    at = as_utc(as_known_at)
    session.execute(
        update(payment_run)
        .where(
            payment_run.c.id == run_id,
            (payment_run.c.confirmed_as_known_at.is_(None))
            | (payment_run.c.confirmed_as_known_at < at),
        )
        .values(confirmed_as_known_at=at)
    )


def latest_run(session: Session, period: Period, *, lock: bool = False) -> RunRecord | None:
    q = (
        select(payment_run.c.id)
        .where(payment_run.c.period == str(period))
        .order_by(payment_run.c.version.desc())
        .limit(1)
    )
    run_id = session.execute(q.with_for_update() if lock else q).scalar()
    return get_run(session, run_id) if run_id else None


@dataclass(frozen=True)
class PreviousUnit:
    name: str | None
    amounts: dict[str, int]  # component id → öre


def run_amounts(session: Session, run_id: str) -> dict[str, PreviousUnit]:
    """Each unit's line amounts in a run: what a correction's deltas are measured against."""
    out: dict[str, PreviousUnit] = {}
    q = (
        select(
            payment_statement.c.hsa_id,
            payment_statement.c.unit_name,
            payment_statement_line.c.component,
            payment_statement_line.c.amount_ore,
        )
        .join(payment_statement, payment_statement.c.id == payment_statement_line.c.statement_id)
        .where(payment_statement_line.c.run_id == run_id)
    )
    for hsa_id, name, component, amount in session.execute(q):
        out.setdefault(hsa_id, PreviousUnit(name, {})).amounts[component] = int(amount)
    return out


def insert_run(
    session: Session,
    *,
    result: MonthResult,
    count_date: dt.date,
    as_known_at: dt.datetime,
    model_year: int,
    model_version: int,
    version: int,
    fingerprint: str,
    sub: str,
    previous: dict[str, PreviousUnit] | None,
) -> str:
    """Store a run, its pools, statements and lines with bulk inserts; returns the run id."""
    run_id = new_id()
    prev_total = (
        sum(sum(p.amounts.values()) for p in previous.values()) if previous is not None else None
    )
    session.execute(
        insert(payment_run).values(
            id=run_id,
            period=str(result.period),
            version=version,
            status=RunStatus.calculated.value,
            count_date=count_date,
            as_known_at=as_utc(as_known_at),
            model_year=model_year,
            model_version=model_version,
            pool_ore=result.pool_ore,
            total_ore=result.total_ore,
            undistributed_ore=result.undistributed_ore,
            delta_ore=result.total_ore - prev_total if prev_total is not None else None,
            fingerprint=fingerprint,
            created_by=sub,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    session.execute(
        insert(payment_run_component),
        [
            {
                "run_id": run_id,
                "component": c.component,
                "pool_ore": c.pool_ore,
                "total_weight": fmt(c.total_weight),
                "distributed_ore": c.distributed_ore,
            }
            for c in result.components
        ],
    )
    statements: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    deltas = (
        line_deltas(result, {h: p.amounts for h, p in previous.items()})
        if previous is not None
        else None
    )
    for unit in result.units:
        sid = new_id()
        unit_deltas = deltas[unit.hsa_id] if deltas is not None else None
        for ln in unit.lines:
            lines.append(
                {
                    "statement_id": sid,
                    "component": ln.component,
                    "run_id": run_id,
                    "weight": fmt(ln.weight),
                    "share": fmt(ln.share),
                    "amount_ore": ln.amount_ore,
                    "delta_ore": unit_deltas[ln.component] if unit_deltas is not None else None,
                }
            )
        statements.append(
            {
                "id": sid,
                "run_id": run_id,
                "hsa_id": unit.hsa_id,
                "unit_name": unit.name,
                "listed": unit.listed,
                "total_ore": unit.total_ore,
                "delta_ore": sum(unit_deltas.values()) if unit_deltas is not None else None,
            }
        )
    if statements:
        session.execute(insert(payment_statement), statements)
        session.execute(insert(payment_statement_line), lines)
    return run_id


def approve_run(session: Session, run_id: str, sub: str) -> bool:
    """Flip calculated → approved; False if someone else got there first."""
    done = session.execute(
        update(payment_run)
        .where(payment_run.c.id == run_id, payment_run.c.status == RunStatus.calculated.value)
        .values(
            status=RunStatus.approved.value, approved_by=sub, approved_at=dt.datetime.now(dt.UTC)
        )
    )
    return bool(getattr(done, "rowcount", 0))


# --- statements -----------------------------------------------------------------------------


def readable(principal: Principal) -> ColumnElement[bool]:
    """The rows this principal may read, as SQL. A provider: its own units of approved runs."""
    if principal.is_wide:
        return true()
    if Role.provider in principal.roles and principal.hsa_ids:
        return and_(
            payment_statement.c.hsa_id.in_(sorted(principal.hsa_ids)),
            payment_run.c.status == RunStatus.approved.value,
        )
    return false()  # anyone else, and a provider without units, sees nothing


def resolve_version(
    session: Session,
    principal: Principal,
    *,
    period: Period,
    version: int | None,
    approved_only: bool,
) -> int | None:
    """The version a listing shows: the given one, else the newest this principal may read."""
    if version is not None:
        return version
    found = session.execute(_newest_version(principal, period, approved_only)).scalar()
    return int(found) if found is not None else None


def _newest_version(principal: Principal, period: Period, approved_only: bool) -> Select[int]:
    q = select(func.max(payment_run.c.version)).where(payment_run.c.period == str(period))
    if approved_only or not principal.is_wide:
        q = q.where(payment_run.c.status == RunStatus.approved.value)
    return q


class ApprovedStatementCache:
    """Approved runs are immutable, so their statements can be kept once built.

    Only the materialisation is cached: which statements a principal may read is still
    decided by the SQL query on every request (tenancy stays in the database query).
    """

    def __init__(self, max_items: int = 50_000) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, Statement] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, statement_id: str) -> Statement | None:
        with self._lock:
            found = self._items.get(statement_id)
            if found is not None:
                self._items.move_to_end(statement_id)
            return found

    def put(self, statement: Statement) -> None:
        if statement.status is not RunStatus.approved:
            return
        with self._lock:
            self._items[statement.statement_id] = statement
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)


APPROVED_STATEMENTS = ApprovedStatementCache()


def _statements(
    session: Session, principal: Principal, where: ColumnElement[bool]
) -> list[Statement]:
    """The readable statements matching `where`, in HSA-id order (approved ones from cache)."""
    visible = session.execute(
        select(payment_statement.c.id, payment_run.c.status)
        .join(payment_run, payment_run.c.id == payment_statement.c.run_id)
        .where(where, readable(principal))
        .order_by(payment_statement.c.hsa_id)
    ).all()
    found: dict[str, Statement] = {}
    missing: list[str] = []
    for sid, status in visible:
        cached = APPROVED_STATEMENTS.get(sid) if status == RunStatus.approved.value else None
        if cached is None:
            missing.append(sid)
        else:
            found[sid] = cached
    if missing:
        for statement in _build_statements(session, payment_statement.c.id.in_(missing)):
            APPROVED_STATEMENTS.put(statement)
            found[statement.statement_id] = statement
    return [found[sid] for sid, _ in visible if sid in found]


def _build_statements(session: Session, where: ColumnElement[bool]) -> list[Statement]:
    q = (
        select(
            payment_statement,
            payment_run.c.period,
            payment_run.c.version,
            payment_run.c.status,
            payment_run.c.count_date,
            payment_run.c.as_known_at,
            payment_run.c.model_year,
            payment_run.c.model_version,
        )
        .join(payment_run, payment_run.c.id == payment_statement.c.run_id)
        .where(where)
    )
    rows = session.execute(q).all()
    if not rows:
        return []
    run_ids = sorted({r.run_id for r in rows})
    pools = {
        (c.run_id, c.component): c
        for c in session.execute(
            select(payment_run_component).where(payment_run_component.c.run_id.in_(run_ids))
        )
    }
    lines: dict[str, list[StatementLine]] = defaultdict(list)
    line_q = select(payment_statement_line).where(payment_statement_line.c.run_id.in_(run_ids))
    if len(rows) < 500:
        line_q = line_q.where(payment_statement_line.c.statement_id.in_([r.id for r in rows]))
    wanted = {r.id for r in rows}
    by_rule = component_order()  # lines in the order of the component registry
    for ln in sorted(session.execute(line_q), key=lambda x: by_rule(x.component)):
        if ln.statement_id not in wanted:
            continue
        pool = pools.get((ln.run_id, ln.component))
        # vat_compensation is no pool's share: its weight is the month total it is paid on
        # (kronor), its share the rate; total_weight is that same total and pool_sek 0.
        lines[ln.statement_id].append(
            StatementLine(
                component=ln.component,  # the contract's name of it (see the registry)
                weight=Decimal(ln.weight),
                total_weight=Decimal(pool.total_weight if pool else ln.weight),
                share=Decimal(ln.share),
                pool_sek=from_ore(int(pool.pool_ore) if pool else 0),
                amount_sek=from_ore(int(ln.amount_ore)),
                delta_sek=from_ore(int(ln.delta_ore)) if ln.delta_ore is not None else None,
            )
        )
    return [
        Statement(
            statement_id=r.id,
            run_id=r.run_id,
            period=Period.parse(r.period),
            version=r.version,
            status=RunStatus(r.status),
            count_date=r.count_date,
            as_known_at=as_utc(r.as_known_at),
            model_year=r.model_year,
            model_version=r.model_version,
            hsa_id=r.hsa_id,
            unit_name=r.unit_name,
            listed=r.listed,
            lines=lines[r.id],
            total_sek=from_ore(int(r.total_ore)),
            delta_sek=from_ore(int(r.delta_ore)) if r.delta_ore is not None else None,
        )
        for r in rows
    ]


def list_statements(
    session: Session,
    principal: Principal,
    *,
    period: Period,
    version: int | None,
    hsa_id: str | None = None,
    approved_only: bool = False,
) -> list[Statement]:
    """A period's statements of `version`, or (None) of the newest version this principal may
    read, found in the same query: one round trip on the providers' hot path."""
    chosen: Any = (
        version
        if version is not None
        else _newest_version(principal, period, approved_only).scalar_subquery()
    )
    where = and_(payment_run.c.period == str(period), payment_run.c.version == chosen)
    if approved_only:
        where = and_(where, payment_run.c.status == RunStatus.approved.value)
    if hsa_id is not None:
        where = and_(where, payment_statement.c.hsa_id == hsa_id)
    return _statements(session, principal, where)


def get_statement(session: Session, principal: Principal, statement_id: str) -> Statement | None:
    """One statement, or None both when it does not exist and when the principal may not see it."""
    found = _statements(session, principal, payment_statement.c.id == statement_id)
    return found[0] if found else None


# --- the listing service's change feed ------------------------------------------------------


@dataclass(frozen=True)
class FeedChange:
    """What this service keeps of one feed entry: enough to say which count dates it can
    change, nothing about a person."""

    cursor: int
    recorded_at: dt.datetime
    kind: str
    care_type: str | None
    affects_from: dt.date | None
    affects_to: dt.date | None
    hsa_id: str | None
    persons: int | None


@dataclass(frozen=True)
class FeedPosition:
    cursor: int
    followed_at: dt.datetime | None


def feed_position(session: Session) -> FeedPosition:
    """How far the feed has been stored (cursor 0 before the first entry)."""
    row = session.execute(select(listing_feed).where(listing_feed.c.id == 1)).one_or_none()
    if row is None:  # migration 0002 writes the row; a database without it has read nothing
        return FeedPosition(0, None)
    return FeedPosition(
        int(row.cursor), as_utc(row.followed_at) if row.followed_at is not None else None
    )


def store_changes(
    session: Session, changes: list[FeedChange], *, reached_end_at: dt.datetime | None
) -> None:
    """Store a page of the feed and move the position past it, idempotently: an entry another
    follower stored first is skipped (ON CONFLICT DO NOTHING on the cursor) and the position
    only ever moves forward. `reached_end_at`: the page ended the feed at that moment."""
    if changes:
        rows = [
            {
                "cursor": c.cursor,
                "recorded_at": as_utc(c.recorded_at),
                "kind": c.kind,
                "care_type": c.care_type,
                "affects_from": c.affects_from,
                "affects_to": c.affects_to,
                "hsa_id": c.hsa_id,
                "persons": c.persons,
            }
            for c in changes
        ]
        dialect = session.get_bind().dialect.name
        ins = (
            pg_insert(listing_change) if dialect == "postgresql" else sqlite_insert(listing_change)
        )
        session.execute(ins.on_conflict_do_nothing(index_elements=["cursor"]), rows)
        last = max(c.cursor for c in changes)
        session.execute(
            update(listing_feed)
            .where(listing_feed.c.id == 1, listing_feed.c.cursor < last)
            .values(cursor=last)
        )
    if reached_end_at is not None:
        session.execute(
            update(listing_feed)
            .where(listing_feed.c.id == 1)
            .values(followed_at=as_utc(reached_end_at))
        )


def count_changes(session: Session) -> int:
    """How many feed entries are stored (the tests' and the operators' check)."""
    return int(session.execute(select(func.count()).select_from(listing_change)).scalar_one())


def change_tally(session: Session, *, after: dt.datetime, day: dt.date) -> ChangeTally:
    """Stored feed entries recorded after `after` that can change the primary-care counts of
    `day` (services/payment/domain/staleness.py states the rule)."""
    c = listing_change.c
    is_unit = c.kind == UNIT_CHANGED
    row = session.execute(
        select(
            func.sum(case((is_unit, 0), else_=1)),
            func.sum(case((is_unit, 1), else_=0)),
        ).where(
            c.recorded_at > as_utc(after),
            c.affects_from <= day,
            (c.affects_to.is_(None)) | (c.affects_to >= day),
            (c.care_type.is_(None)) | (c.care_type == CareType.primary.value),
        )
    ).one()
    return ChangeTally(listings=int(row[0] or 0), units=int(row[1] or 0))


def vat_by_run(session: Session, run_ids: list[str]) -> dict[str, int]:
    """Each run's VAT compensation (its vat_compensation statement lines), in öre."""
    if not run_ids:
        return {}
    q = (
        select(payment_statement_line.c.run_id, func.sum(payment_statement_line.c.amount_ore))
        .where(
            payment_statement_line.c.run_id.in_(run_ids),
            payment_statement_line.c.component == VAT_COMPENSATION,
        )
        .group_by(payment_statement_line.c.run_id)
    )
    return {run_id: int(total or 0) for run_id, total in session.execute(q)}
