"""The region the listing service serves: one county, counties that joined forces, or Sweden.

A municipality code begins with its county code (SCB: 2380 Östersund lies in 23 Jämtlands
län), so whether a person or a unit is in the region is decided by those two digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WHOLE_COUNTRY = "SE"
_COUNTY = re.compile(r"[0-9]{2}")


@dataclass(frozen=True, slots=True)
class RegionScope:
    """REGION_CODE parsed: `counties` None means the whole country."""

    code: str
    counties: frozenset[str] | None

    @classmethod
    def parse(cls, text: str) -> RegionScope:
        """`23`, `23,24` or `SE`; ValueError naming what is wrong otherwise."""
        value = text.strip()
        if value.upper() == WHOLE_COUNTRY:
            return cls(WHOLE_COUNTRY, None)
        codes = [c.strip() for c in value.split(",")]
        bad = [c for c in codes if not _COUNTY.fullmatch(c)]
        if not value or bad:
            raise ValueError(
                "REGION_CODE is a county code of two digits (23), several separated by commas "
                f"(23,24), or SE for the whole country; not {text!r}"
            )
        if len(set(codes)) != len(codes):
            raise ValueError(f"REGION_CODE names a county twice: {text!r}")
        return cls(",".join(sorted(codes)), frozenset(codes))

    def covers(self, municipality_code: str) -> bool:
        """Whether a municipality (a known one: see the municipality table) is in the region."""
        return self.counties is None or municipality_code[:2] in self.counties


def deso_municipality(deso_code: str) -> str:
    """The municipality a DeSO area lies in: its first four digits (SCB's form)."""
    return deso_code[:4]
