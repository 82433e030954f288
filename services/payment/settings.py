"""The payment service's view of the shared settings: its database."""

from __future__ import annotations

from shared.settings import Settings, get_settings

__all__ = ["Settings", "database_url", "get_settings"]


def database_url(settings: Settings) -> str:
    """PAYMENT_DATABASE_URL, else var/payment.db."""
    return settings.database_url("payment")
