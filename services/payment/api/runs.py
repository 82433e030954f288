"""Monthly runs: create (region_admin), approve (finance_approver, four eyes), read totals."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.payment import service
from services.payment.api.deps import (
    AdminOnly,
    AuditDep,
    FinanceApprover,
    ListingDep,
    PeriodQuery,
    RequestIdDep,
    RunId,
    RunReaders,
    SessionsDep,
    TodayDep,
)
from services.payment.api.schemas import LOCATION, RunIn, RunList, RunOut
from shared.openapi import problem_responses
from shared.period import Period

router = APIRouter(prefix="/v1/runs", tags=["runs"])


@router.post(
    "",
    response_model=RunOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "a new version of the period", "headers": {"Location": LOCATION}},
        200: {"model": RunOut, "description": "nothing changed: the existing run"},
        # 404: the period's year has no payment model; 409: among others, a period whose
        # count date is after today ("period 2027-01 counts on 2026-12-31; it can run from
        # 2026-12-31")
        **problem_responses(404, 409, 502),
    },
)
def create_run(
    body: RunIn,
    response: Response,
    sessions: SessionsDep,
    listing: ListingDep,
    audit: AuditDep,
    rid: RequestIdDep,
    today: TodayDep,
    principal: AdminOnly,
) -> RunOut:
    """Run a period: 201 with a new version, or 200 with `unchanged: true` if nothing moved.

    A period whose count date is after today (Europe/Stockholm, or HALSOVAL_TODAY) is 409,
    naming the date from which it can run.
    """
    outcome = service.create_run(
        sessions=sessions,
        listing=listing,
        audit=audit,
        period=body.period,
        today=today,
        principal=principal,
        request_id=rid,
    )
    if outcome.created:
        response.headers["Location"] = f"/v1/runs/{outcome.run.run_id}"
    else:
        response.status_code = status.HTTP_200_OK
    return RunOut.of(outcome.run, unchanged=not outcome.created)


@router.get("", response_model=RunList)
def list_runs(
    sessions: SessionsDep,
    _p: RunReaders,
    period: PeriodQuery | None = None,
) -> RunList:
    """Every version of a period (or of all periods): aggregate totals only, so ops may read it."""
    p = Period.parse(period) if period is not None else None
    return RunList(
        period=p, runs=[RunOut.of(r) for r in service.list_runs(sessions=sessions, period=p)]
    )


@router.get("/{run_id}", response_model=RunOut)
def get_run(run_id: RunId, sessions: SessionsDep, _p: RunReaders) -> RunOut:
    """One run's totals per component."""
    return RunOut.of(service.get_run(sessions=sessions, run_id=run_id))


@router.post("/{run_id}/approve", response_model=RunOut, responses=problem_responses(409))
def approve_run(
    run_id: RunId,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
    today: TodayDep,
    principal: FinanceApprover,
) -> RunOut:
    """Approve the latest version of a period; the approver must not be the run's creator.
    A run whose count date is after today is 409 (it can be approved from that date)."""
    return RunOut.of(
        service.approve_run(
            sessions=sessions,
            audit=audit,
            run_id=run_id,
            today=today,
            principal=principal,
            request_id=rid,
        )
    )
