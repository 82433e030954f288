"""The last-resort service's view of the settings, plus its own: the region's municipalities.

The municipalities where the region must keep a unit are data, not code:
LASTRESORT_MUNICIPALITIES (space- or comma-separated four-digit codes) overrides the
Region Jämtland Härjedalen default.
"""

from __future__ import annotations

import re

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.patterns import MUNICIPALITY
from shared.settings import ServiceName, Settings

# Ragunda, Bräcke, Krokom, Strömsund, Åre, Berg, Härjedalen, Östersund.
DEFAULT_MUNICIPALITIES = ("2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380")


class LastResortConfig(BaseSettings):
    """Configuration only this service reads (env prefix LASTRESORT_)."""

    model_config = SettingsConfigDict(env_prefix="LASTRESORT_", env_file=None, extra="ignore")

    municipalities: str = " ".join(DEFAULT_MUNICIPALITIES)

    @field_validator("municipalities")
    @classmethod
    def _codes(cls, value: str) -> str:
        codes = [c for c in re.split(r"[\s,]+", value.strip()) if c]
        if not codes:
            raise ValueError("at least one municipality code is required")
        bad = [c for c in codes if not MUNICIPALITY.fullmatch(c)]
        if bad:
            raise ValueError(f"municipality codes are four digits: {', '.join(bad)}")
        if len(set(codes)) != len(codes):
            raise ValueError("municipality codes repeat")
        return " ".join(codes)

    @property
    def municipality_codes(self) -> tuple[str, ...]:
        return tuple(self.municipalities.split())


SERVICE: ServiceName = "lastresort"


def database_url(settings: Settings) -> str:
    return settings.database_url(SERVICE)
