"""The payment service's view of the shared settings: its database."""

from __future__ import annotations

from shared.settings import ServiceName, Settings, get_settings

SERVICE: ServiceName = "payment"

__all__ = ["SERVICE", "Settings", "database_url", "get_settings"]


def database_url(settings: Settings) -> str:
    """PAYMENT_DATABASE_URL, else var/payment.db."""
    return settings.database_url(SERVICE)
