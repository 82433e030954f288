"""Contracts of the payment service that other services read (the last-resort service)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel

from shared.money import SEK, DecimalStr
from shared.period import PeriodStr
from shared.schemas.common import HsaId


class Component(StrEnum):
    capitation = "capitation"
    cni = "cni"
    sparsity = "sparsity"


class RunStatus(StrEnum):
    calculated = "calculated"
    approved = "approved"


class StatementLine(BaseModel):
    """One component of a unit's month: amount = its share of the pool, by largest remainder."""

    # An id of the payment service's component registry (Component lists today's): a plain
    # string, so a consumer built before a new component still reads statements that carry it.
    component: str
    weight: DecimalStr
    total_weight: DecimalStr
    share: DecimalStr
    pool_sek: SEK
    amount_sek: SEK
    delta_sek: SEK | None = None


class Statement(BaseModel):
    """A unit's payment for one version of a period; total_sek is the sum of its lines."""

    statement_id: str
    run_id: str
    period: PeriodStr
    version: int
    status: RunStatus
    count_date: dt.date
    as_known_at: dt.datetime
    model_year: int
    model_version: int
    hsa_id: HsaId
    unit_name: str | None = None
    listed: int
    lines: list[StatementLine]
    total_sek: SEK
    delta_sek: SEK | None = None


class StatementList(BaseModel):
    period: PeriodStr
    version: int | None
    statements: list[Statement]
