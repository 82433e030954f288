"""Care units: the region's health centres and dental clinics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.listing import service
from services.listing.api.deps import (
    AdminOrService,
    AuditDep,
    RegionDep,
    RequestIdDep,
    SessionDep,
    SnapshotSessionDep,
    TodayDep,
    UnitClosers,
    UnitReaders,
)
from services.listing.api.schemas import CloseIn, CloseOut, Receiver, UnitIn
from shared.openapi import problem_responses
from shared.patterns import HSA_ID_MAX_LENGTH, HSA_ID_PATTERN
from shared.schemas.listing import Unit
from shared.values import Moment, RecordDate

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
def list_units(
    _p: UnitReaders,
    session: SnapshotSessionDep,
    today: TodayDep,
    date: Annotated[RecordDate | None, Query(description="default: the business date")] = None,
    as_known_at: Annotated[Moment | None, Query(description="default: now")] = None,
) -> list[Unit]:
    """Every unit as it was on `date` as known at `as_known_at` (units are not person data,
    so providers may read them too); a unit known then answers on every date."""
    return service.list_units(session=session, on=date or today, as_known_at=as_known_at)


@router.get("/{hsa_id}", response_model=Unit, responses=problem_responses(404))
def get_unit(
    hsa_id: HsaPath,
    _p: UnitReaders,
    session: SnapshotSessionDep,
    today: TodayDep,
    date: Annotated[RecordDate | None, Query(description="default: the business date")] = None,
    as_known_at: Annotated[Moment | None, Query(description="default: now")] = None,
) -> Unit:
    """One unit as on `date` as known at `as_known_at`; its body can be PUT back unchanged."""
    return service.get_unit(
        session=session, hsa_id=hsa_id, on=date or today, as_known_at=as_known_at
    )


@router.put("/{hsa_id}", response_model=Unit, responses={**CREATED, **problem_responses(409)})
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
    """Create or update a unit (201 with its Location when created) from `effective_from` on,
    or for its whole life when omitted; answers it as on that day. Its municipality must lie
    in the region (422 naming municipality_code otherwise). Setting an active_to that current
    listings stay open after is 409: POST /v1/units/{hsa_id}/close moves them. A PUT that
    changes nothing records nothing."""
    saved, created = service.save_unit(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        region=region,
        hsa_id=hsa_id,
        body_hsa_id=body.hsa_id,
        data=body.attributes(),
        effective_from=body.effective_from,
    )
    if created:
        response.status_code = 201
        response.headers["Location"] = f"{router.prefix}/{hsa_id}"
    return saved


@router.post("/{hsa_id}/close", response_model=CloseOut, responses=problem_responses(404, 409))
def close_unit(
    hsa_id: HsaPath,
    body: CloseIn,
    principal: UnitClosers,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> CloseOut:
    """End the unit after `last_day` and move everyone listed there after it to the nearest
    primary-care unit active the next day (the default rule), reason closure, in one
    transaction. Answers how many moved to which units (never persons). 409 when the unit
    already ends by then, last_day is before it opened, or someone has no unit to move to."""
    closed = service.close_unit(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        hsa_id=hsa_id,
        last_day=body.last_day,
    )
    return CloseOut(
        hsa_id=closed.hsa_id,
        last_day=closed.last_day,
        moved=closed.moved,
        to=[Receiver(hsa_id=h, persons=n) for h, n in closed.to],
    )
