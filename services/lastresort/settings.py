"""The last-resort service's view of the settings, plus its own.

The municipalities where the region must keep a unit are the region's, and the listing service
is their one source (GET /v1/region, from its REGION_CODE and SCB's list): this service keeps no
list of its own, only how long it may reuse the answer.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceName, Settings

# Seconds a process reuses the listing service's answer to GET /v1/region: reference data that
# changes with SCB's list or a region's REGION_CODE, never between two requests of one task.
DEFAULT_REGION_CACHE_S = 60.0


class LastResortConfig(BaseSettings):
    """Configuration only this service reads (env prefix LASTRESORT_)."""

    model_config = SettingsConfigDict(env_prefix="LASTRESORT_", env_file=None, extra="ignore")

    region_cache_s: float = Field(default=DEFAULT_REGION_CACHE_S, ge=0, le=3600)


SERVICE: ServiceName = "lastresort"


def database_url(settings: Settings) -> str:
    return settings.database_url(SERVICE)
