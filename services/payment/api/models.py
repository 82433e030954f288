"""Payment models per year: PUT writes a draft, a second person approves it, GET reads.

An approved version is never edited: a PUT then makes the next draft version.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

from services.payment import service
from services.payment.api.deps import (
    AdminOnly,
    AuditDep,
    FinanceApprover,
    ModelReaders,
    RequestIdDep,
    SessionsDep,
    Version,
    Year,
)
from services.payment.api.schemas import LOCATION, ModelOut
from services.payment.domain.model import PaymentModel
from shared.openapi import problem_responses

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.put(
    "/{year}",
    response_model=ModelOut,
    responses={
        201: {
            "model": ModelOut,
            "description": "first or new version",
            "headers": {"Location": LOCATION},
        },
        **problem_responses(409),
    },
)
def put_model(
    year: Year,
    body: PaymentModel,
    response: Response,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
    principal: AdminOnly,
) -> ModelOut:
    """Write the year's model as a draft: unchanged is a no-op, a draft is edited in place, an
    approved version gets a new draft version (201). Runs use it once it is approved."""
    put = service.put_model(
        sessions=sessions, audit=audit, year=year, model=body, principal=principal, request_id=rid
    )
    if put.outcome in ("created", "new_version"):
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/v1/models/{year}?version={put.stored.version}"
    return ModelOut.of(put.stored, put.outcome)


@router.get("/{year}", response_model=ModelOut)
def get_model(
    year: Year,
    sessions: SessionsDep,
    _p: ModelReaders,
    version: Version = None,
) -> ModelOut:
    """The year's newest model version, or the given one."""
    return ModelOut.of(service.get_model(sessions=sessions, year=year, version=version))


# Payment models are primary care's (dental care is a later issue): the query is accepted so
# that the call is the same in every service, and anything else is refused (422).
CareTypeQuery = Annotated[
    Literal["primary"] | None,
    Query(description="the care type of the model; only primary care has payment models"),
]
ModelVersion = Annotated[int, Path(ge=1, le=2_147_483_647, description="the version (1 or more)")]


@router.post(
    "/{year}/versions/{version}/approve",
    response_model=ModelOut,
    responses=problem_responses(403, 404, 409),
)
def approve_model(
    year: Year,
    version: ModelVersion,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
    principal: FinanceApprover,
    care_type: CareTypeQuery = None,
) -> ModelOut:
    """Four eyes: a finance_approver other than the version's author approves its draft (the
    author: 403; approved already: 409). It then governs the year from its effective_from."""
    return ModelOut.of(
        service.approve_model(
            sessions=sessions,
            audit=audit,
            year=year,
            version=version,
            principal=principal,
            request_id=rid,
        )
    )
