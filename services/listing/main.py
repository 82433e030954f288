"""Assembles the listing service (uvicorn starts it with `--factory`).

Only assembles: migrations are the caller's job (`halsoval migrate`, tests call migrate()).
"""

from __future__ import annotations

from fastapi import FastAPI

from services.listing.api import changes, counts, listings, region, register, units
from services.listing.api.deps import ListingContext
from services.listing.db.models import audit_head, audit_log
from services.listing.settings import (
    REGISTER_IMPORT_PATH,
    SERVICE,
    ListingConfig,
    Settings,
    get_settings,
)
from shared.app import build_service
from shared.audit import AuditLog
from shared.db import Database


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    config: ListingConfig | None = None,
) -> FastAPI:
    """The app on an already migrated database; tests pass their own database URL and, for
    another region than REGION_CODE's, their own configuration."""
    settings = settings or get_settings()
    context = ListingContext(
        name=SERVICE,
        settings=settings,
        db=Database(database_url or settings.database_url(SERVICE)),
        audit=AuditLog(audit_log, audit_head, settings.hash_key),
        region=(config or ListingConfig()).region,
    )
    routers = (
        units.router,
        register.router,
        listings.router,
        counts.router,
        region.router,
        changes.router,
    )
    return build_service(context, routers, large_body_paths=(REGISTER_IMPORT_PATH,))
