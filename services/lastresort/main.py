"""Assembles the last-resort service (sistahandsansvar); migrations are the caller's job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.lastresort.api import accounts, designations, models, settlements
from services.lastresort.api.deps import get_session
from services.lastresort.db.models import audit_head, audit_log
from services.lastresort.peers import Peers
from services.lastresort.settings import SERVICE, LastResortConfig
from shared.app import create_service_app
from shared.audit import AuditLog
from shared.audit_api import make_audit_router
from shared.db import Database
from shared.logging import configure_logging
from shared.settings import Settings, get_settings


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    config: LastResortConfig | None = None,
    listing_transport: httpx.BaseTransport | None = None,
    payment_transport: httpx.BaseTransport | None = None,
    peers: Peers | None = None,
) -> FastAPI:
    """Tests pass transports (or ready peers) to fake the listing and payment services."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    db = Database(database_url or settings.database_url(SERVICE))
    the_peers = peers or Peers.connect(
        settings, listing_transport=listing_transport, payment_transport=payment_transport
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        the_peers.close()
        db.dispose()

    app = create_service_app(title="lastresort", settings=settings, lifespan=lifespan)
    app.state.db = db
    app.state.peers = the_peers
    app.state.config = config or LastResortConfig()
    app.state.audit = audit = AuditLog(audit_log, audit_head, settings.hash_key)
    for r in (designations.router, models.router, accounts.router, settlements.router):
        app.include_router(r)
    app.include_router(make_audit_router(get_session=get_session, audit=audit))
    return app
