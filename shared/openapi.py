"""The OpenAPI document tells the truth about errors: every operation lists the problem+json
answers it can give, derived from what the route is, not written by hand route by route.

| answer | documented on |
|---|---|
| 401, 403 | routes behind a role check |
| 429 | routes open to providers (the role check limits provider tokens) |
| 404 | routes with a path parameter |
| 413 | routes that take a body |
| 422 | routes with any parameter or body (replaces FastAPI's `HTTPValidationError`, which
  this API never answers: its 422s are problem+json with an `errors` list) |
| 503 | every API route (the database or a peer may be away) |

A route adds what only it knows (409, 415, 502) with FastAPI's `responses=` and the
`problem_responses(...)` helper below.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, Field

from shared.auth import Role, api_routes, role_checks
from shared.errors import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class ProblemField(BaseModel):
    field: str = Field(description="the field, query parameter or `row N field` at fault")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] | None = Field(
        default=None, description="one entry per invalid field (422) or row"
    )


DESCRIPTIONS = {
    401: "No valid bearer token.",
    403: "The token's roles may not call this operation.",
    404: "No such resource (or not one the caller may see).",
    409: "The request conflicts with the stored state.",
    413: "The body is larger than the service accepts.",
    415: "The body is not of a media type this operation reads.",
    422: "A field, parameter or row is invalid; `errors` names each.",
    429: "The token's rate limit is exceeded; see Retry-After.",
    502: "A peer service answered outside its contract.",
    503: "The database or a peer service is unavailable; see Retry-After.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route's own error answers, e.g. `problem_responses(409)`."""
    return {status: _problem(status) for status in statuses}


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS.get(status, "An error."),
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }


def _has_inputs(dependant: Dependant) -> bool:
    stack = [dependant]
    while stack:
        dependant = stack.pop()
        if (
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.body_params
        ):
            return True
        stack.extend(dependant.dependencies)
    return False


def _statuses(path: str, method: str, dependant: Dependant) -> set[int]:
    statuses = {503}
    checks = role_checks(dependant)
    if checks:
        statuses |= {401, 403}
        if any(Role.provider in c.allowed_roles for c in checks):
            statuses.add(429)
    if "{" in path:
        statuses.add(404)
    if dependant.body_params or method in ("POST", "PUT", "PATCH"):
        statuses.add(413)
    if _has_inputs(dependant):
        statuses.add(422)
    return statuses


def add_problem_responses(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add the problem answers to every API operation of `schema`, the app's document."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["ProblemField"] = schemas["Problem"].pop("$defs")["ProblemField"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, methods, dependant in api_routes(app):
        if not path.startswith("/v1"):
            continue
        for method in methods:
            operation = schema["paths"].get(path, {}).get(method.lower())
            if operation is None:  # not in the document (include_in_schema=False)
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, method, dependant)):
                existing = responses.get(str(status))
                if existing is None or "HTTPValidationError" in str(existing):
                    responses[str(status)] = _problem(status)
