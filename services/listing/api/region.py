"""The region the service serves and its municipalities: reference data every service reads."""

from __future__ import annotations

from fastapi import APIRouter

from services.listing import service
from services.listing.api.deps import ReadSessionDep, RegionDep, UnitReaders
from shared.schemas.listing import Region

router = APIRouter(prefix="/v1/region", tags=["region"])


@router.get("", response_model=Region)
def get_region(_p: UnitReaders, session: ReadSessionDep, region: RegionDep) -> Region:
    """The region (REGION_CODE: its county codes, or SE for Sweden) and its municipalities from
    SCB's list; not person data, so every role that reads units reads it."""
    return service.read_region(session=session, region=region)
