"""The payment service's view of the shared settings (its database), plus its own."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.payee import OrganisationNumber
from shared.settings import ServiceName, Settings, get_settings

SERVICE: ServiceName = "payment"

# Seconds between two background follows of the listing service's change feed.
DEFAULT_CHANGE_POLL_S = 60.0

# The demo region, the sender printed statements name until the region configures its own.
DEFAULT_SENDER_NAME = "Region Jämtland Härjedalen"
DEFAULT_SENDER_ORGANISATION_NUMBER = "232100-0206"
DEFAULT_SENDER_ADDRESS = "Box 654, 831 27 Östersund"

__all__ = [
    "DEFAULT_CHANGE_POLL_S",
    "SERVICE",
    "PaymentConfig",
    "Sender",
    "Settings",
    "database_url",
    "get_settings",
    "region_sender",
]


class Sender(BaseModel):
    """The region as the sender of its statements: who pays, as a provider files it."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(default=DEFAULT_SENDER_NAME, min_length=1, max_length=200)
    organisation_number: OrganisationNumber = DEFAULT_SENDER_ORGANISATION_NUMBER
    address: str = Field(default=DEFAULT_SENDER_ADDRESS, min_length=1, max_length=300)


class PaymentConfig(BaseSettings):
    """Configuration only this service reads."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # CHANGE_POLL_S: how often the service follows the listing feed in the background (0:
    # never; GET /v1/periods and the preview still follow it before they answer).
    change_poll_s: float = Field(default=DEFAULT_CHANGE_POLL_S, ge=0, le=86_400)
    # REGION_SENDER_NAME, _ORGANISATION_NUMBER, _ADDRESS: the sender printed statements name
    # (an organisation number with a wrong check digit refuses to start).
    region_sender_name: str = Field(default=DEFAULT_SENDER_NAME, min_length=1, max_length=200)
    region_sender_organisation_number: OrganisationNumber = DEFAULT_SENDER_ORGANISATION_NUMBER
    region_sender_address: str = Field(default=DEFAULT_SENDER_ADDRESS, min_length=1, max_length=300)

    def sender(self) -> Sender:
        return Sender(
            name=self.region_sender_name,
            organisation_number=self.region_sender_organisation_number,
            address=self.region_sender_address,
        )


def region_sender() -> Sender:
    """The configured sender, read from the environment (REGION_SENDER_*)."""
    return PaymentConfig().sender()


def database_url(settings: Settings) -> str:
    """PAYMENT_DATABASE_URL, else var/payment.db."""
    return settings.database_url(SERVICE)
