"""Bodies of the payment service's own routes (the cross-service ones are in shared/schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.payment.db.repository import RunRecord, StoredModel
from services.payment.domain.calculation import MonthResult
from services.payment.domain.components import component_order
from services.payment.domain.model import PaymentModel
from services.payment.domain.simulation import PCT_PLACES, Tally, delta_pct, figure_ids
from services.payment.domain.staleness import StaleReason
from services.payment.domain.year import Account
from services.payment.service import (
    Counted,
    FeedState,
    PeriodState,
    Preview,
    YearPeriods,
    YearSimulation,
    YearView,
)
from shared.errors import Unprocessable
from shared.money import SEK, DecimalStr, from_ore
from shared.period import Period, PeriodStr
from shared.schemas.common import HsaId
from shared.schemas.payment import RunStatus
from shared.values import Year as YearValue

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
    """Two forms. One month: {"period", "model"} (a full model). The year's what-if:
    {"year", "patch"} (an RFC 7396 JSON merge patch onto the year's latest approved model
    version, else the year before's) or {"year", "model"}. `form()` tells them apart."""

    model_config = ConfigDict(extra="forbid")

    period: PeriodStr | None = None
    year: YearValue | None = None
    model: PaymentModel | None = None
    patch: dict[str, Any] | None = Field(
        default=None,
        description="an RFC 7396 JSON merge patch onto the basis model (null removes a member, "
        "an object merges, anything else replaces), e.g. "
        '{"shares": {"capitation": "0.45", "cni": "0.35"}}',
    )

    def form(self) -> Literal["month", "year"]:
        """Which form the body is; a mixed or incomplete one is a 422 naming the field."""
        problems: list[dict[str, str]] = []
        if self.period is not None:
            if self.year is not None:
                problems.append({"field": "year", "message": "give period or year, not both"})
            if self.patch is not None:
                problems.append({"field": "patch", "message": "the one-month form takes a model"})
            elif self.model is None:
                problems.append({"field": "model", "message": "required with period"})
        elif self.year is None:
            problems.append(
                {"field": "year", "message": "required: year (the year) or period (one month)"}
            )
        elif (self.patch is None) == (self.model is None):
            problems.append(
                {"field": "patch", "message": "give either patch or model with year, not both"}
                if self.patch is not None
                else {"field": "patch", "message": "required with year (or a full model)"}
            )
        if problems:
            fields = ", ".join(sorted({p["field"] for p in problems}))
            raise Unprocessable(f"invalid request: {fields}", errors=problems)
        return "month" if self.period is not None else "year"


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


_PCT = (
    "(proposed − current) / current × 100: a percent as a decimal string rounded half up to "
    f"{PCT_PLACES} decimals; null when current is 0 or there is no current"
)


class _Figure(BaseModel):
    current_sek: SEK | None  # null: no current model (nothing approved this year or last)
    proposed_sek: SEK
    delta_sek: SEK | None
    delta_pct: DecimalStr | None = Field(description=_PCT)


class SimulationFigure(_Figure):
    """One figure over the year: the current amount, the proposed one, and the change."""

    @classmethod
    def of(cls, current_ore: int | None, proposed_ore: int) -> SimulationFigure:
        return cls(
            current_sek=from_ore(current_ore) if current_ore is not None else None,
            proposed_sek=from_ore(proposed_ore),
            delta_sek=from_ore(proposed_ore - current_ore) if current_ore is not None else None,
            delta_pct=delta_pct(current_ore, proposed_ore) if current_ore is not None else None,
        )


class _Component(BaseModel):
    component: str  # a component id, or vat_compensation


class SimulationComponent(_Figure, _Component):
    @classmethod
    def of_tally(cls, tally: Tally) -> list[SimulationComponent]:
        out = []
        for k in figure_ids():
            now = tally.current.get(k, 0) if tally.current is not None else None
            fig = SimulationFigure.of(now, tally.proposed.get(k, 0))
            out.append(cls(component=k, **fig.model_dump()))
        return out


class _Components(BaseModel):
    components: list[SimulationComponent]


class YearSimulationTotal(_Components, _Figure):
    @classmethod
    def of_tally(cls, tally: Tally) -> YearSimulationTotal:
        fig = SimulationFigure.of(tally.current_ore, tally.proposed_ore)
        return cls(**fig.model_dump(), components=SimulationComponent.of_tally(tally))


class _Unit(BaseModel):
    hsa_id: HsaId
    unit_name: str | None


class YearSimulationUnit(_Components, _Figure, _Unit):
    """A unit's year, in all and per component."""


class SimulationCounts(BaseModel):
    """The counts one side of a month used: `counted_on` is the model's `count_date` once that
    has come (the business date), else the latest count date that has (`count_date_reached`
    false), as the listing service knew it at `as_known_at`."""

    model_version: int | None  # the approved version in force; null: the proposal
    count_date: dt.date
    counted_on: dt.date
    count_date_reached: bool
    as_known_at: dt.datetime

    @classmethod
    def of(cls, c: Counted | None) -> SimulationCounts | None:
        if c is None:
            return None
        return cls(
            model_version=c.model_version,
            count_date=c.count_date,
            counted_on=c.counted_on,
            count_date_reached=c.count_date == c.counted_on,
            as_known_at=c.as_known_at,
        )


class _Month(BaseModel):
    period: PeriodStr


class YearSimulationMonth(_Figure, _Month):
    current: SimulationCounts | None  # null: no version in force for the month
    proposed: SimulationCounts | None


class SimulationBasis(BaseModel):
    """The approved version the patch applied to, and the current figures' model: the year's
    own (the current is then its approved versions in force, month by month), or the year
    before's (`rolled_over`: the current continues it from January)."""

    year: int
    version: int
    rolled_over: bool


class YearSimulationOut(BaseModel):
    """The year's what-if: per unit and in total, per component and in all, current against
    proposed over the twelve months, both on the same counts. Nothing is stored."""

    year: int
    business_date: dt.date
    basis: SimulationBasis | None
    proposed_model: PaymentModel  # the model simulated (the patch applied)
    delta_pct_places: int = PCT_PLACES
    total: YearSimulationTotal
    months: list[YearSimulationMonth]
    units: list[YearSimulationUnit]

    @classmethod
    def of(cls, sim: YearSimulation) -> YearSimulationOut:
        def month_ore(result: MonthResult | None) -> int:
            return result.total_ore if result is not None else 0

        with_current = sim.tally.total.current is not None
        return cls(
            year=sim.year,
            business_date=sim.today,
            basis=SimulationBasis(
                year=sim.basis.year, version=sim.basis.version, rolled_over=sim.rolled_over
            )
            if sim.basis is not None
            else None,
            proposed_model=sim.proposed,
            total=YearSimulationTotal.of_tally(sim.tally.total),
            months=[
                YearSimulationMonth(
                    period=m.period,
                    current=SimulationCounts.of(m.current_counts),
                    proposed=SimulationCounts.of(m.proposed_counts),
                    **SimulationFigure.of(
                        month_ore(m.current) if with_current else None, month_ore(m.proposed)
                    ).model_dump(),
                )
                for m in sim.months
            ],
            units=[
                YearSimulationUnit(
                    hsa_id=h, unit_name=t.name, **YearSimulationTotal.of_tally(t).model_dump()
                )
                for h, t in sim.tally.units.items()
            ],
        )


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
