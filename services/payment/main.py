"""Assembles the payment service app (uvicorn services.payment.main:create_app --factory).

Only assembles: migrations are the caller's job (`halsoval migrate`, tests call migrate()).
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.payment import service
from services.payment.api import (
    models,
    payouts,
    periods,
    runs,
    simulations,
    statements,
    years,
)
from services.payment.api.deps import PaymentContext
from services.payment.api.printing import StatementPrinter
from services.payment.clients import ListingClient
from services.payment.db.models import audit_head, audit_log
from services.payment.poller import ChangePoller
from services.payment.settings import SERVICE, PaymentConfig, Settings, get_settings
from shared.app import build_service
from shared.audit import AuditLog
from shared.db import Database
from shared.http import ServiceClient


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    config: PaymentConfig | None = None,
    listing_transport: httpx.BaseTransport | None = None,
    listing_client: ServiceClient | None = None,
) -> FastAPI:
    """The app; tests pass a database URL and a fake listing service (transport or client).
    With CHANGE_POLL_S > 0 its lifespan follows the listing feed in the background."""
    settings = settings or get_settings()
    config = config or PaymentConfig()
    client = listing_client or ServiceClient(
        caller=SERVICE, peer="listing", settings=settings, transport=listing_transport
    )
    context = PaymentContext(
        name=SERVICE,
        settings=settings,
        db=Database(database_url or settings.database_url(SERVICE)),
        audit=AuditLog(audit_log, audit_head, settings.hash_key),
        listing=ListingClient(client),
        printer=StatementPrinter(sender=config.sender()),
        closers=[client.close],
    )
    routers = (
        models.router,
        runs.router,
        periods.router,
        statements.router,
        simulations.router,
        payouts.router,
        years.router,
    )
    app = build_service(context, routers)
    poller = ChangePoller(
        lambda: service.poll_changes(sessions=context.db.sessionmaker, listing=context.listing),
        config.change_poll_s,
    )
    context.poller = poller
    context.background.append(poller)
    return app
