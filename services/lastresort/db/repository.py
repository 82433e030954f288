"""Queries and writes of the last-resort service. Provider scoping lives here, failing closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, exists, func, or_, select, update
from sqlalchemy.orm import Session

from services.lastresort.db import models as m
from shared.auth import Principal, Role


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# --- visibility ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Visibility:
    """What a reader may see of settlements. The default sees nothing."""

    view: str = "none"  # "full" | "provider" | "totals" | "none"
    hsa_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_principal(cls, principal: Principal) -> Visibility:
        if principal.has(Role.region_admin, Role.finance_approver):
            return cls("full")
        if Role.provider in principal.roles:
            return cls("provider", principal.hsa_ids)
        if Role.ops in principal.roles:
            return cls("totals")
        return cls()


# --- designations -------------------------------------------------------------------------


def upsert_designation(
    session: Session,
    *,
    year: int,
    care_type: str,
    municipality_code: str,
    hsa_id: str,
    unit_name: str,
    actor: str,
) -> str | None:
    """Insert or replace; returns the unit it replaced, if any."""
    t = m.designation
    key = (
        (t.c.year == year)
        & (t.c.care_type == care_type)
        & (t.c.municipality_code == municipality_code)
    )
    old = session.execute(select(t.c.id, t.c.hsa_id).where(key).with_for_update()).first()
    values = {"hsa_id": hsa_id, "unit_name": unit_name, "updated_at": now(), "updated_by": actor}
    if old is None:
        session.execute(
            t.insert().values(
                year=year, care_type=care_type, municipality_code=municipality_code, **values
            )
        )
        return None
    session.execute(update(t).where(t.c.id == old.id).values(**values))
    return str(old.hsa_id)


def list_designations(session: Session, year: int, care_type: str | None = None) -> list[Row[Any]]:
    t = m.designation
    q = select(t).where(t.c.year == year)
    if care_type is not None:
        q = q.where(t.c.care_type == care_type)
    return list(session.execute(q.order_by(t.c.care_type, t.c.municipality_code)))


# --- models -------------------------------------------------------------------------------


def model_versions(session: Session, year: int) -> list[Row[Any]]:
    t = m.model
    return list(
        session.execute(select(t).where(t.c.year == year).order_by(t.c.applies_to, t.c.version))
    )


def latest_model(
    session: Session, year: int, applies_to: str, *, lock: bool = False
) -> Row[Any] | None:
    t = m.model
    q = (
        select(t)
        .where(t.c.year == year, t.c.applies_to == applies_to)
        .order_by(t.c.version.desc())
        .limit(1)
    )
    return session.execute(q.with_for_update() if lock else q).first()


def effective_model(session: Session, year: int, care_type: str) -> Row[Any] | None:
    """The care type's own model if there is one, else the year's model for all care types."""
    return latest_model(session, year, care_type) or latest_model(session, year, "all")


def put_model(session: Session, *, year: int, applies_to: str, body: str) -> tuple[Row[Any], str]:
    """Store a model: unchanged, updated in place while unused, or a new version once used."""
    t = m.model
    current = latest_model(session, year, applies_to, lock=True)
    stamp = now()
    if current is not None and current.body == body:
        return current, "unchanged"
    if current is not None and not current.used:
        session.execute(update(t).where(t.c.id == current.id).values(body=body, updated_at=stamp))
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
            )
            .returning(t.c.id)
        ).scalar_one()
        outcome = "created"
    row = session.execute(select(t).where(t.c.id == model_id)).one()
    return row, outcome


def model_by_id_for_update(session: Session, model_id: int) -> Row[Any] | None:
    """The model row, locked until the settlement that uses it commits."""
    q = select(m.model).where(m.model.c.id == model_id).with_for_update()
    return session.execute(q).first()


def mark_model_used(session: Session, model_id: int) -> None:
    session.execute(update(m.model).where(m.model.c.id == model_id).values(used=True))


# --- accounts -----------------------------------------------------------------------------


def upsert_account(
    session: Session,
    *,
    year: int,
    hsa_id: str,
    costs_ore: int,
    other_revenue_ore: int,
    targeted_grants_ore: int,
    actor: str,
) -> dict[str, int] | None:
    """Insert or replace; returns the previous amounts (öre), if any, for the audit row."""
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
    return {
        "costs_ore": old.costs_ore,
        "other_revenue_ore": old.other_revenue_ore,
        "targeted_grants_ore": old.targeted_grants_ore,
    }


def get_account(session: Session, year: int, hsa_id: str) -> Row[Any] | None:
    t = m.account
    return session.execute(select(t).where(t.c.year == year, t.c.hsa_id == hsa_id)).first()


def list_accounts(session: Session, year: int, hsa_ids: list[str] | None = None) -> list[Row[Any]]:
    t = m.account
    q = select(t).where(t.c.year == year)
    if hsa_ids is not None:
        q = q.where(t.c.hsa_id.in_(hsa_ids))
    return list(session.execute(q.order_by(t.c.hsa_id)))


# --- settlements --------------------------------------------------------------------------


def latest_settlement(session: Session, year: int, care_type: str) -> Row[Any] | None:
    t = m.settlement
    return session.execute(
        select(t)
        .where(t.c.year == year, t.c.care_type == care_type)
        .order_by(t.c.version.desc())
        .limit(1)
    ).first()


def insert_settlement(
    session: Session,
    *,
    header: dict[str, Any],
    periods: list[dict[str, Any]],
    units: list[dict[str, Any]],
    scopes: list[dict[str, Any]],
    scope_units: list[dict[str, Any]],
) -> int:
    """Write one settlement version with every input and step. `units` carry `revenue` lists."""
    sid = int(
        session.execute(
            m.settlement.insert().values(**header).returning(m.settlement.c.id)
        ).scalar_one()
    )
    for p in periods:
        session.execute(m.settlement_period.insert().values(settlement_id=sid, **p))
    for u in units:
        revenue = u.pop("revenue")
        uid = session.execute(
            m.settlement_unit.insert()
            .values(settlement_id=sid, **u)
            .returning(m.settlement_unit.c.id)
        ).scalar_one()
        for r in revenue:
            session.execute(m.settlement_revenue.insert().values(settlement_unit_id=uid, **r))
    for s in scopes:
        session.execute(m.settlement_scope.insert().values(settlement_id=sid, **s))
    for su in scope_units:
        session.execute(m.settlement_scope_unit.insert().values(settlement_id=sid, **su))
    return sid


def _provider_concerned(hsa_ids: frozenset[str]) -> Any:
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


def settlement_by_id(session: Session, settlement_id: int) -> Row[Any]:
    return session.execute(select(m.settlement).where(m.settlement.c.id == settlement_id)).one()


def visible_settlements(
    session: Session,
    vis: Visibility,
    *,
    year: int,
    care_type: str | None = None,
    version: int | None = None,
) -> list[Row[Any]]:
    """Settlement headers the reader may see: a given version, else the newest per care type."""
    s = m.settlement
    if vis.view == "none" or (vis.view == "provider" and not vis.hsa_ids):
        return []
    q = select(s).where(s.c.year == year)
    if care_type is not None:
        q = q.where(s.c.care_type == care_type)
    if version is not None:
        q = q.where(s.c.version == version)
    else:
        newest = (
            select(s.c.care_type, func.max(s.c.version).label("v"))
            .where(s.c.year == year)
            .group_by(s.c.care_type)
            .subquery()
        )
        q = q.join(newest, (newest.c.care_type == s.c.care_type) & (newest.c.v == s.c.version))
    if vis.view == "provider":
        q = q.where(_provider_concerned(vis.hsa_ids))
    return list(session.execute(q.order_by(s.c.care_type)))


def settlement_parts(
    session: Session, settlement_id: int, vis: Visibility
) -> dict[str, list[Row[Any]]]:
    """The rows under a settlement that the reader may see; totals-only readers get none."""
    parts: dict[str, list[Row[Any]]] = {
        "periods": [],
        "units": [],
        "revenue": [],
        "scopes": [],
        "scope_units": [],
    }
    if vis.view not in ("full", "provider"):
        return parts
    parts["periods"] = list(
        session.execute(
            select(m.settlement_period)
            .where(m.settlement_period.c.settlement_id == settlement_id)
            .order_by(m.settlement_period.c.period)
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
    parts["units"] = list(session.execute(uq.order_by(u.c.municipality_code, u.c.hsa_id)))
    unit_ids = [r.id for r in parts["units"]]
    if unit_ids:
        r = m.settlement_revenue
        parts["revenue"] = list(
            session.execute(
                select(r).where(r.c.settlement_unit_id.in_(unit_ids)).order_by(r.c.period)
            )
        )
    parts["scope_units"] = list(session.execute(suq.order_by(su.c.scope, su.c.id)))
    sc = m.settlement_scope
    scq = select(sc).where(sc.c.settlement_id == settlement_id)
    if vis.view == "provider":
        scq = scq.where(sc.c.scope.in_(sorted({r.scope for r in parts["scope_units"]})))
    parts["scopes"] = list(session.execute(scq.order_by(sc.c.scope)))
    return parts
