"""Contracts of the listing service: care units and counts at a date.

The payment and last-resort services read these over HTTP; they never see a person.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import TypedDict

from shared.money import DecimalStr
from shared.payee import Bankgiro, OrganisationNumber
from shared.schemas.common import (
    CareType,
    DesoCode,
    HsaId,
    ListingReason,
    MunicipalityCode,
    Ownership,
    Sex,
)


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    municipality_code: MunicipalityCode
    ownership: Ownership
    care_type: CareType
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    distance_to_hospital_km: DecimalStr = Field(ge=0)
    active_from: dt.date
    active_to: dt.date | None = None
    # The payee (optional: the region's own units are paid within the region's books).
    organisation_number: OrganisationNumber | None = None
    bankgiro: Bankgiro | None = None

    @model_validator(mode="after")
    def _period_order(self) -> UnitIn:
        if self.active_to is not None and self.active_to < self.active_from:
            raise ValueError("active_to is before active_from")
        return self


class Unit(UnitIn):
    hsa_id: HsaId


# The groups are TypedDicts, not models: a national count carries over half a million of them,
# and pydantic validates dicts about seven times faster than it builds models (2.3 s → 0.33 s
# for 10.4 M listed; docs/benchmarks.md). Read them as g["age"], g["count"].
class AgeSexCount(TypedDict):
    age: Annotated[int, Field(ge=0, le=250)]
    sex: Sex
    count: Annotated[int, Field(ge=0)]


class DesoCount(TypedDict):
    deso_code: DesoCode | None
    count: Annotated[int, Field(ge=0)]


class UnitCount(BaseModel):
    """`listed` and the groups count the region's own residents; residents of other regions
    listed at the unit (their home region pays) are only counted in `out_of_region`."""

    hsa_id: HsaId
    listed: int
    by_age_sex: list[AgeSexCount]
    by_deso: list[DesoCount]
    out_of_region: int = Field(default=0, ge=0)


# SCB's two-digit county code (länskod): the first two digits of a municipality code.
CountyCode = Annotated[str, Field(pattern=r"^[0-9]{2}$")]


class Municipality(BaseModel):
    """One of SCB's municipalities (kommuner)."""

    code: MunicipalityCode
    name: str = Field(min_length=1, max_length=100)
    county_code: CountyCode


class Region(BaseModel):
    """The region the listing service serves (`code` as configured: `23`, `23,24` or `SE`),
    its counties and its municipalities: the one source every service reads them from."""

    code: str = Field(pattern=r"^(SE|[0-9]{2}(,[0-9]{2})*)$")
    county_codes: list[CountyCode]
    municipalities: list[Municipality]


class ExclusionRule(StrEnum):
    """Rules a counted person must meet; stored data that breaks one (written before the rule
    was checked at the edge) is left out of the counts and reported, never counted wrong."""

    birth_after_count_date = "birth_after_count_date"
    birth_before_1870 = "birth_before_1870"


class Exclusion(BaseModel):
    rule: ExclusionRule
    persons: int = Field(ge=1)


class Counts(BaseModel):
    """Who was listed where on `date`, aggregated: the contract the payment service reads.

    `excluded` is empty when all is well; a payment run refuses counts that exclude anyone.
    """

    date: dt.date
    care_type: CareType
    as_known_at: dt.datetime | None = None
    total: int
    units: list[UnitCount]
    excluded: list[Exclusion] = []


class ChangeKind(StrEnum):
    """What a change-feed entry records. A listing entry names its listing; an import or a
    default assignment is one entry for all the persons it changed."""

    listing_created = "listing_created"  # one listing (it may end the person's previous one)
    listing_moved = "listing_moved"  # a unit closed: the person's new listing (reason closure)
    listings_assigned = "listings_assigned"  # a default assignment: `persons` listed
    listings_imported = "listings_imported"  # a listing-history import: `persons` with rows
    register_changed = "register_changed"  # a register import: `persons` changed
    unit_changed = "unit_changed"  # a unit created, edited or closed (`hsa_id`)


class Change(BaseModel):
    """One committed change, with the range of count dates it can change (`affects_to` null:
    open-ended; `affects_from` null: no count date). Never an identity number: `person_key` is
    a keyed hash, stable per person, that a consumer with the right resolves through
    GET /v1/listings/{listing_id}."""

    cursor: int
    recorded_at: dt.datetime
    kind: ChangeKind
    reason: ListingReason | None = None
    care_type: CareType | None = None
    affects_from: dt.date | None = None
    affects_to: dt.date | None = None
    listing_id: int | None = None
    person_key: str | None = None
    hsa_id: str | None = None
    persons: int | None = None


class ChangeFeed(BaseModel):
    """A page of the feed; `next_after` is the cursor to ask after next, null when the page
    reached the end."""

    changes: list[Change]
    next_after: int | None
