"""Settlements: compute, store as versions, and show every input and step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.lastresort import settle
from services.lastresort.api.deps import (
    AuditDep,
    PeersDep,
    ReadSessionDep,
    RequestId,
    SessionDep,
    admin_only,
    settlement_readers,
)
from services.lastresort.db import repository as repo
from shared.auth import Principal
from shared.errors import NotFound, Unprocessable
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
    principal: Annotated[Principal, Depends(admin_only)],
) -> SettlementResult:
    """Compute the year's settlement for a care type. New inputs make a new version (201) and keep
    the old ones; identical inputs store nothing and answer the newest version (200). Refused
    (409) without designations, a model, accounts, or an approved payment run for every period."""
    computed = settle.compute(session, peers, year=body.year, care_type=body.care_type)
    with session.begin():
        sid, created = settle.store(
            session,
            computed,
            year=body.year,
            care_type=body.care_type,
            principal=principal,
            audit=audit,
            request_id=rid,
        )
        # Read back in the same transaction, by id: a newer version stored by someone else
        # in the meantime must not replace the one this request answers for.
        rendered = settle.render(
            session, repo.settlement_by_id(session, sid), repo.Visibility("full")
        )
    response.status_code = 201 if created else 200
    detail = (
        f"stored as version {rendered.version}"
        if created
        else f"inputs are identical to version {rendered.version}: no new version was stored"
    )
    return SettlementResult(**rendered.model_dump(), new_version=created, detail=detail)


@router.get("/{year}", response_model=SettlementList, dependencies=[Depends(provider_rate_limit)])
def get_settlements(
    year: Annotated[int, Path(ge=2000, le=2100)],
    session: ReadSessionDep,
    principal: Annotated[Principal, Depends(settlement_readers)],
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
    vis = repo.Visibility.for_principal(principal)
    headers = repo.visible_settlements(
        session, vis, year=year, care_type=care_type.value if care_type else None, version=version
    )
    settlements = [settle.render(session, h, vis) for h in headers]
    session.rollback()
    if not settlements:
        raise NotFound(f"no settlement for {year} that this caller may read")
    return SettlementList(year=year, settlements=settlements)
