"""Last-resort models per year: data, not code, versioned once a settlement has used them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from services.lastresort import service
from services.lastresort.api import render
from services.lastresort.api.deps import (
    AdminOnly,
    AuditDep,
    FinanceApprover,
    PeersDep,
    ReadSessionDep,
    ReferenceReaders,
    RequestId,
    SessionDep,
    Version,
    Year,
)
from services.lastresort.api.schemas import (
    ApprovedModelList,
    ApprovedModelPutResult,
    ApprovedModelVersion,
)
from shared.money import DECIMAL_INTEGER_DIGITS
from shared.openapi import problem_responses
from shared.schemas.common import CareType
from shared.schemas.lastresort import (
    DeficitCappedModel,
    FixedSumModel,
    LastResortModel,
    ModelRef,
)

router = APIRouter(prefix="/v1/models", tags=["models"])
_MODEL: TypeAdapter[FixedSumModel | DeficitCappedModel] = TypeAdapter(LastResortModel)

# Limits this service sets at its edge beyond the contract (shared.schemas.lastresort).
# Sweden has 290 municipalities: no model names more.
MAX_MUNICIPALITIES = 290
# A settlement shows coverage × deficit exactly; the deficit has two decimals and a decimal
# travels with at most 20 (shared.money.DecimalStr), so coverage has at most 18.
COVERAGE_DECIMALS = 18


def _decimals(value: Decimal) -> int:
    """Decimals as written ("0.90" has two): trailing zeros carry into coverage × deficit."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _beyond_limits(model: FixedSumModel | DeficitCappedModel) -> list[dict[str, Any]]:
    if isinstance(model, FixedSumModel):
        if len(model.annual_sek_by_municipality) > MAX_MUNICIPALITIES:
            return [
                {
                    "type": "too_long",
                    "loc": ("body", model.method, "annual_sek_by_municipality"),
                    "msg": f"at most {MAX_MUNICIPALITIES} municipalities",
                }
            ]
    elif _decimals(model.coverage) > COVERAGE_DECIMALS:
        return [
            {
                "type": "decimal_max_places",
                "loc": ("body", model.method, "coverage"),
                "msg": f"coverage has at most {COVERAGE_DECIMALS} decimals",
            }
        ]
    return []


def _parse(body: dict[str, Any]) -> FixedSumModel | DeficitCappedModel:
    """Validate by hand so that a missing or unknown `method` is reported on that field, and
    strictly as JSON (the contract's `enabled: bool` would otherwise take "yes" or 1)."""
    try:
        model = _MODEL.validate_json(json.dumps(body), strict=True)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = ("method",) if e["type"].startswith("union_tag") else tuple(e["loc"])
            errors.append({**e, "loc": ("body", *loc)})
        raise RequestValidationError(errors) from exc
    beyond = _beyond_limits(model)
    if beyond:
        raise RequestValidationError(beyond)
    return model


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every `$ref` to its `$defs` replaced by the definition itself."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _body_schema() -> dict[str, Any]:
    """The request body as it is validated (the components show the answers), with this
    service's own limits, so that the document says what the code checks."""
    schema = _MODEL.json_schema()
    defs = schema.pop("$defs")
    fixed = defs["FixedSumModel"]["properties"]["annual_sek_by_municipality"]
    fixed["maxProperties"] = MAX_MUNICIPALITIES
    fixed["description"] = (
        f"the annual amount per municipality of the region, 1 to {MAX_MUNICIPALITIES} of them"
    )
    coverage = defs["DeficitCappedModel"]["properties"]["coverage"]
    coverage["pattern"] = (
        rf"^-?[0-9]{{1,{DECIMAL_INTEGER_DIGITS}}}(\.[0-9]{{1,{COVERAGE_DECIMALS}}})?$"
    )
    coverage["description"] = (
        f"the share of the deficit covered: from 0 to 1, at most {COVERAGE_DECIMALS} decimals"
    )
    schema.pop("discriminator", None)  # its mapping names components; the variants are inline
    inlined = _inline(schema, defs)
    assert isinstance(inlined, dict)
    return inlined


_BODY = {"required": True, "content": {"application/json": {"schema": _body_schema()}}}
_PUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "model": ApprovedModelPutResult,
        "description": "A new version was stored (the used one is kept as it was).",
        "headers": {
            "Location": {
                "description": "where the year's model versions are read",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    },
    **problem_responses(409, 502),
}


@router.put(
    "/{year}",
    response_model=ApprovedModelPutResult,
    responses=_PUT_RESPONSES,
    openapi_extra={"requestBody": _BODY},
)
def put_model(
    year: Year,
    body: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    audit: AuditDep,
    peers: PeersDep,
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
) -> ApprovedModelPutResult:
    """Set the year's model. Design: a model is keyed by (year, applies_to) where applies_to is
    `all` (no care_type, the default for both primary and dental) or one care type; a settlement
    uses its care type's own model if there is one, else the `all` model. Unknown keys are
    refused (422 naming the field), as are more than 290 municipalities and a coverage with more
    than 18 decimals. A version is a `draft` until a finance_approver other than its author
    approves it (POST .../versions/{version}/approve). An identical PUT changes nothing; a
    changed model updates the draft in place (its writer becomes its author), and once the
    newest version is approved becomes a new draft version (201), leaving the approved one as
    it was."""
    put = service.put_model(
        session=session,
        audit=audit,
        peers=peers,
        principal=principal,
        request_id=rid,
        year=year,
        care_type=care_type,
        model=_parse(body),
    )
    if put.outcome == "created":
        response.status_code = 201
        response.headers["Location"] = f"/v1/models/{year}"
    return ApprovedModelPutResult(
        **render.model_version(put.model).model_dump(), outcome=put.outcome
    )


@router.post(
    "/{year}/versions/{version}/approve",
    response_model=ApprovedModelVersion,
    responses=problem_responses(404, 409),
)
def approve_model(
    year: Year,
    version: Annotated[Version, Path()],
    session: SessionDep,
    audit: AuditDep,
    rid: RequestId,
    principal: FinanceApprover,
    care_type: Annotated[
        CareType | None,
        Query(description="as in the model's PUT: omit for the year's model for both care types"),
    ] = None,
    body_sha256: Annotated[
        str | None,
        Query(
            pattern="^[0-9a-f]{64}$",
            description="the body_sha256 of the version as read: approve only that body",
        ),
    ] = None,
) -> ApprovedModelVersion:
    """Approve a draft version (four eyes): refused (403) to the one who wrote it, 409 when it
    is approved already or, given `body_sha256`, its body changed since it was read (a draft
    is edited in place), 404 when there is no such version. Settlements use the newest
    approved version; approved versions never change."""
    approved = service.approve_model(
        session=session,
        audit=audit,
        principal=principal,
        request_id=rid,
        year=year,
        care_type=care_type,
        version=version,
        body_sha256=body_sha256,
    )
    return render.model_version(approved)


@router.get("/{year}", response_model=ApprovedModelList)
def get_models(
    year: Year, session: ReadSessionDep, principal: ReferenceReaders
) -> ApprovedModelList:
    """Every version of the year's models with its status, and the approved version each care
    type's settlement would use."""
    found = service.models(session=session, year=year)
    return ApprovedModelList(
        year=year,
        versions=[render.model_version(v) for v in found.versions],
        effective={
            t: None if v is None else ModelRef(applies_to=v.applies_to, version=v.version)
            for t, v in found.effective.items()
        },
    )
