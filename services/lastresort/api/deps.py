"""Request-scoped dependencies: the database session, the audit log, the peers, the config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.lastresort.peers import Peers
from services.lastresort.settings import LastResortConfig
from shared.auth import Role, require_roles
from shared.context import ServiceContext, context_of
from shared.deps import AuditDep, ReadSessionDep, SessionDep, get_session
from shared.deps import RequestIdDep as RequestId

__all__ = [
    "AuditDep",
    "LastResortContext",
    "ConfigDep",
    "PeersDep",
    "ReadSessionDep",
    "RequestId",
    "SessionDep",
    "get_session",
]


@dataclass(kw_only=True)
class LastResortContext(ServiceContext):
    """The last-resort service's state: the shared parts, its two peers and its configuration."""

    peers: Peers
    config: LastResortConfig


def get_peers(request: Request) -> Peers:
    return context_of(request.app, LastResortContext).peers


def get_config(request: Request) -> LastResortConfig:
    return context_of(request.app, LastResortContext).config


PeersDep = Annotated[Peers, Depends(get_peers)]
ConfigDep = Annotated[LastResortConfig, Depends(get_config)]

# Who may do what (the roles table in the docs is read from these).
admin_only = require_roles(Role.region_admin)
reference_readers = require_roles(
    Role.region_admin, Role.finance_approver, Role.ops, Role.service, Role.provider
)
account_readers = require_roles(Role.region_admin, Role.finance_approver)
settlement_readers = require_roles(
    Role.region_admin, Role.finance_approver, Role.ops, Role.provider
)
