"""Monthly runs: create (region_admin), approve (finance_approver, four eyes), read totals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from services.payment import usecases
from services.payment.api.deps import AuditDep, ListingDep, RequestIdDep, SessionDep, SessionsDep
from services.payment.api.schemas import RunIn, RunList, RunOut
from services.payment.db import repository as repo
from shared.auth import Principal, Role, require_roles
from shared.errors import NotFound
from shared.period import Period

router = APIRouter(prefix="/v1/runs", tags=["runs"])
Readers = Depends(require_roles(Role.region_admin, Role.finance_approver, Role.ops, Role.service))


@router.post(
    "",
    response_model=RunOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": RunOut, "description": "nothing changed: the existing run"},
        503: {"description": "the listing service is unreachable"},
    },
)
def create_run(
    body: RunIn,
    response: Response,
    sessions: SessionsDep,
    listing: ListingDep,
    audit: AuditDep,
    rid: RequestIdDep,
    principal: Annotated[Principal, Depends(require_roles(Role.region_admin))],
) -> RunOut:
    """Run a period: 201 with a new version, or 200 with `unchanged: true` if nothing moved."""
    outcome = usecases.create_run(
        sessions=sessions,
        listing=listing,
        audit=audit,
        period=body.period,
        principal=principal,
        request_id=rid,
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return RunOut.of(outcome.run, unchanged=not outcome.created)


@router.get("", response_model=RunList)
def list_runs(
    session: SessionDep,
    _p: Annotated[Principal, Readers],
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> RunList:
    """Every version of a period (or of all periods): aggregate totals only, so ops may read it."""
    p = Period.parse(period) if period else None
    return RunList(period=p, runs=[RunOut.of(r) for r in repo.list_runs(session, p)])


@router.get("/{run_id}", response_model=RunOut)
def get_run(run_id: str, session: SessionDep, _p: Annotated[Principal, Readers]) -> RunOut:
    """One run's totals per component."""
    run = repo.get_run(session, run_id)
    if run is None:
        raise NotFound("no such run")
    return RunOut.of(run)


@router.post("/{run_id}/approve", response_model=RunOut)
def approve_run(
    run_id: str,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
    principal: Annotated[Principal, Depends(require_roles(Role.finance_approver))],
) -> RunOut:
    """Approve the latest version of a period; the approver must not be the run's creator."""
    return RunOut.of(
        usecases.approve_run(
            sessions=sessions, audit=audit, run_id=run_id, principal=principal, request_id=rid
        )
    )
