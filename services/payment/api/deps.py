"""Dependencies of the payment routes: the service's context, its listing client, the roles.

Each route's roles are one of the aliases below, declared once here (the roles-table test
reads them from the routes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator

from services.payment.api.printing import StatementPrinter
from services.payment.clients import ListingClient
from services.payment.poller import ChangePoller
from shared.auth import Principal, Role, require_roles
from shared.clock import business_today
from shared.context import ServiceContext, context_of
from shared.deps import AuditDep, ReadSessionsDep, RequestIdDep, SessionsDep
from shared.patterns import PERIOD_PATTERN
from shared.period import Period
from shared.values import INT32_MAX
from shared.values import Year as YearValue

__all__ = [
    "AdminOnly",
    "AuditDep",
    "FinanceApprover",
    "ListingDep",
    "ModelReaders",
    "PaymentContext",
    "PeriodPath",
    "PeriodQuery",
    "PrinterDep",
    "ReadSessionsDep",
    "RequestIdDep",
    "RunReaders",
    "SessionsDep",
    "Simulators",
    "StatementId",
    "StatementReaders",
    "RunId",
    "TodayDep",
    "Version",
    "Year",
    "YearQuery",
    "YearReaders",
    "get_listing",
    "get_printer",
    "get_today",
]


@dataclass(kw_only=True)
class PaymentContext(ServiceContext):
    """The payment service's state: the shared parts, its one peer (the listing service) and
    the background follower of that peer's change feed."""

    listing: ListingClient
    printer: StatementPrinter = field(default_factory=StatementPrinter)
    poller: ChangePoller | None = None

    def __post_init__(self) -> None:
        self.closers.append(self.printer.close)


def get_listing(request: Request) -> ListingClient:
    return context_of(request.app, PaymentContext).listing


def get_printer(request: Request) -> StatementPrinter:
    return context_of(request.app, PaymentContext).printer


def get_today(request: Request) -> dt.date:
    """The business date (HALSOVAL_TODAY, else today in Europe/Stockholm)."""
    return business_today(context_of(request.app, PaymentContext).settings)


ListingDep = Annotated[ListingClient, Depends(get_listing)]
PrinterDep = Annotated[StatementPrinter, Depends(get_printer)]
TodayDep = Annotated[dt.date, Depends(get_today)]

# Path and query values, bounded to what the database holds (ids are uuid4 hex, 32 characters;
# a longer one cannot exist, so it is refused rather than looked up).
Year = Annotated[YearValue, Path()]
YearQuery = Annotated[YearValue, Query(description="a year, 2000 to 2100")]
Version = Annotated[
    int | None, Query(ge=1, le=INT32_MAX, description="a version (1 or more); omitted: the newest")
]
RunId = Annotated[str, Path(min_length=1, max_length=64)]


def _period(text: str) -> str:
    Period.parse(text)  # within 2000-01..2100-12, else a 422 naming the parameter
    return text


# A query parameter is a plain string to FastAPI; read it with Period.parse.
PeriodQuery = Annotated[
    str,
    Query(pattern=PERIOD_PATTERN, description="YYYY-MM (ASCII digits), 2000-01 to 2100-12"),
    AfterValidator(_period),
]
PeriodPath = Annotated[
    str,
    Path(pattern=PERIOD_PATTERN, description="YYYY-MM (ASCII digits), 2000-01 to 2100-12"),
    AfterValidator(_period),
]
StatementId = Annotated[str, Path(min_length=1, max_length=64)]

# Who may call what. ops reads the region's models and run totals, never a unit's statement;
# a provider reads only its own units' statements of approved runs (decided in the query).
AdminOnly = Annotated[Principal, Depends(require_roles(Role.region_admin))]
FinanceApprover = Annotated[Principal, Depends(require_roles(Role.finance_approver))]
ModelReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.ops, Role.service)),
]
RunReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.ops, Role.service)),
]
StatementReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.provider, Role.service)),
]
Simulators = Annotated[Principal, Depends(require_roles(Role.region_admin, Role.finance_approver))]

# Payouts (issue 12): a region_admin proposes, a finance_approver other than the author
# approves; per-unit amounts, so ops reads none of it. The ledger and the per-unit payout
# notice are also a provider's, for its own units only (decided in the service).
PayoutReaders = Annotated[
    Principal, Depends(require_roles(Role.region_admin, Role.finance_approver, Role.service))
]
LedgerReaders = Annotated[
    Principal,
    Depends(require_roles(Role.region_admin, Role.finance_approver, Role.provider, Role.service)),
]
PayoutId = Annotated[str, Path(min_length=1, max_length=64)]
# The year's account (GET /v1/years/{year}): the document the finance office signs.
YearReaders = Annotated[
    Principal, Depends(require_roles(Role.finance_approver, Role.region_admin, Role.ops))
]
