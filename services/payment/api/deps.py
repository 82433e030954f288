"""Dependencies of the payment routes: the service's context, sessions, the listing reader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.payment.listing import ListingReader
from shared.context import ServiceContext, context_of
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
    "PaymentContext",
    "ReadSessionsDep",
    "RequestIdDep",
    "SessionDep",
    "SessionsDep",
    "get_listing",
    "get_session",
]


@dataclass(kw_only=True)
class PaymentContext(ServiceContext):
    """The payment service's state: the shared parts and its one peer, the listing service."""

    listing: ListingReader


def get_listing(request: Request) -> ListingReader:
    return context_of(request.app, PaymentContext).listing


ListingDep = Annotated[ListingReader, Depends(get_listing)]
