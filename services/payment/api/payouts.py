"""Payouts, the ledger and the finance files.

POST /v1/payouts (region_admin) records that a period's latest approved version is to be
paid; a finance_approver other than the author approves it (four eyes), and it is final.
GET /v1/ledger gives a unit's running account; GET /v1/payouts/{id}/files/{format} the
finance office's CSV/XLSX, the ledger system's SIE 4 file and a unit's payout notice (PDF).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict

from services.payment import service
from services.payment.api.deps import (
    AdminOnly,
    AuditDep,
    FinanceApprover,
    LedgerReaders,
    ListingDep,
    PayoutId,
    PayoutReaders,
    PeriodQuery,
    ReadSessionsDep,
    RequestIdDep,
    SessionsDep,
    TodayDep,
    YearQuery,
)
from services.payment.api.payout_files import (
    payout_csv,
    payout_notice_pdf,
    payout_sie,
    payout_xlsx,
)
from services.payment.api.schemas import LOCATION
from services.payment.db.payouts import PayoutRecord
from services.payment.domain.payouts import LedgerPeriod, LineKind
from shared.money import SEK, from_ore
from shared.openapi import problem_responses
from shared.patterns import HSA_ID_MAX_LENGTH
from shared.period import Period, PeriodStr
from shared.schemas.common import HsaId

router = APIRouter(tags=["payouts"])


class PayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: PeriodStr
    # The payment service pays primary care (the model's care type); named so that the
    # request says what it pays.
    care_type: Literal["primary"]
    payment_date: dt.date | None = None  # not before the business date; omitted: approval's


class PayoutLineOut(BaseModel):
    hsa_id: str
    unit_name: str | None
    period: PeriodStr
    kind: LineKind
    paid_version: int | None
    version: int
    amount_sek: SEK
    vat_compensation_sek: SEK


class PayoutOut(BaseModel):
    payout_id: str
    period: PeriodStr
    care_type: str
    run_id: str
    version: int
    paid_version: int | None  # set on a correction: the version paid before
    status: Literal["calculated", "approved"]
    payment_date: dt.date | None
    total_sek: SEK
    created_by: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    lines: list[PayoutLineOut]

    @classmethod
    def of(cls, p: PayoutRecord) -> PayoutOut:
        return cls(
            payout_id=p.payout_id,
            period=p.period,
            care_type=p.care_type,
            run_id=p.run_id,
            version=p.version,
            paid_version=p.paid_version,
            status="approved" if p.status == "approved" else "calculated",
            payment_date=p.payment_date,
            total_sek=from_ore(p.total_ore),
            created_by=p.created_by,
            created_at=p.created_at,
            approved_by=p.approved_by,
            approved_at=p.approved_at,
            lines=[
                PayoutLineOut(
                    hsa_id=ln.hsa_id,
                    unit_name=ln.name,
                    period=ln.period,
                    kind=ln.kind,
                    paid_version=ln.paid_version,
                    version=ln.version,
                    amount_sek=from_ore(ln.amount_ore),
                    vat_compensation_sek=from_ore(ln.vat_ore),
                )
                for ln in p.lines
            ],
        )


class PayoutList(BaseModel):
    payouts: list[PayoutOut]


class LedgerPeriodOut(BaseModel):
    period: PeriodStr
    version: int | None
    computed_sek: SEK
    paid_sek: SEK
    corrected_sek: SEK
    balance_sek: SEK
    running_balance_sek: SEK

    @classmethod
    def of(cls, p: LedgerPeriod) -> LedgerPeriodOut:
        return cls(
            period=p.period,
            version=p.version,
            computed_sek=from_ore(p.computed_ore),
            paid_sek=from_ore(p.paid_ore),
            corrected_sek=from_ore(p.corrected_ore),
            balance_sek=from_ore(p.balance_ore),
            running_balance_sek=from_ore(p.running_ore),
        )


class LedgerOut(BaseModel):
    hsa_id: str
    year: int
    periods: list[LedgerPeriodOut]


class FileFormat(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    sie = "sie"


MEDIA = {
    FileFormat.csv: "text/csv; charset=utf-8",
    FileFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormat.sie: "text/plain; charset=cp437",
}


@router.post(
    "/v1/payouts",
    response_model=PayoutOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "the payout, calculated", "headers": {"Location": LOCATION}},
        # 409: no approved version; this version paid or awaiting approval; another payout
        # of the period awaiting approval
        **problem_responses(409),
    },
)
def create_payout(
    body: PayoutIn,
    response: Response,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
    today: TodayDep,
    principal: AdminOnly,
) -> PayoutOut:
    """Pay the period's latest approved version: in full the first time, else the correction
    (per unit the difference to what was paid; negative: a credit line)."""
    created = service.create_payout(
        sessions=sessions,
        audit=audit,
        period=body.period,
        care_type=body.care_type,
        payment_date=body.payment_date,
        today=today,
        principal=principal,
        request_id=rid,
    )
    response.headers["Location"] = f"/v1/payouts/{created.payout_id}"
    return PayoutOut.of(created)


@router.post(
    "/v1/payouts/{payout_id}/approve",
    response_model=PayoutOut,
    responses=problem_responses(404, 409),
)
def approve_payout(
    payout_id: PayoutId,
    sessions: SessionsDep,
    audit: AuditDep,
    rid: RequestIdDep,
    today: TodayDep,
    principal: FinanceApprover,
) -> PayoutOut:
    """Four eyes: 403 for the payout's author; 409 when approved already. Without a
    payment_date in the payout it is paid on the business date of the approval."""
    return PayoutOut.of(
        service.approve_payout(
            sessions=sessions,
            audit=audit,
            payout_id=payout_id,
            today=today,
            principal=principal,
            request_id=rid,
        )
    )


@router.get("/v1/payouts", response_model=PayoutList)
def list_payouts(
    sessions: ReadSessionsDep, principal: PayoutReaders, period: PeriodQuery | None = None
) -> PayoutList:
    found = service.list_payouts(sessions=sessions, period=Period.parse(period) if period else None)
    return PayoutList(payouts=[PayoutOut.of(p) for p in found])


@router.get("/v1/payouts/{payout_id}", response_model=PayoutOut, responses=problem_responses(404))
def get_payout(
    payout_id: PayoutId, sessions: ReadSessionsDep, principal: PayoutReaders
) -> PayoutOut:
    return PayoutOut.of(service.get_payout(sessions=sessions, payout_id=payout_id))


@router.get(
    "/v1/payouts/{payout_id}/files/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(404, 409, 502)},
)
def payout_notice(
    payout_id: PayoutId,
    hsa_id: Annotated[HsaId, Query(max_length=HSA_ID_MAX_LENGTH)],
    sessions: ReadSessionsDep,
    listing: ListingDep,
    principal: LedgerReaders,
) -> Response:
    """A unit's payout notice (utbetalningsavi) of an approved payout; a provider's own only."""
    notice = service.payout_notice(
        sessions=sessions, listing=listing, principal=principal, payout_id=payout_id, hsa_id=hsa_id
    )
    name = f"utbetalningsavi-{notice.line.period}-v{notice.line.version}-{hsa_id}.pdf"
    return Response(
        payout_notice_pdf(notice.documents, notice.line),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/v1/payouts/{payout_id}/files/{file_format}",
    response_class=Response,
    responses={
        200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}},
        **problem_responses(404, 409, 502),
    },
)
def payout_file(
    payout_id: PayoutId,
    file_format: FileFormat,
    sessions: ReadSessionsDep,
    listing: ListingDep,
    today: TodayDep,
    principal: PayoutReaders,
) -> Response:
    """CSV (Swedish Excel) or XLSX of the payout's lines, with each unit's organisation number
    and bankgiro; SIE 4 of an approved payout (409 before approval: nothing is booked yet)."""
    docs = service.payout_documents(
        sessions=sessions,
        listing=listing,
        payout_id=payout_id,
        approved_only=file_format is FileFormat.sie,
    )
    body = (
        payout_csv(docs)
        if file_format is FileFormat.csv
        else payout_xlsx(docs)
        if file_format is FileFormat.xlsx
        else payout_sie(docs, generated=today)
    )
    name = f"utbetalning-{docs.payout.period}-v{docs.payout.version}.{file_format.value}"
    return Response(
        body,
        media_type=MEDIA[file_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/v1/ledger", response_model=LedgerOut, responses=problem_responses(404))
def ledger(
    hsa_id: Annotated[HsaId, Query(max_length=HSA_ID_MAX_LENGTH)],
    year: YearQuery,
    sessions: ReadSessionsDep,
    principal: LedgerReaders,
) -> LedgerOut:
    """A unit's running account of the year: per period computed (the latest approved
    version), paid, corrected, balance. A provider: its own units only (else 404)."""
    periods = service.unit_ledger(sessions=sessions, principal=principal, hsa_id=hsa_id, year=year)
    return LedgerOut(hsa_id=hsa_id, year=year, periods=[LedgerPeriodOut.of(p) for p in periods])
