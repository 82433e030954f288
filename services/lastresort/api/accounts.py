"""A designated unit's annual accounts: the inputs of a deficit-capped settlement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from sqlalchemy import Row

from services.lastresort.api.deps import (
    AuditDep,
    ReadSessionDep,
    RequestId,
    SessionDep,
    account_readers,
    admin_only,
)
from services.lastresort.db import repository as repo
from shared.auth import Principal
from shared.errors import NotFound
from shared.money import from_ore, to_ore
from shared.schemas.common import HsaId
from shared.schemas.lastresort import Account, AccountIn, AccountList

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
Year = Annotated[int, Path(ge=2000, le=2100)]
UnitId = Annotated[HsaId, Path()]


def _out(r: Row[Any]) -> Account:
    return Account(
        year=r.year,
        hsa_id=r.hsa_id,
        costs_sek=from_ore(r.costs_ore),
        other_revenue_sek=from_ore(r.other_revenue_ore),
        targeted_grants_sek=from_ore(r.targeted_grants_ore),
        updated_at=repo.aware(r.updated_at),
    )


@router.put("/{year}/{hsa_id}", response_model=Account)
def put_account(
    year: Year,
    hsa_id: UnitId,
    body: AccountIn,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestId,
    principal: Annotated[Principal, Depends(admin_only)],
) -> Account:
    """Store (or replace) the unit's accounts for the year; settlements copy what they used."""
    with session.begin():
        previous = repo.upsert_account(
            session,
            year=year,
            hsa_id=hsa_id,
            costs_ore=to_ore(body.costs_sek),
            other_revenue_ore=to_ore(body.other_revenue_sek),
            targeted_grants_ore=to_ore(body.targeted_grants_sek),
            actor=principal.sub,
        )
        audit.record(
            session,
            principal=principal,
            action="account.put",
            entity_type="account",
            entity_id=f"{year}/{hsa_id}",
            request_id=rid,
            details={"previous": previous},
        )
    row = repo.get_account(session, year, hsa_id)
    session.rollback()
    assert row is not None
    return _out(row)


@router.get("/{year}", response_model=AccountList, dependencies=[Depends(account_readers)])
def list_accounts(year: Year, session: ReadSessionDep) -> AccountList:
    """Every unit's accounts for the year."""
    rows = repo.list_accounts(session, year)
    session.rollback()
    return AccountList(year=year, accounts=[_out(r) for r in rows])


@router.get("/{year}/{hsa_id}", response_model=Account, dependencies=[Depends(account_readers)])
def get_account(year: Year, hsa_id: UnitId, session: ReadSessionDep) -> Account:
    """One unit's accounts for the year (404 when none are stored)."""
    row = repo.get_account(session, year, hsa_id)
    session.rollback()
    if row is None:
        raise NotFound(f"no {year} accounts for unit {hsa_id}")
    return _out(row)
