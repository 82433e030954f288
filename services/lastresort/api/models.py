"""Last-resort models per year: data, not code, versioned once a settlement has used them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import Row

from services.lastresort.api.deps import (
    AuditDep,
    ConfigDep,
    ReadSessionDep,
    RequestId,
    SessionDep,
    admin_only,
    reference_readers,
)
from services.lastresort.db import repository as repo
from services.lastresort.settle import MODEL_ADAPTER, model_json, parse_model
from shared.auth import Principal
from shared.errors import Unprocessable
from shared.ratelimit import provider_rate_limit
from shared.schemas.common import CareType
from shared.schemas.lastresort import (
    DeficitCappedModel,
    FixedSumModel,
    ModelList,
    ModelPutResult,
    ModelRef,
    ModelVersion,
)

router = APIRouter(prefix="/v1/models", tags=["models"])
Year = Annotated[int, Path(ge=2000, le=2100)]


def _version(r: Row[Any]) -> ModelVersion:
    return ModelVersion(
        year=r.year,
        applies_to=r.applies_to,
        version=r.version,
        used=r.used,
        model=parse_model(r.body),
        updated_at=repo.aware(r.updated_at),
    )


def _parse(body: dict[str, Any]) -> FixedSumModel | DeficitCappedModel:
    """Validate by hand so that a missing or unknown `method` is reported on that field."""
    try:
        return MODEL_ADAPTER.validate_python(body)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = ("method",) if e["type"].startswith("union_tag") else tuple(e["loc"])
            errors.append({**e, "loc": ("body", *loc)})
        raise RequestValidationError(errors) from exc


_SCHEMA = MODEL_ADAPTER.json_schema(ref_template="#/components/schemas/{model}")
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
    principal: Annotated[Principal, Depends(admin_only)],
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
    model = _parse(body)
    if isinstance(model, FixedSumModel):
        foreign = sorted(set(model.annual_sek_by_municipality) - set(config.municipality_codes))
        if foreign:
            raise Unprocessable(
                "annual_sek_by_municipality names municipalities outside the region: "
                + ", ".join(foreign),
                errors=[
                    {
                        "field": f"annual_sek_by_municipality.{c}",
                        "message": "not a municipality of the region",
                    }
                    for c in foreign
                ],
            )
    applies_to: Literal["all", "primary", "dental"] = care_type.value if care_type else "all"
    with session.begin():
        row, outcome = repo.put_model(
            session, year=year, applies_to=applies_to, body=model_json(model)
        )
        if outcome != "unchanged":
            audit.record(
                session,
                principal=principal,
                action=f"model.{outcome}",
                entity_type="model",
                entity_id=f"{year}/{applies_to}/{row.version}",
                request_id=rid,
                details={"method": model.method},
            )
    if outcome == "created":
        response.status_code = 201
    return ModelPutResult(**_version(row).model_dump(), outcome=outcome)


@router.get(
    "/{year}",
    response_model=ModelList,
    dependencies=[Depends(reference_readers), Depends(provider_rate_limit)],
)
def get_models(year: Year, session: ReadSessionDep) -> ModelList:
    """Every version of the year's models and which one each care type's settlement would use."""
    rows = repo.model_versions(session, year)
    effective: dict[CareType, ModelRef | None] = {}
    for t in CareType:
        r = repo.effective_model(session, year, t.value)
        effective[t] = None if r is None else ModelRef(applies_to=r.applies_to, version=r.version)
    session.rollback()
    return ModelList(year=year, versions=[_version(r) for r in rows], effective=effective)
