"""Listings: change who a resident is listed with, read a person's history, place defaults."""

from __future__ import annotations

from fastapi import APIRouter

from services.listing import service
from services.listing.api.deps import (
    AdminOnly,
    AdminOrService,
    AuditDep,
    RequestIdDep,
    SessionDep,
)
from services.listing.api.schemas import (
    DefaultsIn,
    DefaultsOut,
    History,
    ListingIn,
    ListingOut,
    PersonRef,
)
from services.listing.db.listings import ListingRecord

router = APIRouter(prefix="/v1/listings", tags=["listings"])


def _out(row: ListingRecord) -> ListingOut:
    return ListingOut(
        hsa_id=row.hsa_id,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        reason=row.reason,
        special_reason=row.special_reason,
        recorded_at=row.recorded_at,
    )


@router.post("", status_code=201, response_model=ListingOut)
def create_listing(
    body: ListingIn,
    principal: AdminOrService,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> ListingOut:
    """List a resident from valid_from; the current listing ends the day before."""
    row = service.create_listing(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        personnummer=body.personnummer,
        hsa_id=body.hsa_id,
        valid_from=body.valid_from,
        reason=body.reason,
        special_reason=body.special_reason,
    )
    return _out(row)


@router.post("/history", response_model=History)
def listing_history(
    body: PersonRef,
    principal: AdminOnly,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> History:
    """A person's listings, oldest first (optionally as known at a past moment)."""
    rows = service.listing_history(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        personnummer=body.personnummer,
        as_known_at=body.as_known_at,
    )
    return History(listings=[_out(r) for r in rows])


@router.post("/assign-defaults", response_model=DefaultsOut)
def assign_default_listings(
    body: DefaultsIn,
    principal: AdminOrService,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> DefaultsOut:
    """Place every unlisted resident at the nearest active primary-care unit on the date."""
    assigned = service.assign_defaults(
        session=session, audit=audit, principal=principal, request_id=rid, on=body.date
    )
    return DefaultsOut(assigned=assigned)
