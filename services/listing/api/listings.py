"""Listings: change who a resident is listed with, read a person's history, place defaults."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.listing.api.deps import AuditDep, RequestIdDep, SessionDep
from services.listing.api.schemas import (
    DefaultsIn,
    DefaultsOut,
    History,
    ListingIn,
    ListingOut,
    PersonRef,
)
from services.listing.db import listings as repo
from services.listing.db.clock import as_utc, change_moment
from services.listing.db.defaults import assign_defaults
from shared.auth import Principal, Role, require_roles

router = APIRouter(prefix="/v1/listings", tags=["listings"])
Writer = Annotated[Principal, Depends(require_roles(Role.region_admin, Role.service))]
PersonReader = Annotated[Principal, Depends(require_roles(Role.region_admin))]


def _out(row: repo.ListingRow) -> ListingOut:
    return ListingOut(
        hsa_id=row.hsa_id,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        reason=row.reason,
        special_reason=row.special_reason,
        recorded_at=as_utc(row.recorded_at),
    )


@router.post("", status_code=201, response_model=ListingOut)
def create_listing(
    body: ListingIn, principal: Writer, session: SessionDep, audit: AuditDep, rid: RequestIdDep
) -> ListingOut:
    """List a resident from valid_from; the current listing ends the day before."""
    with session.begin():
        row = repo.create_listing(
            session,
            personnummer=body.personnummer,
            hsa_id=body.hsa_id,
            valid_from=body.valid_from,
            reason=body.reason.value,
            special_reason=body.special_reason,
            now=change_moment(session),
        )
        audit.record(
            session,
            principal=principal,
            action="listing.create",
            entity_type="listing",
            entity_id=body.hsa_id,
            personnummer=body.personnummer,
            request_id=rid,
            details={
                "valid_from": body.valid_from,
                "reason": body.reason.value,
                "special_reason": body.special_reason,
            },
        )
    return _out(row)


@router.post("/history", response_model=History)
def listing_history(
    body: PersonRef,
    principal: PersonReader,
    session: SessionDep,
    audit: AuditDep,
    rid: RequestIdDep,
) -> History:
    """A person's listings, oldest first (optionally as known at a past moment)."""
    with session.begin():
        who = repo.find_person(session, body.personnummer)
        at = as_utc(body.as_known_at) if body.as_known_at else None
        rows = repo.history(session, who.id, at)
        audit.record(
            session,
            principal=principal,
            action="listing.history",
            entity_type="person",
            personnummer=body.personnummer,
            request_id=rid,
            details={"as_known_at": at} if at else None,
        )
    return History(listings=[_out(r) for r in rows])


@router.post("/assign-defaults", response_model=DefaultsOut)
def assign_default_listings(
    body: DefaultsIn, principal: Writer, session: SessionDep, audit: AuditDep, rid: RequestIdDep
) -> DefaultsOut:
    """Place every unlisted resident at the nearest active primary-care unit on the date."""
    with session.begin():
        assigned = assign_defaults(session, on=body.date, now=change_moment(session))
        audit.record(
            session,
            principal=principal,
            action="listing.assign_defaults",
            entity_type="listing",
            request_id=rid,
            details={"date": body.date, "assigned": assigned},
        )
    return DefaultsOut(assigned=assigned)
