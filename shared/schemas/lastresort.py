"""Contracts of the last-resort service (sistahandsansvar): designations, models, accounts,
settlements.

Money travels as strings with two decimals; exact ratios (coverage, the neutrality rate)
travel as decimal strings. A settlement shows every input and step so that a private
provider can check that the compensation is neutral.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from shared.money import SEK, DecimalStr
from shared.period import PeriodStr
from shared.schemas.common import CareType, HsaId, MunicipalityCode, Ownership
from shared.values import Year

NonNegativeSEK = Annotated[SEK, Field(ge=Decimal("0"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- designations -------------------------------------------------------------------------


class DesignationIn(_Strict):
    hsa_id: HsaId


class Designation(BaseModel):
    year: int
    care_type: CareType
    municipality_code: MunicipalityCode
    hsa_id: HsaId
    unit_name: str
    updated_at: dt.datetime


class MissingDesignation(BaseModel):
    care_type: CareType
    municipality_code: MunicipalityCode


class DesignationList(BaseModel):
    year: int
    designations: list[Designation]
    missing: list[MissingDesignation]


# --- models -------------------------------------------------------------------------------


class NeutralityScope(StrEnum):
    municipality = "municipality"
    region = "region"


class Neutrality(_Strict):
    enabled: StrictBool
    scope: NeutralityScope | None = None

    @model_validator(mode="after")
    def _scope_when_enabled(self) -> Neutrality:
        if self.enabled and self.scope is None:
            raise ValueError("scope is required when neutrality is enabled")
        return self


class FixedSumModel(_Strict):
    method: Literal["fixed_sum"]
    # Sweden has 290 municipalities: a region names at most that many.
    annual_sek_by_municipality: dict[MunicipalityCode, NonNegativeSEK] = Field(
        min_length=1, max_length=290
    )
    neutrality: Neutrality


class DeficitCappedModel(_Strict):
    method: Literal["deficit_capped"]
    # At most 18 decimals, so that coverage × deficit fits the 20 decimals a DecimalStr carries.
    coverage: Annotated[
        DecimalStr,
        Field(
            ge=Decimal("0"),
            le=Decimal("1"),
            decimal_places=18,
            description="the share of the deficit compensated, 0 to 1, at most 18 decimals",
        ),
    ]
    cap_sek: NonNegativeSEK
    neutrality: Neutrality


LastResortModel = Annotated[FixedSumModel | DeficitCappedModel, Field(discriminator="method")]
AppliesTo = Literal["all", "primary", "dental"]


class ModelVersion(BaseModel):
    year: int
    applies_to: AppliesTo
    version: int
    used: bool
    model: LastResortModel
    updated_at: dt.datetime


class ModelPutResult(ModelVersion):
    outcome: Literal["created", "updated", "unchanged"]


class ModelRef(BaseModel):
    applies_to: AppliesTo
    version: int


class ModelList(BaseModel):
    year: int
    versions: list[ModelVersion]
    effective: dict[CareType, ModelRef | None]


# --- accounts -----------------------------------------------------------------------------


class AccountIn(_Strict):
    costs_sek: NonNegativeSEK
    other_revenue_sek: NonNegativeSEK
    targeted_grants_sek: NonNegativeSEK


class Account(AccountIn):
    year: int
    hsa_id: HsaId
    updated_at: dt.datetime


class AccountList(BaseModel):
    year: int
    accounts: list[Account]


# --- settlements --------------------------------------------------------------------------


class SettlementRequest(_Strict):
    year: Year
    care_type: CareType


class PeriodRevenue(BaseModel):
    period: PeriodStr
    revenue_sek: SEK


class PaymentVersion(BaseModel):
    period: PeriodStr
    version: int


class SettlementUnit(BaseModel):
    """One designated unit: its inputs and each step to its compensation."""

    hsa_id: HsaId
    unit_name: str
    municipality_code: MunicipalityCode
    fixed_sum_sek: SEK | None = None
    costs_sek: SEK | None = None
    other_revenue_sek: SEK | None = None
    targeted_grants_sek: SEK | None = None
    halsoval_revenue_sek: SEK | None = None
    revenue_by_period: list[PeriodRevenue] = []
    deficit_sek: SEK | None = None
    coverage: DecimalStr | None = None
    covered_deficit: DecimalStr | None = None
    cap_sek: SEK | None = None
    compensation_sek: SEK


class ScopeUnit(BaseModel):
    """A unit's listed count in a neutrality scope; private units also get their amount."""

    hsa_id: HsaId
    unit_name: str
    municipality_code: MunicipalityCode
    ownership: Ownership
    designated: bool
    listed: int
    amount_sek: SEK | None = None


class ScopeResult(BaseModel):
    scope: str = Field(description="a municipality code, or 'region'")
    total_compensation_sek: SEK
    region_listed: int
    rate_defined: bool
    rate_sek_per_person: DecimalStr | None = Field(
        default=None,
        description="total_compensation_sek / region_listed, shown to 12 decimals; "
        "amounts use the exact quotient",
    )
    note: str | None = None
    total_neutrality_sek: SEK
    units: list[ScopeUnit]


class NeutralityResult(BaseModel):
    enabled: bool
    scope: NeutralityScope | None = None
    count_date: dt.date | None = None
    scopes: list[ScopeResult] = []


class Settlement(BaseModel):
    year: int
    care_type: CareType
    version: int
    created_at: dt.datetime
    view: Literal["full", "provider", "totals"]
    model_applies_to: AppliesTo
    model_version: int
    model: LastResortModel
    payment_versions: list[PaymentVersion]
    units: list[SettlementUnit]
    neutrality: NeutralityResult
    total_compensation_sek: SEK
    total_neutrality_sek: SEK


class SettlementResult(Settlement):
    new_version: bool
    detail: str


class SettlementList(BaseModel):
    year: int
    settlements: list[Settlement]
