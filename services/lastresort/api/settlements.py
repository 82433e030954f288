"""Settlements: compute, store as versions, and show every input and step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.lastresort import service
from services.lastresort.api import render
from services.lastresort.api.deps import (
    AdminOnly,
    AuditDep,
    PeersDep,
    ReadSessionDep,
    RequestId,
    SessionDep,
    SettlementReaders,
    Year,
)
from shared.errors import Unprocessable
from shared.ratelimit import provider_rate_limit
from shared.schemas.common import CareType
from shared.schemas.lastresort import SettlementList, SettlementRequest, SettlementResult

router = APIRouter(prefix="/v1/settlements", tags=["settlements"])


@router.post("", response_model=SettlementResult)
def post_settlement(
    body: SettlementRequest,
    session: SessionDep,
    audit: AuditDep,
    peers: PeersDep,
    rid: RequestId,
    response: Response,
    principal: AdminOnly,
) -> SettlementResult:
    """Compute the year's settlement for a care type. New inputs make a new version (201) and keep
    the old ones; identical inputs store nothing and answer the newest version (200). Refused
    (409) without designations, a model, accounts, or an approved payment run for every period."""
    outcome = service.settle(
        session=session,
        audit=audit,
        peers=peers,
        principal=principal,
        request_id=rid,
        year=body.year,
        care_type=body.care_type,
    )
    rendered = render.settlement(outcome.stored)
    response.status_code = 201 if outcome.created else 200
    detail = (
        f"stored as version {rendered.version}"
        if outcome.created
        else f"inputs are identical to version {rendered.version}: no new version was stored"
    )
    return SettlementResult(**rendered.model_dump(), new_version=outcome.created, detail=detail)


@router.get("/{year}", response_model=SettlementList, dependencies=[Depends(provider_rate_limit)])
def get_settlements(
    year: Year,
    session: ReadSessionDep,
    principal: SettlementReaders,
    care_type: Annotated[CareType | None, Query()] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> SettlementList:
    """The newest settlement per care type (or the given version). Region admins and finance see
    everything; ops see totals only; a provider sees only settlements concerning its own units,
    only those units' rows, and the rate and totals of the scopes they are in."""
    if version is not None and care_type is None:
        raise Unprocessable(
            "version needs care_type",
            errors=[{"field": "version", "message": "give care_type too"}],
        )
    found = service.settlements(
        session=session, principal=principal, year=year, care_type=care_type, version=version
    )
    return SettlementList(year=year, settlements=[render.settlement(s) for s in found])
