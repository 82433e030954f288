"""Request-scoped dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.listing.db.models import audit_head, audit_log
from shared.audit import AuditLog
from shared.db import Database


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    yield from db.session()


def get_audit(request: Request) -> AuditLog:
    return AuditLog(audit_log, audit_head, request.app.state.settings.hash_key)


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


DbDep = Annotated[Database, Depends(get_db)]
SessionDep = Annotated[Session, Depends(get_session)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
RequestIdDep = Annotated[str | None, Depends(request_id)]
