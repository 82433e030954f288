"""Assembles the payment service app (uvicorn services.payment.main:create_app --factory).

Only assembles: migrations are the caller's job (`halsoval migrate`, tests call migrate()).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.payment import settings as payment_settings
from services.payment.api import models, runs, simulations, statements
from services.payment.api.deps import get_session
from services.payment.db.models import audit_head, audit_log
from services.payment.listing import ListingReader
from services.payment.settings import Settings, get_settings
from shared.app import create_service_app
from shared.audit import AuditLog
from shared.audit_api import make_audit_router
from shared.db import Database
from shared.http import ServiceClient
from shared.logging import configure_logging


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    listing_transport: httpx.BaseTransport | None = None,
    listing_client: ServiceClient | None = None,
) -> FastAPI:
    """The app; tests pass a database URL and a fake listing service (transport or client)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    url = database_url or payment_settings.database_url(settings)
    client = listing_client or ServiceClient(
        caller="payment", peer="listing", settings=settings, transport=listing_transport
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        client.close()
        app.state.db.dispose()

    app = create_service_app(title="payment", settings=settings, lifespan=lifespan)
    app.state.db = Database(url)
    app.state.listing = ListingReader(client)
    app.state.audit = audit = AuditLog(audit_log, audit_head, settings.hash_key)
    for router in (models.router, runs.router, statements.router, simulations.router):
        app.include_router(router)
    app.include_router(make_audit_router(get_session=get_session, audit=audit))
    return app
