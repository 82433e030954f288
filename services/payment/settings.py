"""The payment service's view of the shared settings: its database and its one peer."""

from __future__ import annotations

from shared.settings import Settings, get_settings

__all__ = ["Settings", "database_url", "get_settings", "listing_url"]


def database_url(settings: Settings) -> str:
    """PAYMENT_DATABASE_URL, else var/payment.db."""
    return settings.database_url("payment")


def listing_url(settings: Settings) -> str:
    return settings.service_url("listing")
