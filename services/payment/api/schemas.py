"""Bodies of the payment service's own routes (the cross-service ones are in shared/schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.payment.db.repository import RunRecord, StoredModel
from services.payment.domain.components import component_order
from services.payment.domain.model import PaymentModel
from services.payment.domain.staleness import StaleReason
from services.payment.domain.year import Account
from services.payment.service import FeedState, PeriodState, Preview, YearPeriods, YearView
from shared.money import SEK, DecimalStr, from_ore
from shared.period import Period, PeriodStr
from shared.schemas.common import HsaId
from shared.schemas.payment import RunStatus

# The header every 201 carries: where the created resource is read.
LOCATION: dict[str, Any] = {
    "description": "the path of what was created",
    "schema": {"type": "string"},
}


class ModelOut(BaseModel):
    year: int
    version: int
    used: bool
    created_at: dt.datetime
    created_by: str
    model: PaymentModel
    outcome: str | None = None  # on PUT: created, updated, new_version or unchanged
    # Four eyes: draft until a finance_approver other than created_by approves it; approved, it
    # governs the year from effective_from on (a period of the year).
    status: Literal["draft", "approved"]
    effective_from: PeriodStr
    approved_by: str | None
    approved_at: dt.datetime | None

    @classmethod
    def of(cls, stored: StoredModel, outcome: str | None = None) -> ModelOut:
        return cls(
            year=stored.year,
            version=stored.version,
            used=stored.used,
            created_at=stored.created_at,
            created_by=stored.created_by,
            model=stored.model,
            outcome=outcome,
            status=stored.status,
            effective_from=stored.effective_from or Period(stored.year, 1),
            approved_by=stored.approved_by,
            approved_at=stored.approved_at,
        )


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: PeriodStr


class ComponentOut(BaseModel):
    component: str  # an id of the component registry (services/payment/domain/components.py)
    pool_sek: SEK
    total_weight: DecimalStr
    distributed_sek: SEK
    undistributed_sek: SEK


class RunOut(BaseModel):
    run_id: str
    period: PeriodStr
    version: int
    status: RunStatus
    count_date: dt.date
    as_known_at: dt.datetime
    model_year: int
    model_version: int
    pool_sek: SEK
    total_sek: SEK
    undistributed_sek: SEK
    delta_sek: SEK | None
    created_by: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    components: list[ComponentOut]
    unchanged: bool = False

    @classmethod
    def of(cls, run: RunRecord, *, unchanged: bool = False) -> RunOut:
        return cls(
            run_id=run.run_id,
            period=run.period,
            version=run.version,
            status=run.status,
            count_date=run.count_date,
            as_known_at=run.as_known_at,
            model_year=run.model_year,
            model_version=run.model_version,
            pool_sek=from_ore(run.pool_ore),
            total_sek=from_ore(run.total_ore),
            undistributed_sek=from_ore(run.undistributed_ore),
            delta_sek=from_ore(run.delta_ore) if run.delta_ore is not None else None,
            created_by=run.created_by,
            created_at=run.created_at,
            approved_by=run.approved_by,
            approved_at=run.approved_at,
            unchanged=unchanged,
            components=[
                ComponentOut(
                    component=c.component,
                    pool_sek=from_ore(c.pool_ore),
                    total_weight=c.total_weight,
                    distributed_sek=from_ore(c.distributed_ore),
                    undistributed_sek=from_ore(c.undistributed_ore),
                )
                for c in run.components
            ],
        )


class RunList(BaseModel):
    period: PeriodStr | None
    runs: list[RunOut]


class SimulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: PeriodStr
    model: PaymentModel


class SimulationUnit(BaseModel):
    hsa_id: HsaId
    unit_name: str | None
    current_sek: SEK | None
    proposed_sek: SEK
    difference_sek: SEK | None


class SimulationOut(BaseModel):
    period: PeriodStr
    as_known_at: dt.datetime | None
    current_model_version: int | None
    current_total_sek: SEK | None
    proposed_total_sek: SEK
    current_undistributed_sek: SEK | None
    proposed_undistributed_sek: SEK
    units: list[SimulationUnit]


# --- periods --------------------------------------------------------------------------------


class FeedOut(BaseModel):
    """How far the listing feed was followed: `current` false means the listing service could
    not be followed just now (`detail` says why) and the answer is from what was stored."""

    cursor: int
    followed_at: dt.datetime | None
    current: bool
    detail: str | None = None

    @classmethod
    def of(cls, feed: FeedState) -> FeedOut:
        return cls(
            cursor=feed.cursor,
            followed_at=feed.followed_at,
            current=feed.current,
            detail=feed.detail,
        )


class ChangesReason(BaseModel):
    kind: Literal["listings", "units"]
    changes: int


class ModelReason(BaseModel):
    kind: Literal["model"]
    version: int


StaleReasonOut = Annotated[ChangesReason | ModelReason, Field(discriminator="kind")]


def reasons_out(reasons: list[StaleReason]) -> list[ChangesReason | ModelReason]:
    out: list[ChangesReason | ModelReason] = []
    for r in reasons:
        if r.kind == "model":
            assert r.version is not None
            out.append(ModelReason(kind="model", version=r.version))
        else:
            assert r.changes is not None
            out.append(ChangesReason(kind=r.kind, changes=r.changes))
    return out


class VersionRef(BaseModel):
    version: int
    status: RunStatus
    run_id: str

    @classmethod
    def of(cls, run: RunRecord | None) -> VersionRef | None:
        return cls(version=run.version, status=run.status, run_id=run.run_id) if run else None


class ApprovedVersion(BaseModel):
    """The latest approved version and what its staleness is measured from."""

    version: int
    run_id: str
    count_date: dt.date
    as_known_at: dt.datetime
    confirmed_as_known_at: dt.datetime | None  # a later re-run found it unchanged as known then
    model_version: int
    total_sek: SEK

    @classmethod
    def of(cls, run: RunRecord | None) -> ApprovedVersion | None:
        if run is None:
            return None
        return cls(
            version=run.version,
            run_id=run.run_id,
            count_date=run.count_date,
            as_known_at=run.as_known_at,
            confirmed_as_known_at=run.confirmed_as_known_at,
            model_version=run.model_version,
            total_sek=from_ore(run.total_ore),
        )


class PeriodOut(BaseModel):
    period: PeriodStr
    count_date: dt.date | None  # by the approved version in force; null without one
    can_run: bool  # a version is in force and its count date has come (the business date)
    latest_version: VersionRef | None
    approved_version: ApprovedVersion | None
    stale: bool
    reasons: list[StaleReasonOut]

    @classmethod
    def of(cls, state: PeriodState) -> PeriodOut:
        return cls(
            period=state.period,
            count_date=state.count_date,
            can_run=state.can_run,
            latest_version=VersionRef.of(state.latest),
            approved_version=ApprovedVersion.of(state.approved),
            stale=bool(state.reasons),
            reasons=reasons_out(state.reasons),
        )


class PeriodList(BaseModel):
    year: int
    model_version: int | None  # the year's newest model version
    feed: FeedOut
    periods: list[PeriodOut]

    @classmethod
    def of(cls, year: YearPeriods) -> PeriodList:
        return cls(
            year=year.year,
            model_version=year.model_version,
            feed=FeedOut.of(year.feed),
            periods=[PeriodOut.of(p) for p in year.periods],
        )


class PreviewUnitOut(BaseModel):
    hsa_id: HsaId
    unit_name: str | None
    new_sek: SEK
    previous_sek: SEK | None  # null when the period was never run
    delta_sek: SEK | None


class PreviewOut(BaseModel):
    """What POST /v1/runs would pay now, beside `compared_with` (the latest approved version,
    else the latest one; null when never run). Nothing is stored."""

    period: PeriodStr
    count_date: dt.date
    as_known_at: dt.datetime
    model_version: int
    compared_with: VersionRef | None
    unchanged: bool  # POST /v1/runs would answer `unchanged: true` (same as the latest version)
    stale: bool
    reasons: list[StaleReasonOut]
    new_total_sek: SEK
    new_undistributed_sek: SEK
    previous_total_sek: SEK | None
    delta_sek: SEK | None
    units: list[PreviewUnitOut]
    feed: FeedOut

    @classmethod
    def of(cls, preview: Preview) -> PreviewOut:
        computed = preview.computed
        units = [
            PreviewUnitOut(
                hsa_id=u.hsa_id,
                unit_name=u.name,
                new_sek=from_ore(u.new_ore),
                previous_sek=from_ore(u.previous_ore) if u.previous_ore is not None else None,
                delta_sek=(
                    from_ore(u.new_ore - u.previous_ore) if u.previous_ore is not None else None
                ),
            )
            for u in preview.units
        ]
        compared = preview.compared_with
        previous = sum(u.previous_ore or 0 for u in preview.units) if compared else None
        return cls(
            period=computed.result.period,
            count_date=computed.count_date,
            as_known_at=computed.as_known_at,
            model_version=computed.stored.version,
            compared_with=VersionRef.of(compared),
            unchanged=preview.unchanged,
            stale=bool(preview.reasons),
            reasons=reasons_out(preview.reasons),
            new_total_sek=from_ore(computed.result.total_ore),
            new_undistributed_sek=from_ore(computed.result.undistributed_ore),
            previous_total_sek=from_ore(previous) if previous is not None else None,
            delta_sek=(
                from_ore(computed.result.total_ore - previous) if previous is not None else None
            ),
            units=units,
            feed=FeedOut.of(preview.feed),
        )


# --- the year's account (GET /v1/years/{year}) ---------------------------------------------


class ShortfallOut(BaseModel):
    """Part of the difference and why: not_approved (periods with no approved run),
    other_version (approved under another model version than the one in force: stale, reason
    model), undistributed (öre no unit received), unexplained (should never appear)."""

    kind: Literal["not_approved", "other_version", "undistributed", "unexplained"]
    sek: SEK
    periods: list[PeriodStr] = Field(default_factory=list)


class AccountOut(BaseModel):
    frame_sek: SEK  # the annual amount (whole öre; the components add up to the frame)
    approved_pool_sek: SEK
    distributed_sek: SEK
    undistributed_sek: SEK
    difference_sek: SEK  # frame − distributed
    adds_up: bool
    why: list[ShortfallOut]

    @classmethod
    def of(cls, a: Account, year: int) -> AccountOut:
        return cls(
            frame_sek=from_ore(a.frame_ore),
            approved_pool_sek=from_ore(a.approved_pool_ore),
            distributed_sek=from_ore(a.distributed_ore),
            undistributed_sek=from_ore(a.undistributed_ore),
            difference_sek=from_ore(a.difference_ore),
            adds_up=a.adds_up,
            why=[
                ShortfallOut(
                    kind=s.kind,
                    sek=from_ore(s.ore),
                    periods=[Period(year, m) for m in s.months],
                )
                for s in a.shortfalls
            ],
        )


class YearComponentOut(AccountOut):
    component: str


class YearPeriodComponentOut(BaseModel):
    component: str
    scheduled_sek: SEK  # the pool under the versions in force
    pool_sek: SEK | None  # the approved run's pool
    distributed_sek: SEK | None
    undistributed_sek: SEK | None


class YearPeriodOut(BaseModel):
    period: PeriodStr
    model_version: int | None  # the approved model version in force for the period
    approved_run_id: str | None
    approved_version: int | None  # the run version
    approved_model_version: int | None  # the model version the approved run used
    current: bool  # the approved run used the version in force and its pools
    vat_compensation_sek: SEK
    components: list[YearPeriodComponentOut]


class YearOut(BaseModel):
    year: int
    model_version: int  # the version in force for December: its annual amounts are the frame
    total: AccountOut
    components: list[YearComponentOut]
    # Momskompensation paid by the approved runs: on top of the frame, never part of it.
    vat_compensation_sek: SEK
    periods: list[YearPeriodOut]

    @classmethod
    def of(cls, v: YearView) -> YearOut:
        return cls(
            year=v.year,
            model_version=v.model_version,
            total=AccountOut.of(v.total, v.year),
            components=[
                YearComponentOut(component=k, **AccountOut.of(a, v.year).model_dump())
                for k, a in v.components.items()
            ],
            vat_compensation_sek=from_ore(v.vat_ore),
            periods=[_year_period(p) for p in v.periods],
        )


def _year_period(p: Any) -> YearPeriodOut:
    run = p.approved
    pools = {c.component: c for c in run.components} if run else {}
    return YearPeriodOut(
        period=p.period,
        model_version=p.model_version,
        approved_run_id=run.run_id if run else None,
        approved_version=run.version if run else None,
        approved_model_version=run.model_version if run else None,
        current=p.current,
        vat_compensation_sek=from_ore(p.vat_ore),
        components=[
            YearPeriodComponentOut(
                component=k,
                scheduled_sek=from_ore(p.scheduled.get(k, 0)),
                pool_sek=from_ore(pools[k].pool_ore) if k in pools else None,
                distributed_sek=from_ore(pools[k].distributed_ore) if k in pools else None,
                undistributed_sek=(
                    from_ore(pools[k].pool_ore - pools[k].distributed_ore) if k in pools else None
                ),
            )
            for k in sorted(set(p.scheduled) | set(pools), key=component_order())
        ],
    )
