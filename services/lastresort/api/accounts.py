"""A designated unit's annual accounts: the inputs of a deficit-capped settlement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.lastresort import service
from services.lastresort.api import render
from services.lastresort.api.deps import (
    AccountReaders,
    AdminOnly,
    AuditDep,
    ReadSessionDep,
    RequestId,
    SessionDep,
    Year,
)
from shared.openapi import problem_responses
from shared.schemas.common import HsaId
from shared.schemas.lastresort import Account, AccountIn, AccountList

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
UnitId = Annotated[HsaId, Path()]


@router.put("/{year}/{hsa_id}", response_model=Account, responses=problem_responses(409))
def put_account(
    year: Year,
    hsa_id: UnitId,
    body: AccountIn,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestId,
    principal: AdminOnly,
) -> Account:
    """Store (or replace) the unit's accounts for the year; settlements copy what they used."""
    stored = service.put_account(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        year=year,
        hsa_id=hsa_id,
        costs=body.costs_sek,
        other_revenue=body.other_revenue_sek,
        targeted_grants=body.targeted_grants_sek,
    )
    return render.account(stored)


@router.get("/{year}", response_model=AccountList)
def list_accounts(year: Year, session: ReadSessionDep, principal: AccountReaders) -> AccountList:
    """Every unit's accounts for the year."""
    found = service.accounts(session=session, year=year)
    return AccountList(year=year, accounts=[render.account(a) for a in found])


@router.get("/{year}/{hsa_id}", response_model=Account)
def get_account(
    year: Year, hsa_id: UnitId, session: ReadSessionDep, principal: AccountReaders
) -> Account:
    """One unit's accounts for the year (404 when none are stored)."""
    return render.account(service.account(session=session, year=year, hsa_id=hsa_id))
