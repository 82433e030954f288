"""Statements: what each unit is paid, as JSON, CSV or PDF.

Roles: region_admin, finance_approver and service read every statement; a provider reads
only its own units' statements of approved runs (enforced in the repository query, so a
statement it may not see is indistinguishable from one that does not exist: 404). ops is
deliberately not allowed here: it reads aggregate run totals through /v1/runs only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.payment import service
from services.payment.api.deps import ReadSessionsDep, StatementReaders
from services.payment.api.render import statement_csv, statement_pdf
from shared.errors import PROBLEM_JSON, HalsovalError
from shared.openapi import PROBLEM_REF
from shared.patterns import HSA_ID_MAX_LENGTH, PERIOD_PATTERN
from shared.period import Period
from shared.ratelimit import provider_rate_limit
from shared.schemas.payment import Statement, StatementList

router = APIRouter(prefix="/v1/statements", tags=["statements"])
RateLimited = [Depends(provider_rate_limit)]


class NotAcceptable(HalsovalError):
    status_code = 406
    title = "Not acceptable"


@router.get("", response_model=StatementList, dependencies=RateLimited)
def list_statements(
    sessions: ReadSessionsDep,
    principal: StatementReaders,
    period: Annotated[str, Query(pattern=PERIOD_PATTERN)],
    hsa_id: Annotated[str | None, Query(max_length=HSA_ID_MAX_LENGTH)] = None,
    version: Annotated[int | None, Query(ge=1)] = None,
    approved_only: bool = False,
) -> StatementList:
    """A period's statements: the newest version (a provider: the newest approved), or the given.

    `approved_only=true` picks the newest approved version (the last-resort service sums
    approved payments with it).
    """
    return service.list_statements(
        sessions=sessions,
        principal=principal,
        period=Period.parse(period),
        version=version,
        hsa_id=hsa_id,
        approved_only=approved_only,
    )


@router.get(
    "/{statement_id}",
    response_model=Statement,
    dependencies=RateLimited,
    responses={
        200: {"content": {"text/csv": {}, "application/pdf": {}}},
        404: {"description": "no such statement, or not yours"},
        406: {
            "description": "the Accept header names no form this statement is available in",
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        },
    },
)
def get_statement(
    statement_id: str,
    request: Request,
    sessions: ReadSessionsDep,
    principal: StatementReaders,
) -> Response | Statement:
    """One statement; `Accept: text/csv` or `application/pdf` for the printable forms."""
    statement = service.get_statement(
        sessions=sessions, principal=principal, statement_id=statement_id
    )
    accept = request.headers.get("accept", "").lower()
    name = f"utbetalning-{statement.hsa_id}-{statement.period}-v{statement.version}"
    if "application/pdf" in accept:
        return Response(
            statement_pdf(statement),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
        )
    if "text/csv" in accept:
        return Response(
            statement_csv(statement),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if accept and not any(t in accept for t in ("application/json", "*/*", "application/*")):
        raise NotAcceptable(
            "this statement is available as application/json, text/csv or application/pdf"
        )
    return statement
