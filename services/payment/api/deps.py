"""Dependencies of the payment routes: database sessions, the listing reader, the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from services.payment.listing import ListingReader
from shared.audit import AuditLog


def get_sessions(request: Request) -> sessionmaker[Session]:
    return request.app.state.db.sessionmaker


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db.sessionmaker() as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for requests that only read (on SQLite it does not wait for writers)."""
    with request.app.state.db.read_sessionmaker() as session:
        yield session


def get_listing(request: Request) -> ListingReader:
    return request.app.state.listing


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
ListingDep = Annotated[ListingReader, Depends(get_listing)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
RequestIdDep = Annotated[str | None, Depends(request_id)]
