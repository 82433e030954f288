"""Payment models per year: PUT to decide, GET to read; a used model is never edited in place."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.payment import service
from services.payment.api.deps import (
    AdminOnly,
    AuditDep,
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
    """Set the year's model: unchanged is a no-op, a used model gets a new version (201)."""
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
