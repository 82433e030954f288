"""Request-scoped dependencies: the database session, the audit log, the peers, the config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.lastresort.peers import Peers
from services.lastresort.settings import LastResortConfig
from shared.audit import AuditLog
from shared.auth import Role, require_roles
from shared.db import Database


def get_session(request: Request) -> Iterator[Session]:
    db: Database = request.app.state.db
    with db.sessionmaker() as session:
        yield session


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit


def get_peers(request: Request) -> Peers:
    return request.app.state.peers


def get_config(request: Request) -> LastResortConfig:
    return request.app.state.config


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


SessionDep = Annotated[Session, Depends(get_session)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
PeersDep = Annotated[Peers, Depends(get_peers)]
ConfigDep = Annotated[LastResortConfig, Depends(get_config)]
RequestId = Annotated[str | None, Depends(request_id)]

# Who may do what (the roles table in the docs is read from these).
admin_only = require_roles(Role.region_admin)
reference_readers = require_roles(
    Role.region_admin, Role.finance_approver, Role.ops, Role.service, Role.provider
)
account_readers = require_roles(Role.region_admin, Role.finance_approver)
settlement_readers = require_roles(
    Role.region_admin, Role.finance_approver, Role.ops, Role.provider
)
