"""Payment models per year: PUT to decide, GET to read; a used model is never edited in place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy.exc import IntegrityError

from services.payment.api.deps import AuditDep, RequestIdDep, SessionDep, SessionsDep
from services.payment.api.schemas import ModelOut
from services.payment.db import repository as repo
from services.payment.domain.model import PaymentModel
from shared.auth import Principal, Role, require_roles
from shared.errors import Conflict, NotFound

router = APIRouter(prefix="/v1/models", tags=["models"])
Year = Annotated[int, Path(ge=2000, le=2100)]


@router.put(
    "/{year}",
    response_model=ModelOut,
    responses={201: {"model": ModelOut, "description": "first or new version"}},
)
def put_model(
    year: Year,
    body: PaymentModel,
    response: Response,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
    principal: Annotated[Principal, Depends(require_roles(Role.region_admin))],
) -> ModelOut:
    """Set the year's model: unchanged is a no-op, a used model gets a new version (201)."""
    try:
        with sessions() as session, session.begin():
            stored, outcome = repo.put_model(session, year=year, model=body, sub=principal.sub)
            if outcome != "unchanged":
                audit.record(
                    session,
                    principal=principal,
                    action=f"model.{outcome}",
                    entity_type="payment_model",
                    entity_id=f"{year}/v{stored.version}",
                    request_id=rid,
                )
    except IntegrityError as exc:  # a concurrent PUT created the same version first
        raise Conflict(f"the {year} model was changed meanwhile; PUT again") from exc
    if outcome in ("created", "new_version"):
        response.status_code = status.HTTP_201_CREATED
    return ModelOut.of(stored, outcome)


@router.get("/{year}", response_model=ModelOut)
def get_model(
    year: Year,
    session: SessionDep,
    _p: Annotated[
        Principal,
        Depends(require_roles(Role.region_admin, Role.finance_approver, Role.ops, Role.service)),
    ],
    version: Annotated[int | None, Query(ge=1)] = None,
) -> ModelOut:
    """The year's newest model version, or the given one."""
    stored = repo.get_model(session, year, version)
    if stored is None:
        raise NotFound(f"no payment model for {year}" + (f" version {version}" if version else ""))
    return ModelOut.of(stored)
