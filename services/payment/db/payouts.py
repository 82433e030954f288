"""Queries of payouts and the ledger. Rows come back as frozen dataclasses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.payment.db.models import (
    payment_run,
    payment_statement,
    payment_statement_line,
    payout,
    payout_line,
)
from services.payment.db.repository import new_id
from services.payment.domain.payouts import VAT_COMPONENT, LineKind, PayoutLine, UnitAmount
from shared.db import as_utc
from shared.period import Period
from shared.schemas.payment import RunStatus

CALCULATED = "calculated"
APPROVED = "approved"


@dataclass(frozen=True)
class PayoutRecord:
    payout_id: str
    period: Period
    care_type: str
    run_id: str
    version: int
    paid_version: int | None
    status: str
    payment_date: dt.date | None
    total_ore: int
    created_by: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    lines: tuple[PayoutLine, ...]


def _line(r: Any) -> PayoutLine:
    return PayoutLine(
        hsa_id=r.hsa_id,
        name=r.unit_name,
        period=Period.parse(r.period),
        kind=LineKind(r.kind),
        paid_version=r.paid_version,
        version=r.version,
        amount_ore=int(r.amount_ore),
        vat_ore=int(r.vat_ore),
    )


def _payouts(session: Session, *where: Any) -> list[PayoutRecord]:
    rows = session.execute(
        select(payout).where(*where).order_by(payout.c.period, payout.c.version)
    ).all()
    if not rows:
        return []
    lines: dict[str, list[PayoutLine]] = defaultdict(list)
    for r in session.execute(
        select(payout_line)
        .where(payout_line.c.payout_id.in_([r.id for r in rows]))
        .order_by(payout_line.c.hsa_id)
    ):
        lines[r.payout_id].append(_line(r))
    return [
        PayoutRecord(
            payout_id=r.id,
            period=Period.parse(r.period),
            care_type=r.care_type,
            run_id=r.run_id,
            version=r.version,
            paid_version=r.paid_version,
            status=r.status,
            payment_date=r.payment_date,
            total_ore=int(r.total_ore),
            created_by=r.created_by,
            created_at=as_utc(r.created_at),
            approved_by=r.approved_by,
            approved_at=as_utc(r.approved_at) if r.approved_at else None,
            lines=tuple(lines[r.id]),
        )
        for r in rows
    ]


def get_payout(session: Session, payout_id: str) -> PayoutRecord | None:
    found = _payouts(session, payout.c.id == payout_id)
    return found[0] if found else None


def list_payouts(session: Session, period: Period | None) -> list[PayoutRecord]:
    return _payouts(session, *([payout.c.period == str(period)] if period else []))


def lock_period(session: Session, period: Period) -> list[PayoutRecord]:
    """Every payout of `period`, row-locked until commit (PostgreSQL; SQLite's writers are
    serialised by BEGIN IMMEDIATE), so two payouts of one period cannot both be proposed."""
    session.execute(
        select(payout.c.id).where(payout.c.period == str(period)).with_for_update()
    ).all()
    return _payouts(session, payout.c.period == str(period))


def version_amounts(session: Session, run_id: str) -> dict[str, UnitAmount]:
    """Each unit's total in a run and the VAT compensation in it."""
    out: dict[str, UnitAmount] = {}
    totals = session.execute(
        select(
            payment_statement.c.hsa_id, payment_statement.c.unit_name, payment_statement.c.total_ore
        ).where(payment_statement.c.run_id == run_id)
    ).all()
    vat: dict[str, int] = {
        h: int(a)
        for h, a in session.execute(
            select(payment_statement.c.hsa_id, payment_statement_line.c.amount_ore)
            .join(
                payment_statement, payment_statement.c.id == payment_statement_line.c.statement_id
            )
            .where(
                payment_statement_line.c.run_id == run_id,
                payment_statement_line.c.component == VAT_COMPONENT,
            )
        )
    }
    for hsa_id, name, total in totals:
        out[hsa_id] = UnitAmount(int(total), int(vat.get(hsa_id, 0)), name)
    return out


def insert_payout(
    session: Session,
    *,
    period: Period,
    care_type: str,
    run_id: str,
    version: int,
    paid_version: int | None,
    payment_date: dt.date | None,
    lines: list[PayoutLine],
    sub: str,
) -> str:
    payout_id = new_id()
    session.execute(
        insert(payout).values(
            id=payout_id,
            period=str(period),
            care_type=care_type,
            run_id=run_id,
            version=version,
            paid_version=paid_version,
            status=CALCULATED,
            payment_date=payment_date,
            total_ore=sum(ln.amount_ore for ln in lines),
            created_by=sub,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    if lines:
        session.execute(
            insert(payout_line),
            [
                {
                    "payout_id": payout_id,
                    "hsa_id": ln.hsa_id,
                    "unit_name": ln.name,
                    "period": str(ln.period),
                    "kind": ln.kind.value,
                    "paid_version": ln.paid_version,
                    "version": ln.version,
                    "amount_ore": ln.amount_ore,
                    "vat_ore": ln.vat_ore,
                }
                for ln in lines
            ],
        )
    return payout_id


def approve_payout(
    session: Session, payout_id: str, *, sub: str, at: dt.datetime, payment_date: dt.date
) -> bool:
    """calculated → approved; False if someone else got there first."""
    done = session.execute(
        update(payout)
        .where(payout.c.id == payout_id, payout.c.status == CALCULATED)
        .values(status=APPROVED, approved_by=sub, approved_at=at, payment_date=payment_date)
    )
    return bool(getattr(done, "rowcount", 0))


@dataclass(frozen=True)
class UnitYear:
    """What the ledger of one unit and year is built from."""

    computed: dict[Period, tuple[int, int]]  # latest approved version, the unit's amount
    lines: list[tuple[Period, LineKind, int]]  # the unit's approved payout lines
    known: bool  # the unit has a statement in some run (else the ledger is a 404)


def unit_year(session: Session, hsa_id: str, year: int) -> UnitYear:
    like = f"{year:04d}-%"
    approved = session.execute(
        select(payment_run.c.period, payment_run.c.version, payment_run.c.id)
        .where(payment_run.c.period.like(like), payment_run.c.status == RunStatus.approved.value)
        .order_by(payment_run.c.period, payment_run.c.version)
    ).all()
    latest: dict[str, tuple[int, str]] = {}
    for period, version, run_id in approved:
        latest[period] = (int(version), run_id)
    amounts: dict[str, int] = {
        r: int(t)
        for r, t in session.execute(
            select(payment_statement.c.run_id, payment_statement.c.total_ore).where(
                payment_statement.c.hsa_id == hsa_id,
                payment_statement.c.run_id.in_([r for _, r in latest.values()]),
            )
        )
    }
    computed = {
        Period.parse(p): (v, int(amounts.get(run_id, 0))) for p, (v, run_id) in latest.items()
    }
    lines = [
        (Period.parse(p), LineKind(k), int(a))
        for p, k, a in session.execute(
            select(payout_line.c.period, payout_line.c.kind, payout_line.c.amount_ore)
            .join(payout, payout.c.id == payout_line.c.payout_id)
            .where(
                payout_line.c.hsa_id == hsa_id,
                payout_line.c.period.like(like),
                payout.c.status == APPROVED,
            )
        )
    ]
    known = (
        session.execute(
            select(payment_statement.c.id).where(payment_statement.c.hsa_id == hsa_id).limit(1)
        ).first()
        is not None
    )
    return UnitYear(computed=computed, lines=lines, known=known)
