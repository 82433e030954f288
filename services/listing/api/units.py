"""Care units: the region's health centres and dental clinics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from services.listing import service
from services.listing.api.deps import (
    AdminOrService,
    AuditDep,
    ReadSessionDep,
    RegionDep,
    RequestIdDep,
    SessionDep,
    UnitReaders,
)
from services.listing.api.schemas import UnitIn
from shared.patterns import HSA_ID_MAX_LENGTH, HSA_ID_PATTERN
from shared.schemas.listing import Unit

router = APIRouter(prefix="/v1/units", tags=["units"])
HsaPath = Annotated[str, Path(pattern=HSA_ID_PATTERN, max_length=HSA_ID_MAX_LENGTH)]
CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Created",
        "model": Unit,
        "headers": {
            "Location": {
                "description": "the new unit: GET /v1/units/{hsa_id}",
                "schema": {"type": "string"},
                "required": True,
            }
        },
    }
}


@router.get("", response_model=list[Unit])
def list_units(_p: UnitReaders, session: ReadSessionDep) -> list[Unit]:
    """Every unit (units are not person data, so providers may read them too)."""
    return service.list_units(session=session)


@router.get("/{hsa_id}", response_model=Unit)
def get_unit(hsa_id: HsaPath, _p: UnitReaders, session: ReadSessionDep) -> Unit:
    """One unit."""
    return service.get_unit(session=session, hsa_id=hsa_id)


@router.put("/{hsa_id}", response_model=Unit, responses=CREATED)
def put_unit(
    hsa_id: HsaPath,
    body: UnitIn,
    principal: AdminOrService,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
    region: RegionDep,
    response: Response,
) -> Unit:
    """Create or update a unit (201 with its Location when created); its municipality must lie
    in the region (422 naming municipality_code otherwise)."""
    saved, created = service.save_unit(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        region=region,
        hsa_id=hsa_id,
        data=body,
    )
    if created:
        response.status_code = 201
        response.headers["Location"] = f"{router.prefix}/{hsa_id}"
    return saved
