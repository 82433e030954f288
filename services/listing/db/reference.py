"""Reference data: SCB's municipalities (the vendored file, and the table migrations load it
into) and the region's part of them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.listing.db.models import municipality
from services.listing.domain.region import RegionScope

MUNICIPALITIES_CSV = Path(__file__).resolve().parent / "data" / "municipalities.csv"


@dataclass(frozen=True, slots=True)
class MunicipalityRecord:
    code: str
    name: str
    county_code: str


@lru_cache(maxsize=1)
def vendored_municipalities() -> tuple[MunicipalityRecord, ...]:
    """The vendored list as shipped (db/data/README.md names its source)."""
    with MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as f:
        return tuple(
            MunicipalityRecord(r["code"], r["name"], r["county_code"]) for r in csv.DictReader(f)
        )


def vendored_counties() -> frozenset[str]:
    return frozenset(m.county_code for m in vendored_municipalities())


def municipalities(session: Session, region: RegionScope | None = None) -> list[MunicipalityRecord]:
    """The stored municipalities by code, only the region's when one is given."""
    q = select(municipality.c.code, municipality.c.name, municipality.c.county_code)
    if region is not None and region.counties is not None:
        q = q.where(municipality.c.county_code.in_(sorted(region.counties)))
    return [MunicipalityRecord(*r) for r in session.execute(q.order_by(municipality.c.code))]


def municipality_codes(session: Session) -> frozenset[str]:
    """Every stored municipality code (what a register row may name)."""
    return frozenset(session.execute(select(municipality.c.code)).scalars())


def find_municipality(session: Session, code: str) -> MunicipalityRecord | None:
    row = session.execute(
        select(municipality.c.code, municipality.c.name, municipality.c.county_code).where(
            municipality.c.code == code
        )
    ).first()
    return MunicipalityRecord(*row) if row is not None else None
