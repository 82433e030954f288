"""Assembles the listing service (uvicorn starts it with `--factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from services.listing import settings as listing_settings
from services.listing.api import counts, listings, register, units
from services.listing.api.deps import get_session
from services.listing.db.models import audit_head, audit_log
from services.listing.settings import REGISTER_IMPORT_PATH, Settings, get_settings
from shared.app import create_service_app
from shared.audit import AuditLog
from shared.audit_api import make_audit_router
from shared.db import Database


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> FastAPI:
    """Build the app on an already migrated database (callers run migrate(url) first)."""
    settings = settings or get_settings()
    url = database_url or listing_settings.database_url(settings)
    app = create_service_app(
        title="listing", settings=settings, large_body_paths=(REGISTER_IMPORT_PATH,)
    )
    app.state.db = Database(url)
    for module in (units, register, listings, counts):
        app.include_router(module.router)
    app.state.audit = audit = AuditLog(audit_log, audit_head, settings.hash_key)
    app.include_router(make_audit_router(get_session=get_session, audit=audit))
    return app
