"""Request and answer bodies local to the listing service (identity numbers only in bodies).

Every value is checked against its domain here, at the edge, so a refusal is a 422 naming the
field and nothing is written: dates in the record window (shared.values.RecordDate), flags
JSON true/false only, moments as ISO timestamps with an offset (shared.values.Moment).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from services.listing.domain.listing import Reason
from shared.ids import InvalidIdentityNumber, parse_identity_number
from shared.money import DecimalStr
from shared.schemas import listing as contract
from shared.schemas.common import HsaId
from shared.values import PRINTABLE_PATTERN, Moment, RecordDate

# An identity number as written, before it is checked (12 digits with a separator: 13).
PERSONNUMMER_MAX_LENGTH = 20
# The farthest a unit can lie from its hospital: farther than any two points in Sweden.
MAX_DISTANCE_KM = 2000
DISTANCE_PATTERN = r"^[0-9]{1,4}(\.[0-9]{1,3})?$"
_DISTANCE = re.compile(DISTANCE_PATTERN)


def _identity(value: str) -> str:
    try:
        return parse_identity_number(value).value
    except InvalidIdentityNumber as exc:
        raise ValueError(str(exc)) from exc


def _plain_km(value: object) -> object:
    """Kilometres as the document says: up to 4 digits and 3 decimals, no sign or exponent."""
    if isinstance(value, str) and not _DISTANCE.fullmatch(value):
        raise ValueError("kilometres are written like 12.5: at most 4 digits and 3 decimals")
    return value


# A distance in kilometres, 0 to 2000 with at most 3 decimals, as a string ("12.5").
Kilometres = Annotated[
    DecimalStr,
    BeforeValidator(_plain_km),
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


class UnitFields(contract.UnitIn):
    """A unit's attributes as they are written: the contract's fields, each within its domain
    (the contract itself stays lenient, since it also reads units stored before these checks)."""

    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE_PATTERN)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    distance_to_hospital_km: Kilometres
    active_from: RecordDate
    active_to: RecordDate | None = None

    def attributes(self) -> contract.UnitIn:
        """The attributes alone, as the contract holds them."""
        return contract.UnitIn.model_validate(
            self.model_dump(include=set(contract.UnitIn.model_fields))
        )


class UnitIn(UnitFields):
    """PUT /v1/units/{hsa_id}: the attributes from `effective_from` on (omitted: the unit's
    whole life). `hsa_id` may be sent when it equals the path, so a GET body can be PUT back."""

    hsa_id: HsaId | None = None
    effective_from: RecordDate | None = Field(
        default=None, description="the first day these attributes hold; omitted: every day"
    )


class UnitFileEntry(UnitFields):
    """One unit of an `import-units` file (its whole life)."""

    hsa_id: HsaId


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    last_day: RecordDate = Field(description="the unit's last day: its patients move the day after")


class Receiver(BaseModel):
    hsa_id: str
    persons: int = Field(ge=1)


class CloseOut(BaseModel):
    """How many were moved and to which units (counts per receiving unit, never persons)."""

    hsa_id: str
    last_day: dt.date
    moved: int = Field(ge=0)
    to: list[Receiver]


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
    special_reason: StrictBool = False

    _check = field_validator("personnummer")(_identity)

    @field_validator("reason")
    @classmethod
    def _not_closure(cls, value: Reason) -> Reason:
        if value == Reason.closure:
            raise ValueError("only POST /v1/units/{hsa_id}/close lists with reason closure")
        return value

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
