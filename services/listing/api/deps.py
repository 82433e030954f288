"""Request-scoped dependencies of the routers: the common ones from shared.deps, the region
the service serves, and the roles of every listing route, declared once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.listing.domain.region import RegionScope
from shared.auth import Principal, Role, require_roles
from shared.clock import business_today
from shared.context import ServiceContext, context_of
from shared.deps import (
    AuditDep,
    ReadSessionDep,
    RequestIdDep,
    SessionDep,
    SessionsDep,
    get_audit,
    get_session,
    request_id,
)


@dataclass(kw_only=True)
class ListingContext(ServiceContext):
    """The listing service's state: the shared parts and the region it serves (REGION_CODE)."""

    region: RegionScope


def get_region(request: Request) -> RegionScope:
    return context_of(request.app, ListingContext).region


RegionDep = Annotated[RegionScope, Depends(get_region)]


def get_today(request: Request) -> dt.date:
    """The business date (HALSOVAL_TODAY or the date in Europe/Stockholm): a read's default."""
    return business_today(context_of(request.app, ListingContext).settings)


TodayDep = Annotated[dt.date, Depends(get_today)]

# Region administration: person-level reads (a resident's listing history).
AdminOnly = Annotated[Principal, Depends(require_roles(Role.region_admin))]
# Changes: the region, or a peer service acting for it (listings, defaults, units, register).
AdminOrService = Annotated[Principal, Depends(require_roles(Role.region_admin, Role.service))]
# Closing a unit moves its patients: the region decides that itself, no peer acts for it.
UnitClosers = Annotated[Principal, Depends(require_roles(Role.region_admin))]
# Units are not person data: every role may read them, providers included.
UnitReaders = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.region_admin, Role.ops, Role.service, Role.provider, Role.finance_approver
        )
    ),
]
# Counts are aggregates: every role may read them, a provider only for its own units.
CountReaders = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.region_admin, Role.service, Role.ops, Role.finance_approver, Role.provider
        )
    ),
]

# The change feed: no identity numbers, but who changed when is for the region and its systems.
ChangeReaders = Annotated[
    Principal, Depends(require_roles(Role.service, Role.region_admin, Role.ops))
]


def get_hash_key(request: Request) -> str:
    """The service's key for opaque person keys (settings.hash_key)."""
    return context_of(request.app, ListingContext).settings.hash_key


HashKeyDep = Annotated[str, Depends(get_hash_key)]


def get_snapshot_session(request: Request) -> Iterator[Session]:
    """A session for a read that needs one snapshot and the change-order lock (the counts).
    On SQLite a deferred read transaction, so it never waits for a writer (an import may hold
    the write lock for minutes; WAL gives the reader its snapshot). On PostgreSQL a plain
    transaction: the shared advisory lock and the snapshot last until it ends, which the
    autocommit read sessions would not give."""
    db = context_of(request.app, ServiceContext).db
    with (db.read_sessionmaker if db.is_sqlite else db.sessionmaker)() as session:
        yield session


SnapshotSessionDep = Annotated[Session, Depends(get_snapshot_session)]


def counted_units(principal: Principal) -> frozenset[str] | None:
    """The units a caller's counts are limited to, None for every unit. A provider reads only
    its own units unless it also holds a wide role or ops (which reads every unit's counts)."""
    if principal.is_provider_only and not principal.has(Role.ops):
        return principal.hsa_ids
    return None


__all__ = [
    "AdminOnly",
    "AdminOrService",
    "AuditDep",
    "ChangeReaders",
    "CountReaders",
    "HashKeyDep",
    "ListingContext",
    "ReadSessionDep",
    "RegionDep",
    "RequestIdDep",
    "SessionDep",
    "SessionsDep",
    "SnapshotSessionDep",
    "TodayDep",
    "UnitClosers",
    "UnitReaders",
    "counted_units",
    "get_audit",
    "get_hash_key",
    "get_region",
    "get_session",
    "get_snapshot_session",
    "get_today",
    "request_id",
]
