"""Settlements: compute, store as versions, and show every input and step."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.lastresort import service
from services.lastresort.api import render
from services.lastresort.api.deps import (
    AdminOnly,
    AuditDep,
    FinanceApprover,
    PeersDep,
    ReadSessionDep,
    RequestId,
    SessionDep,
    SettlementReaders,
    TodayDep,
    Version,
    Year,
)
from services.lastresort.api.schemas import (
    ApprovedSettlement,
    ApprovedSettlementList,
    ApprovedSettlementResult,
)
from shared.errors import Unprocessable
from shared.openapi import problem_responses
from shared.schemas.common import CareType
from shared.schemas.lastresort import SettlementRequest

router = APIRouter(prefix="/v1/settlements", tags=["settlements"])
_POST_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "model": ApprovedSettlementResult,
        "description": "A new version was stored.",
        "headers": {
            "Location": {
                "description": "where this version is read",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    },
    **problem_responses(409, 502),
}


def location(*, year: int, care_type: CareType, version: int) -> str:
    """Where a stored settlement version is read (GET /v1/settlements/{year})."""
    return f"{router.prefix}/{year}?care_type={care_type.value}&version={version}"


@router.post("", response_model=ApprovedSettlementResult, responses=_POST_RESPONSES)
def post_settlement(
    body: SettlementRequest,
    session: SessionDep,
    audit: AuditDep,
    peers: PeersDep,
    rid: RequestId,
    response: Response,
    today: TodayDep,
    principal: AdminOnly,
) -> ApprovedSettlementResult:
    """Compute the year's settlement for a care type, `calculated` until approved. New inputs
    make a new version (201) and keep the old ones; identical inputs store nothing and answer
    the newest version (200). Neutrality counts on the count dates of the year's twelve
    approved payment runs, each as known at its run's moment. Refused (409) before 1 January of
    the next year (the business date; the answer says from when), without designations, an
    approved model, accounts, or an approved payment run for every period (needed by a
    deficit and by neutrality), and when a figure would exceed what an amount carries
    (10^12 SEK); a peer away is 503, a peer answering outside its contract 502. Nothing is
    stored then."""
    outcome = service.settle(
        session=session,
        audit=audit,
        peers=peers,
        principal=principal,
        request_id=rid,
        year=body.year,
        care_type=body.care_type,
        today=today,
    )
    rendered = render.settlement(outcome.stored)
    response.status_code = 201 if outcome.created else 200
    if outcome.created:
        response.headers["Location"] = location(
            year=rendered.year, care_type=rendered.care_type, version=rendered.version
        )
    detail = (
        f"stored as version {rendered.version}"
        if outcome.created
        else f"inputs are identical to version {rendered.version}: no new version was stored"
    )
    return ApprovedSettlementResult(
        **rendered.model_dump(), new_version=outcome.created, detail=detail
    )


@router.post(
    "/{year}/versions/{version}/approve",
    response_model=ApprovedSettlement,
    responses=problem_responses(404, 409),
)
def approve_settlement(
    year: Year,
    version: Annotated[Version, Path()],
    care_type: Annotated[CareType, Query()],
    session: SessionDep,
    audit: AuditDep,
    rid: RequestId,
    principal: FinanceApprover,
) -> ApprovedSettlement:
    """Approve the newest version of the year's settlement for a care type (four eyes): refused
    (403) to the one who made it, 409 when approved already or superseded by a newer version,
    404 when there is no such version. From then on providers read it."""
    approved = service.approve_settlement(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        year=year,
        care_type=care_type,
        version=version,
    )
    return render.settlement(approved)


@router.get("/{year}", response_model=ApprovedSettlementList)
def get_settlements(
    year: Year,
    session: ReadSessionDep,
    principal: SettlementReaders,
    care_type: Annotated[CareType | None, Query()] = None,
    version: Annotated[Version | None, Query()] = None,
) -> ApprovedSettlementList:
    """The newest settlement per care type (or the given version). Region admins and finance see
    everything; ops see totals only; a provider sees only approved settlements concerning its
    own units (the newest approved version), only those units' rows, and the rate, totals and
    region counts of the scopes they are in."""
    if version is not None and care_type is None:
        raise Unprocessable(
            "version needs care_type",
            errors=[{"field": "version", "message": "give care_type too"}],
        )
    found = service.settlements(
        session=session, principal=principal, year=year, care_type=care_type, version=version
    )
    return ApprovedSettlementList(year=year, settlements=[render.settlement(s) for s in found])
