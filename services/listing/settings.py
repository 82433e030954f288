"""The listing service's view of the shared settings, plus its own: the region it serves.

REGION_CODE names the region: a county code (`23`, Jämtlands län, the default), several joined
by commas for regions that join forces (`23,24`), or `SE` for the whole country (the national
benchmark). Municipalities are SCB's list (db/data/municipalities.csv), not a setting.
"""

from __future__ import annotations

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.listing.db.reference import vendored_counties
from services.listing.domain.region import RegionScope
from shared.settings import ServiceName, Settings, get_settings

SERVICE: ServiceName = "listing"

# The register import may carry millions of rows; every other body keeps the shared limit.
REGISTER_IMPORT_PATH = "/v1/register/import"
MAX_IMPORT_BYTES = 200 * 1024 * 1024


class ListingConfig(BaseSettings):
    """Configuration only this service reads."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    region_code: str = "23"

    @field_validator("region_code")
    @classmethod
    def _known_counties(cls, value: str) -> str:
        scope = RegionScope.parse(value)
        unknown = sorted((scope.counties or frozenset()) - vendored_counties())
        if unknown:
            raise ValueError(f"REGION_CODE names counties Sweden does not have: {unknown}")
        return scope.code

    @property
    def region(self) -> RegionScope:
        return RegionScope.parse(self.region_code)


def database_url(settings: Settings) -> str:
    """LISTING_DATABASE_URL, else SQLite in DATA_DIR."""
    return settings.database_url(SERVICE)


__all__ = [
    "SERVICE",
    "ListingConfig",
    "Settings",
    "get_settings",
    "database_url",
    "REGISTER_IMPORT_PATH",
    "MAX_IMPORT_BYTES",
]
