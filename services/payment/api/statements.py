"""Statements: what each unit is paid, as JSON, CSV or PDF.

Roles: region_admin, finance_approver and service read every statement; a provider reads
only its own units' statements of approved runs (enforced in the repository query, so a
statement it may not see is indistinguishable from one that does not exist: 404). ops is
deliberately not allowed here: it reads aggregate run totals through /v1/runs only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from services.payment import service
from services.payment.api.deps import (
    ListingDep,
    PeriodQuery,
    PrinterDep,
    ReadSessionsDep,
    StatementId,
    StatementReaders,
    Version,
)
from services.payment.api.render import PrintedStatement
from shared.errors import HalsovalError
from shared.openapi import problem_responses
from shared.patterns import HSA_ID_MAX_LENGTH
from shared.period import Period
from shared.schemas.payment import RunStatus, Statement, StatementList
from shared.values import Flag

router = APIRouter(prefix="/v1/statements", tags=["statements"])


class NotAcceptable(HalsovalError):
    status_code = 406
    title = "Not acceptable"


@router.get("", response_model=StatementList)
def list_statements(
    sessions: ReadSessionsDep,
    principal: StatementReaders,
    period: PeriodQuery,
    hsa_id: Annotated[str | None, Query(max_length=HSA_ID_MAX_LENGTH)] = None,
    version: Version = None,
    approved_only: Annotated[Flag, Query()] = False,
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
    responses={
        200: {"content": {"text/csv": {}, "application/pdf": {}}},
        404: {"description": "no such statement, or not yours"},
        **problem_responses(406),
    },
)
async def get_statement(
    statement_id: StatementId,
    request: Request,
    sessions: ReadSessionsDep,
    principal: StatementReaders,
    printer: PrinterDep,
    listing: ListingDep,
) -> Response | Statement:
    """One statement; `Accept: text/csv` or `application/pdf` for the printable forms.

    At most two PDFs render at once; one that finds no free slot within a few seconds is
    answered 503 with Retry-After (an approved statement's forms are kept once rendered).
    Async so that a request waiting for a slot holds no thread of the request threadpool.
    The printed forms show the moments (as known at, calculated, approved) on Stockholm's
    clock with the zone named (the JSON keeps ISO 8601 with offset), the region as sender and
    the unit's organisation number as the listing service knew it at the run's counts (asked
    for each printed form: 502/503 when it cannot answer).
    """
    accept = request.headers.get("accept", "").lower()
    if "application/pdf" in accept or "text/csv" in accept:
        found = await run_in_threadpool(
            service.get_statement_for_print,
            sessions=sessions,
            principal=principal,
            statement_id=statement_id,
            listing=listing,
        )
        unit, before = found.unit, found.replaces
        printed = PrintedStatement.of(
            found.statement,
            created_at=found.created_at,
            approved_at=found.approved_at,
            sender=printer.sender,
            organisation_number=unit.organisation_number if unit else None,
            distance_km=unit.distance_to_hospital_km if unit else None,
            sparsity=found.model.sparsity if found.model else None,
            replaces_version=before.version if before else None,
            replaces_approved=before is not None and before.status is RunStatus.approved,
        )
        name = f"utbetalning-{printed.hsa_id}-{printed.period}-v{printed.version}"
        if "application/pdf" in accept:
            return Response(
                await printer.pdf(printed),
                media_type="application/pdf",
                headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
            )
        return Response(
            printer.csv(printed),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    statement = await run_in_threadpool(
        service.get_statement, sessions=sessions, principal=principal, statement_id=statement_id
    )
    if accept and not any(t in accept for t in ("application/json", "*/*", "application/*")):
        raise NotAcceptable(
            "this statement is available as application/json, text/csv or application/pdf"
        )
    return statement
