"""Request and answer bodies local to the listing service (identity numbers only in bodies)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.listing.domain.listing import Reason
from shared.ids import InvalidIdentityNumber, parse_identity_number
from shared.schemas.common import HsaId


def _identity(value: str) -> str:
    try:
        return parse_identity_number(value).value
    except InvalidIdentityNumber as exc:
        raise ValueError(str(exc)) from exc


class PersonRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personnummer: str = Field(max_length=20)
    as_known_at: dt.datetime | None = None

    _check = field_validator("personnummer")(_identity)


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personnummer: str = Field(max_length=20)
    hsa_id: HsaId
    valid_from: dt.date
    reason: Reason
    special_reason: bool = False

    _check = field_validator("personnummer")(_identity)


class ListingOut(BaseModel):
    hsa_id: str
    valid_from: dt.date
    valid_to: dt.date | None
    reason: Reason
    special_reason: bool
    recorded_at: dt.datetime


class History(BaseModel):
    listings: list[ListingOut]


class DefaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date


class DefaultsOut(BaseModel):
    assigned: int
