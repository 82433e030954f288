"""A whole settlement from typed inputs: which inputs are lacking, and the steps and totals.

The service gathers the inputs (its own database, then the peers) and refuses what cannot be
settled yet using the `lacking_*` rules here; `settle` then only computes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.lastresort.domain.calculation import (
    ZERO,
    Accounts,
    DesignatedUnit,
    ListedUnit,
    ScopeStep,
    UnitStep,
    deficit_capped_step,
    fixed_sum_step,
    neutrality_scopes,
)
from shared.money import MAX_SEK
from shared.period import Period
from shared.values import INT32_MAX


@dataclass(frozen=True)
class FixedSum:
    """Each designated unit gets its municipality's annual amount."""

    annual_by_municipality: Mapping[str, Decimal]


@dataclass(frozen=True)
class DeficitCapped:
    """Each designated unit gets min(cap, coverage × max(0, deficit))."""

    coverage: Decimal
    cap: Decimal


Method = FixedSum | DeficitCapped


@dataclass(frozen=True)
class ApprovedPeriod:
    """A period's latest approved payment run: its version, its count date and the moment its
    counts were read as known at, and each statement's unit and total."""

    period: Period
    payment_version: int
    count_date: dt.date
    as_known_at: dt.datetime
    statement_totals: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class Settled:
    steps: tuple[UnitStep, ...]
    scopes: tuple[ScopeStep, ...]

    @property
    def total_compensation(self) -> Decimal:
        return sum((s.compensation for s in self.steps), ZERO)

    @property
    def total_neutrality(self) -> Decimal:
        return sum((s.total_neutrality for s in self.scopes), ZERO)


def settlement_opens(year: int) -> dt.date:
    """The first business date the year can be settled: 1 January of the next year. A
    settlement is the year's account, so it waits until the whole year has happened (and its
    December run, counted on its own count date, is among the approved runs it reads)."""
    return dt.date(year + 1, 1, 1)


def too_early(year: int, *, today: dt.date) -> str | None:
    """Why the year cannot be settled on `today` (the business date), or None when it can.
    One rule for every method."""
    opens = settlement_opens(year)
    if today >= opens:
        return None
    return (
        f"the {year} settlement can be made from {opens}, after the year is over (today is {today})"
    )


def effective_applies_to(care_type: str, present: Collection[str]) -> str | None:
    """A care type's own model wins over the year's model for all care types ('all')."""
    for applies_to in (care_type, "all"):
        if applies_to in present:
            return applies_to
    return None


def lacking_amounts(method: FixedSum, designated: Sequence[DesignatedUnit]) -> list[str]:
    """Municipalities with a designated unit but no amount in the model, sorted."""
    return sorted({u.municipality_code for u in designated} - set(method.annual_by_municipality))


def lacking_accounts(
    designated: Sequence[DesignatedUnit], accounts: Mapping[str, Accounts]
) -> list[str]:
    """Designated units without accounts for the year, in designation order."""
    return [u.hsa_id for u in designated if u.hsa_id not in accounts]


def revenue_by_period(
    hsa_id: str, approved: Sequence[ApprovedPeriod]
) -> list[tuple[Period, Decimal]]:
    """A unit's hälsoval revenue per approved period (0.00 in a period that did not pay it)."""
    return [
        (p.period, sum((total for h, total in p.statement_totals if h == hsa_id), ZERO))
        for p in approved
    ]


def settle(
    *,
    method: Method,
    designated: Sequence[DesignatedUnit],
    accounts: Mapping[str, Accounts],
    approved: Sequence[ApprovedPeriod],
    neutrality_scope: str | None,
    listed_by_date: Sequence[Sequence[ListedUnit]],
) -> Settled:
    """Every designated unit's steps and, when neutrality applies, each scope's.

    The inputs are complete (the `lacking_*` rules found nothing, every period is approved);
    `listed_by_date` holds the units counted on each of the year's count dates, in order.
    """
    if isinstance(method, FixedSum):
        steps = [
            fixed_sum_step(u, method.annual_by_municipality[u.municipality_code])
            for u in designated
        ]
    else:
        steps = [
            deficit_capped_step(
                u,
                accounts=accounts[u.hsa_id],
                revenue_by_period=revenue_by_period(u.hsa_id, approved),
                coverage=method.coverage,
                cap=method.cap,
            )
            for u in designated
        ]
    scopes: list[ScopeStep] = []
    if neutrality_scope is not None:
        scopes = neutrality_scopes(
            steps=steps, listed_by_date=listed_by_date, scope=neutrality_scope
        )
    return Settled(steps=tuple(steps), scopes=tuple(scopes))


def beyond_limits(settled: Settled) -> list[str]:
    """The figures a settlement could not be shown or stored with, by the answer's field names:
    amounts beyond 10^12 SEK in either direction, listed counts beyond 2^31-1. Every input is
    within its limit, but sums of them need not be (a deficit of large revenue, a total)."""
    beyond: list[str] = []

    def check(name: str, amount: Decimal | None) -> None:
        if amount is not None and abs(amount) > MAX_SEK:
            beyond.append(name)

    for s in settled.steps:
        unit = f"units.{s.hsa_id}"
        check(f"{unit}.fixed_sum_sek", s.fixed_sum)
        check(f"{unit}.halsoval_revenue_sek", s.halsoval_revenue)
        for period, revenue in s.revenue_by_period:
            check(f"{unit}.revenue_by_period.{period}", revenue)
        check(f"{unit}.deficit_sek", s.deficit)
        check(f"{unit}.compensation_sek", s.compensation)
    for sc in settled.scopes:
        scope = f"neutrality.scopes.{sc.scope}"
        check(f"{scope}.total_compensation_sek", sc.total_compensation)
        check(f"{scope}.total_neutrality_sek", sc.total_neutrality)
        if sc.region_listed > INT32_MAX:
            beyond.append(f"{scope}.region_listed")
        for u in sc.units:
            if u.listed > INT32_MAX:
                beyond.append(f"{scope}.units.{u.hsa_id}.listed")
            check(f"{scope}.units.{u.hsa_id}.amount_sek", u.amount)
    check("total_compensation_sek", settled.total_compensation)
    check("total_neutrality_sek", settled.total_neutrality)
    return beyond
