"""The listing service's view of the shared settings."""

from __future__ import annotations

from shared.settings import ServiceName, Settings, get_settings

SERVICE: ServiceName = "listing"

# The register import may carry millions of rows; every other body keeps the shared limit.
REGISTER_IMPORT_PATH = "/v1/register/import"
MAX_IMPORT_BYTES = 200 * 1024 * 1024


def database_url(settings: Settings) -> str:
    """LISTING_DATABASE_URL, else SQLite in DATA_DIR."""
    return settings.database_url(SERVICE)


__all__ = [
    "SERVICE",
    "Settings",
    "get_settings",
    "database_url",
    "REGISTER_IMPORT_PATH",
    "MAX_IMPORT_BYTES",
]
