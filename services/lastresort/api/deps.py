"""Request-scoped dependencies: the context's parts, the role aliases and the year parameter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import Field

from services.lastresort.clients import Peers
from services.lastresort.settings import LastResortConfig
from shared.auth import Principal, Role, require_roles
from shared.clock import business_today
from shared.context import ServiceContext, context_of
from shared.deps import AuditDep, ReadSessionDep, SessionDep, get_session
from shared.deps import RequestIdDep as RequestId
from shared.values import INT32_MAX
from shared.values import Year as YearValue

__all__ = [
    "AccountReaders",
    "AdminOnly",
    "AuditDep",
    "FinanceApprover",
    "LastResortContext",
    "PeersDep",
    "ReadSessionDep",
    "ReferenceReaders",
    "RequestId",
    "SessionDep",
    "SettlementReaders",
    "TodayDep",
    "Version",
    "Year",
    "get_session",
]


@dataclass(kw_only=True)
class LastResortContext(ServiceContext):
    """The last-resort service's state: the shared parts, its peers' clients and its
    configuration."""

    peers: Peers
    config: LastResortConfig


def get_peers(request: Request) -> Peers:
    return context_of(request.app, LastResortContext).peers


def get_today(request: Request) -> dt.date:
    """The business date (HALSOVAL_TODAY, else today in Europe/Stockholm)."""
    return business_today(context_of(request.app, LastResortContext).settings)


PeersDep = Annotated[Peers, Depends(get_peers)]
TodayDep = Annotated[dt.date, Depends(get_today)]

# The years a designation, model, account or settlement may be for (2000..2100).
Year = Annotated[YearValue, Path()]
# A stored version number: from 1 up to what the database's integer column holds.
Version = Annotated[int, Field(ge=1, le=INT32_MAX)]

# Who may do what (the roles table in the docs is read from these).
AdminOnly = Annotated[Principal, Depends(require_roles(Role.region_admin))]
ReferenceReaders = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.region_admin, Role.finance_approver, Role.ops, Role.service, Role.provider
        )
    ),
]
FinanceApprover = Annotated[Principal, Depends(require_roles(Role.finance_approver))]
AccountReaders = Annotated[
    Principal, Depends(require_roles(Role.region_admin, Role.finance_approver))
]
SettlementReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.ops, Role.provider)),
]
