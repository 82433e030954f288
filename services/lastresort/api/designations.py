"""Designations: which region unit carries the last-resort responsibility where, each year."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.lastresort import service
from services.lastresort.api import render
from services.lastresort.api.deps import (
    AdminOnly,
    AuditDep,
    PeersDep,
    ReadSessionDep,
    ReferenceReaders,
    RequestId,
    SessionDep,
    Year,
)
from shared.openapi import problem_responses
from shared.schemas.common import CareType, MunicipalityCode
from shared.schemas.lastresort import (
    Designation,
    DesignationIn,
    DesignationList,
    MissingDesignation,
)

router = APIRouter(prefix="/v1/designations", tags=["designations"])


@router.put(
    "/{year}/{care_type}/{municipality_code}",
    response_model=Designation,
    responses=problem_responses(409, 502),
)
def put_designation(
    year: Year,
    care_type: CareType,
    municipality_code: Annotated[MunicipalityCode, Path()],
    body: DesignationIn,
    session: SessionDep,
    audit: AuditDep,
    peers: PeersDep,
    rid: RequestId,
    principal: AdminOnly,
) -> Designation:
    """Name the unit carrying the responsibility: it must be a region-owned unit of the care type,
    in one of the region's municipalities (GET /v1/region of the listing service) and active in
    the year, as the listing service knows it (422 otherwise)."""
    stored = service.put_designation(
        session=session,
        audit=audit,
        peers=peers,
        principal=principal,
        request_id=rid,
        year=year,
        care_type=care_type,
        municipality_code=municipality_code,
        hsa_id=body.hsa_id,
    )
    return render.designation(stored)


@router.get("/{year}", response_model=DesignationList, responses=problem_responses(502))
def get_designations(
    year: Year,
    session: ReadSessionDep,
    peers: PeersDep,
    principal: ReferenceReaders,
    care_type: Annotated[CareType | None, Query()] = None,
) -> DesignationList:
    """The year's designations and, per care type, the region's municipalities (the listing
    service's GET /v1/region) without one."""
    found = service.designations(session=session, peers=peers, year=year, care_type=care_type)
    return DesignationList(
        year=year,
        designations=[render.designation(d) for d in found.designations],
        missing=[
            MissingDesignation(care_type=t, municipality_code=code) for t, code in found.missing
        ],
    )
