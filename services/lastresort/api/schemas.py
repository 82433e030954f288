"""This service's answers beyond the shared contract (shared.schemas.lastresort): the approval
status of models and settlements and neutrality's twelve counts. Subclasses, so that every
field a reader of the shared contract knows is still there; the shared contract should take
these fields over (reported to the lead: shared/ is not this service's to edit)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from shared.period import PeriodStr
from shared.schemas.common import CareType
from shared.schemas.lastresort import (
    ModelRef,
    ModelVersion,
    NeutralityResult,
    ScopeResult,
    ScopeUnit,
    Settlement,
)


class ApprovedModelVersion(ModelVersion):
    status: Literal["draft", "approved"] = Field(
        description="draft when written; approved by a finance_approver other than written_by"
    )
    written_by: str = Field(description="who last wrote the version's body (its author)")
    body_sha256: str = Field(
        description="SHA-256 of the version's canonical body: give it to the approval to "
        "approve exactly the body that was read (a draft is edited in place)"
    )
    approved_by: str | None = None
    approved_at: dt.datetime | None = None


class ApprovedModelPutResult(ApprovedModelVersion):
    outcome: Literal["created", "updated", "unchanged"]


class ApprovedModelList(BaseModel):
    year: int
    versions: list[ApprovedModelVersion]
    effective: dict[CareType, ModelRef | None] = Field(
        description="the approved version each care type's settlement uses (null: none)"
    )


class CountDate(BaseModel):
    """One approved payment run's count date, read as known at the run's moment."""

    period: PeriodStr
    count_date: dt.date
    as_known_at: dt.datetime


class DatedCount(BaseModel):
    period: PeriodStr
    count_date: dt.date
    listed: int


class CountedScopeUnit(ScopeUnit):
    listed: int = Field(description="the sum of `counts`: the unit's listed over the count dates")
    counts: list[DatedCount] = Field(
        description="the unit's listed count in the scope on each count date (0: not counted)"
    )


class CountedScope(ScopeResult):
    region_listed: int = Field(description="the sum of `region_counts`")
    region_counts: list[DatedCount] = Field(
        description="the region units' listed count in the scope on each count date"
    )
    units: list[CountedScopeUnit]  # type: ignore[assignment]


class CountedNeutrality(NeutralityResult):
    count_date: dt.date | None = Field(
        default=None, description="the last of the count dates (December's run)"
    )
    count_dates: list[CountDate] = []
    scopes: list[CountedScope] = []  # type: ignore[assignment]


class ApprovedSettlement(Settlement):
    status: Literal["calculated", "approved"] = Field(
        description="calculated until a finance_approver other than created_by approves it"
    )
    created_by: str | None = Field(
        default=None, description="the settlement's author (full view only)"
    )
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    neutrality: CountedNeutrality


class ApprovedSettlementResult(ApprovedSettlement):
    new_version: bool
    detail: str


class ApprovedSettlementList(BaseModel):
    year: int
    settlements: list[ApprovedSettlement]
