"""Listings: change who a resident is listed with, read one listing or a person's history,
place defaults."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.listing import service
from services.listing.api.deps import (
    AdminOnly,
    AdminOrService,
    AuditDep,
    RegionDep,
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
    StoredListingOut,
)
from services.listing.db.listings import ListingRecord
from shared.openapi import problem_responses
from shared.values import INT64_MAX

router = APIRouter(prefix="/v1/listings", tags=["listings"])
# A listing row's id: the database's 64-bit key.
ListingPath = Annotated[int, Path(ge=1, le=INT64_MAX)]
LOCATION = {
    "Location": {
        "description": "the new listing: GET /v1/listings/{listing_id}",
        "schema": {"type": "string"},
        "required": True,
    }
}


def _out(row: ListingRecord) -> ListingOut:
    return ListingOut(
        listing_id=row.listing_id,
        hsa_id=row.hsa_id,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        reason=row.reason,
        special_reason=row.special_reason,
        recorded_at=row.recorded_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=ListingOut,
    responses={201: {"headers": LOCATION}, **problem_responses(404, 409)},
)
def create_listing(
    body: ListingIn,
    principal: AdminOrService,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
    response: Response,
) -> ListingOut:
    """List a resident from valid_from; the current listing ends the day before. 404 when the
    person or unit is not known, 409 when a listing rule refuses the change."""
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
    response.headers["Location"] = f"{router.prefix}/{row.listing_id}"
    return _out(row)


@router.get("/{listing_id}", response_model=StoredListingOut)
def get_listing(
    listing_id: ListingPath,
    principal: AdminOrService,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> StoredListingOut:
    """One listing row as recorded (also a superseded one), with whom it is for; audited. The
    change feed names listings by id: a peer service (or the region) resolves them here."""
    found = service.get_listing(
        session=session, audit=audit, principal=principal, request_id=rid, listing_id=listing_id
    )
    return StoredListingOut(
        **_out(found.listing).model_dump(),
        personnummer=found.personnummer,
        superseded_at=found.superseded_at,
    )


@router.post("/history", response_model=History, responses=problem_responses(404))
def listing_history(
    body: PersonRef,
    principal: AdminOnly,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> History:
    """A person's listings, oldest first (optionally as known at a past moment); 404 when the
    person is not in the register."""
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
    region: RegionDep,
) -> DefaultsOut:
    """Place every unlisted resident of the region at the nearest active primary-care unit on
    the date (residents of other regions are listed by their own region, never here)."""
    assigned = service.assign_defaults(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        region=region,
        on=body.date,
    )
    return DefaultsOut(assigned=assigned)
