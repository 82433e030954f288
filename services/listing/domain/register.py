"""Validation of one population-register row: pure, fast, and exact about what is wrong.

Kept free of pydantic on purpose: it runs once per row for files of millions of rows. The
windows (births 1870..today, register dates 1990..a year ahead) are those of shared.values;
"today" is fixed once per file (`RegisterRules`), not looked up per row.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from services.listing.domain.counts import ymd
from services.listing.domain.region import deso_municipality
from shared.ids import InvalidIdentityNumber, parse_identity_number
from shared.patterns import DESO, MUNICIPALITY
from shared.values import EARLIEST_RECORD, ISO_DATE, RECORD_HORIZON

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
# ASCII only: fromisoformat and float() also take other scripts' digits, float() "1e3",
# "nan" and "1_0".
_COORDINATE = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,15})?")
# Separators a spreadsheet may have saved the file with instead of commas.
_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs"}


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


@dataclass(frozen=True, slots=True)
class RegisterRules:
    """The date windows of one import, fixed at its start, and the municipality codes a row
    may name (SCB's list, as stored); None checks their form only (the historic-listing
    import reads no municipality)."""

    today: dt.date
    earliest: dt.date = EARLIEST_RECORD
    municipalities: frozenset[str] | None = None

    @property
    def latest(self) -> dt.date:
        return self.today + RECORD_HORIZON


FieldError = tuple[str, str]


def header_errors(header: list[str]) -> list[FieldError]:
    """The header must name exactly the register columns (in any order); a header that is one
    column holding the names joined by `;` or tabs says so (Swedish Excel saves CSV with `;`)."""
    if len(header) == 1:
        for sep, name in _OTHER_SEPARATORS.items():
            if sep in header[0]:
                return [
                    (
                        "header",
                        f"the columns are separated by {name}, not commas (Excel in Swedish "
                        "saves 'CSV' with semicolons): save the file as 'CSV UTF-8 (comma "
                        "delimited)'",
                    )
                ]
    missing = [c for c in REGISTER_HEADER if c not in header]
    extra = [c for c in header if c not in REGISTER_HEADER]
    errors: list[FieldError] = [(c, "column is missing from the header") for c in missing]
    errors += [(c or "(empty)", "unknown column in the header") for c in extra]
    if len(set(header)) != len(header):
        errors.append(("header", "a column appears more than once"))
    return errors


def iso_date(value: str) -> dt.date:
    """A date written YYYY-MM-DD in ASCII digits; ValueError otherwise."""
    if not ISO_DATE.fullmatch(value):
        raise ValueError(value)
    return dt.date.fromisoformat(value)


def _date(
    value: str, name: str, rules: RegisterRules, birth: dt.date | None, errors: list[FieldError]
) -> dt.date | None:
    if not value:
        return None
    try:
        day = iso_date(value)
    except ValueError:
        errors.append((name, "must be an ISO date (YYYY-MM-DD) or empty"))
        return None
    if not rules.earliest <= day <= rules.latest:
        errors.append(
            (name, f"must lie from {rules.earliest.isoformat()} to {rules.latest.isoformat()}")
        )
        return None
    if birth is not None and day < birth:
        errors.append((name, "is before the birth date"))
        return None
    return day


def _coordinate(value: str, name: str, limit: float, errors: list[FieldError]) -> float | None:
    if not value:
        return None
    if not _COORDINATE.fullmatch(value):
        errors.append((name, "must be a decimal number (like 63.18) or empty"))
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) > limit:
        errors.append((name, f"must be between -{limit:g} and {limit:g}"))
        return None
    return number


def field_count_error(values: list[str], expected: int) -> FieldError:
    """A row of the wrong length; a field holding a line break means a quote left open."""
    if any("\n" in v or "\r" in v for v in values):
        return (
            "row",
            f'has {len(values)} fields, expected {expected}: a quote (") opens a '
            "field that is not closed on its line",
        )
    return ("row", f"has {len(values)} fields, expected {expected}")


def parse_register_row(
    values: list[str], rules: RegisterRules
) -> tuple[RegisterRow | None, list[FieldError]]:
    """Check one row given in REGISTER_HEADER order; a row with any error yields no RegisterRow."""
    errors: list[FieldError] = []
    if len(values) != len(REGISTER_HEADER):
        return None, [field_count_error(values, len(REGISTER_HEADER))]
    pnr, municipality, deso, lat_s, lon_s, protected_s, deceased_s, moved_s = (
        v.strip() for v in values
    )
    identity = None
    try:
        identity = parse_identity_number(pnr, today=rules.today)
    except InvalidIdentityNumber as exc:
        errors.append(("personnummer", str(exc)))
    known = rules.municipalities
    if not MUNICIPALITY.fullmatch(municipality):
        errors.append(("municipality_code", "must be 4 digits"))
    elif known is not None and municipality not in known:
        errors.append(
            ("municipality_code", f"{municipality} is not a municipality code in SCB's list")
        )
    if deso and not DESO.fullmatch(deso):
        errors.append(
            (
                "deso_code",
                "must be 9 characters: the municipality code, A, B or C, four digits "
                "(2380C1010), or empty",
            )
        )
    elif deso and MUNICIPALITY.fullmatch(municipality):
        if deso_municipality(deso) != municipality:
            errors.append(
                (
                    "deso_code",
                    f"lies in municipality {deso_municipality(deso)}, "
                    f"not in the person's municipality {municipality}",
                )
            )
    lat = _coordinate(lat_s, "lat", 90, errors)
    lon = _coordinate(lon_s, "lon", 180, errors)
    if (lat is None) != (lon is None) and not any(f in ("lat", "lon") for f, _ in errors):
        errors.append(
            ("lat" if lat is None else "lon", "lat and lon are given together or not at all")
        )
    protected = _BOOLS.get(protected_s)
    if protected is None:
        errors.append(("protected_identity", "must be true or false"))
    birth = identity.birth_date if identity is not None else None
    deceased = _date(deceased_s, "deceased_on", rules, birth, errors)
    moved = _date(moved_s, "moved_out_on", rules, birth, errors)
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
