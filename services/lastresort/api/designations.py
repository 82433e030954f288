"""Designations: which region unit carries the last-resort responsibility where, each year."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import Row

from services.lastresort.api.deps import (
    AuditDep,
    ConfigDep,
    PeersDep,
    ReadSessionDep,
    RequestId,
    SessionDep,
    admin_only,
    reference_readers,
)
from services.lastresort.db import repository as repo
from services.lastresort.domain.designation import designation_problem
from shared.auth import Principal
from shared.errors import Unprocessable
from shared.ratelimit import provider_rate_limit
from shared.schemas.common import CareType, MunicipalityCode
from shared.schemas.lastresort import (
    Designation,
    DesignationIn,
    DesignationList,
    MissingDesignation,
)

router = APIRouter(prefix="/v1/designations", tags=["designations"])
Year = Annotated[int, Path(ge=2000, le=2100)]


def _out(r: Row[Any]) -> Designation:
    return Designation(
        year=r.year,
        care_type=CareType(r.care_type),
        municipality_code=r.municipality_code,
        hsa_id=r.hsa_id,
        unit_name=r.unit_name,
        updated_at=repo.aware(r.updated_at),
    )


@router.put("/{year}/{care_type}/{municipality_code}", response_model=Designation)
def put_designation(
    year: Year,
    care_type: CareType,
    municipality_code: Annotated[MunicipalityCode, Path()],
    body: DesignationIn,
    session: SessionDep,
    audit: AuditDep,
    peers: PeersDep,
    config: ConfigDep,
    rid: RequestId,
    principal: Annotated[Principal, Depends(admin_only)],
) -> Designation:
    """Name the unit carrying the responsibility: it must be a region-owned unit of the care type,
    in the municipality and active in the year, as the listing service knows it (422 otherwise)."""
    if municipality_code not in config.municipality_codes:
        raise Unprocessable(
            f"municipality {municipality_code} is not one of the region's municipalities",
            errors=[{"field": "municipality_code", "message": "not a municipality of the region"}],
        )
    unit = peers.listing.unit(body.hsa_id)
    if unit is None:
        raise Unprocessable(
            f"unit {body.hsa_id} is unknown to the listing service",
            errors=[{"field": "hsa_id", "message": "unknown unit"}],
        )
    problem = designation_problem(
        unit, year=year, care_type=care_type, municipality_code=municipality_code
    )
    if problem is not None:
        raise Unprocessable(problem, errors=[{"field": "hsa_id", "message": problem}])
    with session.begin():
        replaced = repo.upsert_designation(
            session,
            year=year,
            care_type=care_type.value,
            municipality_code=municipality_code,
            hsa_id=unit.hsa_id,
            unit_name=unit.name,
            actor=principal.sub,
        )
        audit.record(
            session,
            principal=principal,
            action="designation.put",
            entity_type="designation",
            entity_id=f"{year}/{care_type.value}/{municipality_code}",
            request_id=rid,
            details={"hsa_id": unit.hsa_id, "replaced": replaced},
        )
    rows = repo.list_designations(session, year, care_type.value)
    session.rollback()
    return next(_out(r) for r in rows if r.municipality_code == municipality_code)


@router.get(
    "/{year}",
    response_model=DesignationList,
    dependencies=[Depends(reference_readers), Depends(provider_rate_limit)],
)
def get_designations(
    year: Year,
    session: ReadSessionDep,
    config: ConfigDep,
    care_type: Annotated[CareType | None, Query()] = None,
) -> DesignationList:
    """The year's designations and, per care type, the region's municipalities without one."""
    rows = repo.list_designations(session, year, care_type.value if care_type else None)
    session.rollback()
    have = {(r.care_type, r.municipality_code) for r in rows}
    types = [care_type] if care_type else list(CareType)
    missing = [
        MissingDesignation(care_type=t, municipality_code=code)
        for t in types
        for code in config.municipality_codes
        if (t.value, code) not in have
    ]
    return DesignationList(year=year, designations=[_out(r) for r in rows], missing=missing)
