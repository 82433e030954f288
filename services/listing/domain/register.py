"""Validation of one population-register row: pure, fast, and exact about what is wrong.

Kept free of pydantic on purpose: it runs once per row for files of millions of rows.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from services.listing.domain.counts import ymd
from shared.ids import InvalidIdentityNumber, parse_identity_number
from shared.patterns import DESO, MUNICIPALITY

REGISTER_HEADER = (
    "personnummer",
    "municipality_code",
    "deso_code",
    "lat",
    "lon",
    "protected_identity",
    "deceased_on",
    "moved_out_on",
)
_BOOLS = {"true": True, "false": False}


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """A valid register row, normalised; birth date as yyyymmdd and sex from the number."""

    personnummer: str
    birth_ymd: int
    sex: str
    is_coordination: bool
    municipality_code: str
    deso_code: str | None
    lat: float | None
    lon: float | None
    protected_identity: bool
    deceased_on: dt.date | None
    moved_out_on: dt.date | None


FieldError = tuple[str, str]


def header_errors(header: list[str]) -> list[FieldError]:
    """The header must name exactly the register columns (in any order)."""
    missing = [c for c in REGISTER_HEADER if c not in header]
    extra = [c for c in header if c not in REGISTER_HEADER]
    errors: list[FieldError] = [(c, "column is missing from the header") for c in missing]
    errors += [(c or "(empty)", "unknown column in the header") for c in extra]
    if len(set(header)) != len(header):
        errors.append(("header", "a column appears more than once"))
    return errors


def _date(value: str, name: str, errors: list[FieldError]) -> dt.date | None:
    if not value:
        return None
    try:
        if len(value) != 10:  # fromisoformat would also take the basic form YYYYMMDD
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append((name, "must be an ISO date (YYYY-MM-DD) or empty"))
        return None


def _coordinate(value: str, name: str, limit: float, errors: list[FieldError]) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        errors.append((name, "must be a decimal number or empty"))
        return None
    if not math.isfinite(number) or abs(number) > limit:
        errors.append((name, f"must be between -{limit:g} and {limit:g}"))
        return None
    return number


def parse_register_row(values: list[str]) -> tuple[RegisterRow | None, list[FieldError]]:
    """Check one row given in REGISTER_HEADER order; a row with any error yields no RegisterRow."""
    errors: list[FieldError] = []
    if len(values) != len(REGISTER_HEADER):
        return None, [("row", f"has {len(values)} fields, expected {len(REGISTER_HEADER)}")]
    pnr, municipality, deso, lat_s, lon_s, protected_s, deceased_s, moved_s = (
        v.strip() for v in values
    )
    identity = None
    try:
        identity = parse_identity_number(pnr)
    except InvalidIdentityNumber as exc:
        errors.append(("personnummer", str(exc)))
    if not MUNICIPALITY.match(municipality):
        errors.append(("municipality_code", "must be 4 digits"))
    if deso and not DESO.match(deso):
        errors.append(("deso_code", "must be 9 characters (digits and capital letters) or empty"))
    lat = _coordinate(lat_s, "lat", 90, errors)
    lon = _coordinate(lon_s, "lon", 180, errors)
    if (lat is None) != (lon is None) and not any(f in ("lat", "lon") for f, _ in errors):
        errors.append(
            ("lat" if lat is None else "lon", "lat and lon are given together or not at all")
        )
    protected = _BOOLS.get(protected_s.lower())
    if protected is None:
        errors.append(("protected_identity", "must be true or false"))
    deceased = _date(deceased_s, "deceased_on", errors)
    moved = _date(moved_s, "moved_out_on", errors)
    if errors or identity is None or protected is None:
        return None, errors
    return RegisterRow(
        personnummer=identity.value,
        birth_ymd=ymd(identity.birth_date),
        sex=identity.sex,
        is_coordination=identity.is_coordination_number,
        municipality_code=municipality,
        deso_code=deso or None,
        lat=lat,
        lon=lon,
        protected_identity=protected,
        deceased_on=deceased,
        moved_out_on=moved,
    ), []
