"""Last-resort models per year: data, not code, versioned once a settlement has used them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from services.lastresort import service
from services.lastresort.api import render
from services.lastresort.api.deps import (
    AdminOnly,
    AuditDep,
    ConfigDep,
    ReadSessionDep,
    ReferenceReaders,
    RequestId,
    SessionDep,
    Year,
)
from shared.ratelimit import provider_rate_limit
from shared.schemas.common import CareType
from shared.schemas.lastresort import (
    DeficitCappedModel,
    FixedSumModel,
    LastResortModel,
    ModelList,
    ModelPutResult,
    ModelRef,
)

router = APIRouter(prefix="/v1/models", tags=["models"])
_MODEL: TypeAdapter[FixedSumModel | DeficitCappedModel] = TypeAdapter(LastResortModel)


def _parse(body: dict[str, Any]) -> FixedSumModel | DeficitCappedModel:
    """Validate by hand so that a missing or unknown `method` is reported on that field."""
    try:
        return _MODEL.validate_python(body)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = ("method",) if e["type"].startswith("union_tag") else tuple(e["loc"])
            errors.append({**e, "loc": ("body", *loc)})
        raise RequestValidationError(errors) from exc


_SCHEMA = _MODEL.json_schema(ref_template="#/components/schemas/{model}")
_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {k: v for k, v in _SCHEMA.items() if k != "$defs"}}},
}


@router.put("/{year}", response_model=ModelPutResult, openapi_extra={"requestBody": _BODY})
def put_model(
    year: Year,
    body: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    audit: AuditDep,
    config: ConfigDep,
    rid: RequestId,
    response: Response,
    principal: AdminOnly,
    care_type: Annotated[
        CareType | None,
        Query(
            description="omit for the year's model for both care types; give it for a care "
            "type's own model, which then takes precedence for that care type"
        ),
    ] = None,
) -> ModelPutResult:
    """Set the year's model. Design: a model is keyed by (year, applies_to) where applies_to is
    `all` (no care_type, the default for both primary and dental) or one care type; a settlement
    uses its care type's own model if there is one, else the `all` model. Unknown keys are
    refused (422 naming the field). An identical PUT changes nothing; a changed model updates
    the version in place while no settlement has used it, and otherwise becomes a new version
    (201), leaving the used one as it was."""
    put = service.put_model(
        session=session,
        audit=audit,
        config=config,
        principal=principal,
        request_id=rid,
        year=year,
        care_type=care_type,
        model=_parse(body),
    )
    if put.outcome == "created":
        response.status_code = 201
    return ModelPutResult(**render.model_version(put.model).model_dump(), outcome=put.outcome)


@router.get("/{year}", response_model=ModelList, dependencies=[Depends(provider_rate_limit)])
def get_models(year: Year, session: ReadSessionDep, principal: ReferenceReaders) -> ModelList:
    """Every version of the year's models and which one each care type's settlement would use."""
    found = service.models(session=session, year=year)
    return ModelList(
        year=year,
        versions=[render.model_version(v) for v in found.versions],
        effective={
            t: None if v is None else ModelRef(applies_to=v.applies_to, version=v.version)
            for t, v in found.effective.items()
        },
    )
