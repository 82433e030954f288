"""A year's periods: which approved months went stale, and what a re-run would pay now."""

from __future__ import annotations

from fastapi import APIRouter

from services.payment import service
from services.payment.api.deps import (
    AdminOnly,
    ListingDep,
    PeriodPath,
    RunReaders,
    SessionsDep,
    TodayDep,
    YearQuery,
)
from services.payment.api.schemas import PeriodList, PreviewOut
from shared.openapi import problem_responses
from shared.period import Period

router = APIRouter(prefix="/v1/periods", tags=["periods"])


@router.get("", response_model=PeriodList)
def list_periods(
    year: YearQuery,
    sessions: SessionsDep,
    listing: ListingDep,
    today: TodayDep,
    _p: RunReaders,
) -> PeriodList:
    """Every period of the year: its latest version, its latest approved version, and whether
    that one is stale (a listing or unit change covering its count date recorded since, or a
    newer model version). Follows the listing feed first; if the listing service is away the
    answer is from the stored feed and `feed.current` is false."""
    return PeriodList.of(
        service.year_periods(sessions=sessions, listing=listing, year=year, today=today)
    )


@router.post(
    "/{period}/preview", response_model=PreviewOut, responses=problem_responses(404, 409, 502)
)
def preview_period(
    period: PeriodPath,
    sessions: SessionsDep,
    listing: ListingDep,
    today: TodayDep,
    _p: AdminOnly,
) -> PreviewOut:
    """What a re-run of the period would pay now, per unit against the latest approved version
    (else the latest): new, previous, delta. Stores nothing. 404 without the year's model,
    409 before the count date, as POST /v1/runs."""
    return PreviewOut.of(
        service.preview_period(
            sessions=sessions, listing=listing, period=Period.parse(period), today=today
        )
    )
