"""Dependencies of the payment routes: database sessions, the listing reader, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.payment.listing import ListingReader
from shared.deps import (
    AuditDep,
    ReadSessionsDep,
    RequestIdDep,
    SessionDep,
    SessionsDep,
    get_session,
)

__all__ = [
    "AuditDep",
    "ListingDep",
    "ReadSessionsDep",
    "RequestIdDep",
    "SessionDep",
    "SessionsDep",
    "get_listing",
    "get_session",
]


def get_listing(request: Request) -> ListingReader:
    return request.app.state.listing


ListingDep = Annotated[ListingReader, Depends(get_listing)]
