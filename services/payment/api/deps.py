"""Dependencies of the payment routes: the service's context, its listing client, the roles.

Each route's roles are one of the aliases below, declared once here (the roles-table test
reads them from the routes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.payment.clients import ListingClient
from shared.auth import Principal, Role, require_roles
from shared.context import ServiceContext, context_of
from shared.deps import AuditDep, ReadSessionsDep, RequestIdDep, SessionsDep

__all__ = [
    "AdminOnly",
    "AuditDep",
    "FinanceApprover",
    "ListingDep",
    "ModelReaders",
    "PaymentContext",
    "ReadSessionsDep",
    "RequestIdDep",
    "RunReaders",
    "SessionsDep",
    "Simulators",
    "StatementReaders",
    "get_listing",
]


@dataclass(kw_only=True)
class PaymentContext(ServiceContext):
    """The payment service's state: the shared parts and its one peer, the listing service."""

    listing: ListingClient


def get_listing(request: Request) -> ListingClient:
    return context_of(request.app, PaymentContext).listing


ListingDep = Annotated[ListingClient, Depends(get_listing)]

# Who may call what. ops reads the region's models and run totals, never a unit's statement;
# a provider reads only its own units' statements of approved runs (decided in the query).
AdminOnly = Annotated[Principal, Depends(require_roles(Role.region_admin))]
FinanceApprover = Annotated[Principal, Depends(require_roles(Role.finance_approver))]
ModelReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.ops, Role.service)),
]
RunReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.ops, Role.service)),
]
StatementReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.provider, Role.service)),
]
Simulators = Annotated[Principal, Depends(require_roles(Role.region_admin, Role.finance_approver))]
