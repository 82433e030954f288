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
from shared.schemas.common import CareType, DesoCode, HsaId, MunicipalityCode, Ownership, Sex


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
    hsa_id: HsaId
    listed: int
    by_age_sex: list[AgeSexCount]
    by_deso: list[DesoCount]


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
