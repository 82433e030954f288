"""Assembles the last-resort service (sistahandsansvar); migrations are the caller's job."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.lastresort.api import accounts, designations, models, settlements
from services.lastresort.api.deps import LastResortContext
from services.lastresort.clients import Peers
from services.lastresort.db.models import audit_head, audit_log
from services.lastresort.settings import SERVICE, LastResortConfig
from shared.app import build_service
from shared.audit import AuditLog
from shared.db import Database
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
    config = config or LastResortConfig()
    the_peers = peers or Peers.connect(
        settings,
        listing_transport=listing_transport,
        payment_transport=payment_transport,
        region_cache_s=config.region_cache_s,
    )
    context = LastResortContext(
        name=SERVICE,
        settings=settings,
        db=Database(database_url or settings.database_url(SERVICE)),
        audit=AuditLog(audit_log, audit_head, settings.hash_key),
        peers=the_peers,
        config=config,
        closers=[the_peers.close],
    )
    routers = (designations.router, models.router, accounts.router, settlements.router)
    return build_service(context, routers)
