"""Request and answer bodies local to the listing service (identity numbers only in bodies).

Every value is checked against its domain here, at the edge, so a refusal is a 422 naming the
field and nothing is written: dates in the record window (shared.values.RecordDate), flags
true/false only, moments as ISO timestamps with an offset, integers within the database's range.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from services.listing.domain.listing import Reason
from shared.ids import InvalidIdentityNumber, parse_identity_number
from shared.money import DecimalStr
from shared.schemas import listing as contract
from shared.schemas.common import HsaId
from shared.values import EARLIEST_RECORD, RECORD_HORIZON, Flag, RecordDate

# An identity number as written, before it is checked (12 digits with a separator: 13).
PERSONNUMMER_MAX_LENGTH = 20
# The farthest a unit can lie from its hospital: farther than any two points in Sweden.
MAX_DISTANCE_KM = 2000
DISTANCE_PATTERN = r"^[0-9]{1,4}(\.[0-9]{1,3})?$"
# A unit's name: printable text (no control characters, which PostgreSQL may refuse).
NAME_PATTERN = r"^[^\x00-\x1f\x7f]+$"
_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
EARLIEST_MOMENT = dt.datetime.combine(EARLIEST_RECORD, dt.time(), dt.UTC)


def _identity(value: str) -> str:
    try:
        return parse_identity_number(value).value
    except InvalidIdentityNumber as exc:
        raise ValueError(str(exc)) from exc


def _iso_moment(value: object) -> object:
    """A moment as an ISO 8601 timestamp with an offset, nothing else (no epoch numbers)."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise ValueError("a moment is an ISO timestamp with an offset, YYYY-MM-DDThh:mm:ss+hh:mm")
    return value


def _moment_window(value: dt.datetime) -> dt.datetime:
    latest = dt.datetime.now(dt.UTC) + RECORD_HORIZON
    if value.tzinfo is None or not EARLIEST_MOMENT <= value <= latest:
        raise ValueError(
            f"a moment must lie from {EARLIEST_MOMENT.isoformat()} to one year from now"
        )
    return value


# "As known at": an ISO timestamp with an offset, from 1990 to a year ahead.
Moment = Annotated[
    dt.datetime,
    BeforeValidator(_iso_moment),
    AfterValidator(_moment_window),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": f"^{_MOMENT.pattern}$",
            "description": "ISO 8601 with an offset, 1990-01-01T00:00:00Z to one year from now",
        }
    ),
]
Kilometres = Annotated[
    DecimalStr,
    Field(ge=0, le=MAX_DISTANCE_KM, max_digits=7, decimal_places=3),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DISTANCE_PATTERN,
            "description": f"kilometres, 0 to {MAX_DISTANCE_KM}, at most 3 decimals",
            "examples": ["12.5"],
        },
        mode="validation",
    ),
]


class UnitIn(contract.UnitIn):
    """A unit as it is created or updated: the contract's fields, each within its domain (the
    contract itself stays lenient, since it also reads units stored before these checks)."""

    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    distance_to_hospital_km: Kilometres
    active_from: RecordDate
    active_to: RecordDate | None = None


class UnitFileEntry(UnitIn):
    """One unit of an `import-units` file."""

    hsa_id: HsaId


class PersonRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personnummer: str = Field(max_length=PERSONNUMMER_MAX_LENGTH)
    as_known_at: Moment | None = None

    _check = field_validator("personnummer")(_identity)


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personnummer: str = Field(max_length=PERSONNUMMER_MAX_LENGTH)
    hsa_id: HsaId
    valid_from: RecordDate
    reason: Reason
    special_reason: Flag = False

    _check = field_validator("personnummer")(_identity)

    @field_validator("valid_from")
    @classmethod
    def _not_before_birth(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        personnummer = info.data.get("personnummer")
        if personnummer and value < parse_identity_number(personnummer).birth_date:
            raise ValueError("valid_from is before the person's birth date")
        return value


class ListingOut(BaseModel):
    listing_id: int = Field(description="GET /v1/listings/{listing_id} answers this row")
    hsa_id: str
    valid_from: dt.date
    valid_to: dt.date | None
    reason: Reason
    special_reason: bool
    recorded_at: dt.datetime


class StoredListingOut(ListingOut):
    """One listing row as recorded, and whom it is for (a person-level read: audited)."""

    personnummer: str
    superseded_at: dt.datetime | None


class History(BaseModel):
    listings: list[ListingOut]


class DefaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: RecordDate


class DefaultsOut(BaseModel):
    assigned: int
