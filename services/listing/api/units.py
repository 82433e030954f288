"""Care units: the region's health centres and dental clinics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from services.listing.api.deps import AuditDep, ReadSessionDep, RequestIdDep, SessionDep
from services.listing.db import units as repo
from shared.auth import Principal, Role, require_roles
from shared.errors import NotFound
from shared.schemas.listing import Unit, UnitIn

router = APIRouter(prefix="/v1/units", tags=["units"])
HsaPath = Annotated[str, Path(pattern=r"^SE\d{10}-[0-9A-Za-z]{1,31}$", max_length=64)]
Reader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.region_admin, Role.ops, Role.service, Role.provider, Role.finance_approver
        )
    ),
]
Writer = Annotated[Principal, Depends(require_roles(Role.region_admin, Role.service))]


@router.get("", response_model=list[Unit])
def list_units(_p: Reader, session: ReadSessionDep) -> list[Unit]:
    """Every unit (units are not person data, so providers may read them too)."""
    return repo.list_units(session)


@router.get("/{hsa_id}", response_model=Unit)
def get_unit(hsa_id: HsaPath, _p: Reader, session: ReadSessionDep) -> Unit:
    """One unit."""
    found = repo.get_unit(session, hsa_id)
    if found is None:
        raise NotFound(f"unit {hsa_id} is not known")
    return found


@router.put("/{hsa_id}", response_model=Unit)
def put_unit(
    hsa_id: HsaPath,
    body: UnitIn,
    principal: Writer,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
    response: Response,
) -> Unit:
    """Create or update a unit (201 when created)."""
    with session.begin():
        saved, created = repo.upsert_unit(session, hsa_id, body)
        action = "unit.create" if created else "unit.update"
        audit.record(
            session,
            principal=principal,
            action=action,
            entity_type="unit",
            entity_id=hsa_id,
            request_id=rid,
            details=body.model_dump(mode="json"),
        )
    response.status_code = 201 if created else 200
    return saved
