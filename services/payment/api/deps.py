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


async def get_read_sessions(request: Request) -> sessionmaker[Session]:
    """Sessions for requests that only read (on SQLite they do not wait for writers).

    The route opens its session itself: a generator dependency would cost two extra
    threadpool hops per request, which dominate a hot read path such as statement fetch.
    """
    return request.app.state.db.read_sessionmaker


def get_listing(request: Request) -> ListingReader:
    return request.app.state.listing


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionsDep = Annotated[sessionmaker[Session], Depends(get_read_sessions)]
ListingDep = Annotated[ListingReader, Depends(get_listing)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
RequestIdDep = Annotated[str | None, Depends(request_id)]
