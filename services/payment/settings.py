"""The payment service's view of the shared settings (its database), plus its own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceName, Settings, get_settings

SERVICE: ServiceName = "payment"

# Seconds between two background follows of the listing service's change feed.
DEFAULT_CHANGE_POLL_S = 60.0

__all__ = [
    "DEFAULT_CHANGE_POLL_S",
    "SERVICE",
    "PaymentConfig",
    "Settings",
    "database_url",
    "get_settings",
]


class PaymentConfig(BaseSettings):
    """Configuration only this service reads."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # CHANGE_POLL_S: how often the service follows the listing feed in the background (0:
    # never; GET /v1/periods and the preview still follow it before they answer).
    change_poll_s: float = Field(default=DEFAULT_CHANGE_POLL_S, ge=0, le=86_400)


def database_url(settings: Settings) -> str:
    """PAYMENT_DATABASE_URL, else var/payment.db."""
    return settings.database_url(SERVICE)
