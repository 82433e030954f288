"""FastAPI dependencies every service uses: sessions, the audit log, the request id.

They read the service's context (`shared.app.ServiceContext`, put there by build_service).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from shared.audit import AuditLog
from shared.context import ServiceContext, context_of


def _context(request: Request) -> ServiceContext:
    return context_of(request.app, ServiceContext)


def get_session(request: Request) -> Iterator[Session]:
    """A session for a request that may write (on SQLite it begins as a writer)."""
    yield from _context(request).db.session()


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for a request that only reads (on SQLite it does not wait for writers)."""
    with _context(request).db.read_sessionmaker() as session:
        yield session


def get_sessions(request: Request) -> sessionmaker[Session]:
    return _context(request).db.sessionmaker


async def get_read_sessions(request: Request) -> sessionmaker[Session]:
    """Read-only sessions that the route opens itself.

    A generator dependency costs two extra threadpool hops per request, which dominate a
    hot read path such as statement fetch.
    """
    return _context(request).db.read_sessionmaker


def get_audit(request: Request) -> AuditLog:
    return _context(request).audit


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
ReadSessionsDep = Annotated[sessionmaker[Session], Depends(get_read_sessions)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
RequestIdDep = Annotated[str | None, Depends(request_id)]
