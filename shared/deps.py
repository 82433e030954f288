"""FastAPI dependencies every service uses: sessions, the audit log, the request id.

They read what each service's create_app puts on app.state: `db` (a shared.db.Database)
and `audit` (a shared.audit.AuditLog).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from shared.audit import AuditLog


def get_session(request: Request) -> Iterator[Session]:
    """A session for a request that may write (on SQLite it begins as a writer)."""
    yield from request.app.state.db.session()


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for a request that only reads (on SQLite it does not wait for writers)."""
    with request.app.state.db.read_sessionmaker() as session:
        yield session


def get_sessions(request: Request) -> sessionmaker[Session]:
    return request.app.state.db.sessionmaker


async def get_read_sessions(request: Request) -> sessionmaker[Session]:
    """Read-only sessions that the route opens itself.

    A generator dependency costs two extra threadpool hops per request, which dominate a
    hot read path such as statement fetch.
    """
    return request.app.state.db.read_sessionmaker


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
ReadSessionsDep = Annotated[sessionmaker[Session], Depends(get_read_sessions)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
RequestIdDep = Annotated[str | None, Depends(request_id)]
