"""Request-scoped dependencies shared by the routers (the common ones live in shared.deps)."""

from shared.deps import (
    AuditDep,
    ReadSessionDep,
    RequestIdDep,
    SessionDep,
    get_audit,
    get_session,
    request_id,
)

__all__ = [
    "AuditDep",
    "ReadSessionDep",
    "RequestIdDep",
    "SessionDep",
    "get_audit",
    "get_session",
    "request_id",
]
